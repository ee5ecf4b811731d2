from wagtail.admin.panels import Panel


class ConsentStatusPanel(Panel):
    """Tells the editor, in plain words, whether this version may be published and why not."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", "Consent")
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "stories/panels/consent_status.html"

        def get_context_data(self, parent_context=None):
            from consent.selectors import publication_verdict

            context = super().get_context_data(parent_context)
            page = self.instance
            context["verdict"] = publication_verdict(page) if page.storyteller_id else None
            context["story_id"] = page.pk
            return context

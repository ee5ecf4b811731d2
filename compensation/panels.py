from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import Panel


class CompensationStatusPanel(Panel):
    """Tells the editor what was agreed and paid for this story, and what publishing needs."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("Payment"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "compensation/admin/story_panel.html"

        def get_context_data(self, parent_context=None):
            from .models import CompensationSettings
            from .selectors import agreements_for_story, story_choice

            context = super().get_context_data(parent_context)
            story = self.instance
            context["story"] = story
            if story.pk is None or story.storyteller_id is None:
                return context
            story = getattr(story, "consent_story", story)
            agreements = list(agreements_for_story(story))
            choice = None if agreements else story_choice(story)
            context.update(
                agreements=agreements,
                declined=choice is not None and choice.response == choice.Response.DECLINED,
                policy_on=CompensationSettings.load(
                    request_or_site=self.request
                ).require_agreement_before_publishing,
                storyteller=story.storyteller,
            )
            return context

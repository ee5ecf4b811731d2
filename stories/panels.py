from wagtail.admin.panels import InlinePanel, Panel


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
            # Plainly say when her newer decision took the public version down.
            context["taken_down_for_new_decision"] = bool(
                page.pk
                and not page.live
                and context["verdict"]
                and context["verdict"].allowed
                and _last_take_down_was_superseded(page)
            )
            context["story_id"] = page.pk
            context.update(consent_summary(page))
            context.update(_storyteller_account(page, self.request))
            return context


def _storyteller_account(story, request):
    """Her account's state and, for editors who may, a new invitation link from here."""
    from django.urls import reverse

    from consent.selectors import account_status

    if story.pk is None or story.storyteller_id is None:
        return {}
    storyteller = story.storyteller
    return {
        "storyteller": storyteller,
        "account_status": account_status(storyteller),
        "can_invite": request is not None and request.user.has_perm("consent.change_storyteller"),
        "next": reverse("wagtailadmin_pages:edit", args=[story.pk]),
    }


def _last_take_down_was_superseded(story):
    """True when the story last left the website because her newer decision replaced it."""
    from wagtail.models import PageLogEntry

    last = (
        PageLogEntry.objects.filter(
            page_id=story.pk,
            action__in=["wagtail.unpublish", "sayso.take_down", "sayso.superseded"],
        )
        .order_by("-timestamp", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return last == "sayso.superseded"


def consent_summary(story):
    """The scope the storyteller agreed to now, and every decision they made, newest first."""
    from consent.models import ConsentEntry
    from consent.selectors import grants_in_force

    if story.pk is None:
        return {"grant": None, "history": []}
    history = list(
        ConsentEntry.objects.filter(story_id=story.pk)
        .select_related("recorded_by")
        .order_by("-sequence")
    )
    grant = grants_in_force([story.pk]).get(story.pk)
    return {"grant": grant, "history": history}


class ScopedStoriesPanel(InlinePanel):
    """The campaign's stories, each chosen from those in the campaign's scope.

    Each row's form learns the campaign's channel from the page form (inherit_kwargs), so
    the list it offers and the choices it accepts are the same set of stories.
    """

    def get_form_options(self):
        from .forms import CampaignStoryForm

        options = super().get_form_options()
        formset = options["formsets"][self.relation_name]
        formset["form"] = CampaignStoryForm
        formset["inherit_kwargs"] = ["story_channel"]
        return options

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.forms.pages import CopyForm

STORY_IN_REVIEW_MESSAGE = _(
    "This story is in review. Publish it with “Approve and publish” once its storyteller has "
    "approved it, or cancel the review first."
)


class StoryPageForm(WagtailAdminPageForm):
    """The story editor's form: refuses to publish or schedule words nobody approved.

    Its storyteller field is shown but can't be changed once the storyteller is fixed
    (consent.selectors.storyteller_is_fixed); the model refuses the change too.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("storyteller")
        if field is None or self.instance.pk is None:
            return
        from consent.selectors import storyteller_is_fixed

        if storyteller_is_fixed(self.instance):
            from .models import STORYTELLER_FIXED_MESSAGE

            field.disabled = True
            field.help_text = STORYTELLER_FIXED_MESSAGE

    def _post_clean(self):
        super()._post_clean()
        if "action-publish" not in self.data or self.errors:
            return
        if self.instance.pk and self.instance.workflow_in_progress:
            # One publish path (stories/wagtail_hooks.py): a story in review is published by
            # the editors' approval, which publishes the version its storyteller approved.
            self.add_error(None, ValidationError(STORY_IN_REVIEW_MESSAGE, code="in_review"))
            return
        from consent.selectors import publication_verdict

        # Parental many-to-many values reach the instance only on save; apply them now so
        # the verdict sees exactly the words that would go live.
        for name in ("content_warnings", "topics"):
            if name in self.cleaned_data:
                self.instance._meta.get_field(name).save_form_data(
                    self.instance, self.cleaned_data[name]
                )
        verdict = publication_verdict(self.instance)
        if not verdict.allowed:
            self.add_error(None, ValidationError(verdict.reason, code="consent_required"))


class StoryCopyForm(CopyForm):
    """Copying a story: no "publish the copy" choice, since consent names the original page.

    Wagtail's copy view copies with keep_live itself rather than through StoryPage.copy, so
    the model guard refused the whole copy as a permission error; a copy starts as a draft.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("publish_copies", None)


class CampaignCopyForm(CopyForm):
    """Copying a campaign the advisory group reviews: the copy starts as a draft, never an alias.

    The group approved the original page; its copy inherits the requirement (the sticky
    advisory_review_pinned flag) and goes live only after their review of the copy.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.page.specific.needs_advisory_review():
            self.fields.pop("publish_copies", None)
            self.fields.pop("alias", None)


class PublicPageForm(WagtailAdminPageForm):
    """The editor's form for every page but a story: refuses to publish or schedule a page
    holding any storyteller's private words, and says where (the model guard has the last
    word; this turns its refusal into a message)."""

    def _post_clean(self):
        super()._post_clean()
        if "action-publish" not in self.data or self.errors:
            return
        from consent.selectors import public_page_verdict

        verdict = public_page_verdict(self.instance)
        if not verdict.allowed:
            self.add_error(None, ValidationError(verdict.reason, code="private_words"))


class CampaignPageForm(PublicPageForm):
    """The campaign editor's form: its story list holds only stories in the campaign's scope."""

    @property
    def story_channel(self):
        """The channel the stories must cover: as submitted, else as saved."""
        from consent.models import Channel

        submitted = self.data.get(self.add_prefix("channel")) if self.is_bound else None
        if submitted in Channel.values:
            return submitted
        return self.instance.channel


class CampaignStoryForm(WagtailAdminModelForm):
    """One story of a campaign, chosen among those whose consent covers the channel."""

    def __init__(self, *args, story_channel=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .campaigns import stories_in_scope

        if "story" in self.fields and story_channel:
            field = self.fields["story"]
            field.queryset = stories_in_scope(story_channel)
            field.error_messages["invalid_choice"] = _(
                "This story's storyteller has not agreed to it appearing here, or no longer does."
            )
            self._keep_row_that_left_scope(field)

    def _keep_row_that_left_scope(self, field):
        """A saved row whose story left the campaign's scope is named and can stay or go.

        Without this the row's story is missing from the list, so the row shows blank and
        its required field blocks saving the whole campaign. The story is offered in its own
        row only, labelled with why readers no longer see it; readers never get it
        (CampaignPage.public_stories asks the consent rule).
        """
        from .models import StoryPage

        story_id = self.instance.story_id if self.instance.pk else None
        if story_id is None or field.queryset.filter(pk=story_id).exists():
            return
        story = StoryPage.objects.filter(pk=story_id).first()
        if story is None:
            return
        self.story_left_scope = left_scope_reason(story)
        field.queryset = field.queryset.model.objects.filter(
            pk__in=[*field.queryset.values_list("pk", flat=True), story_id]
        ).order_by("title")
        field.help_text = self.story_left_scope
        field.label_from_instance = lambda option: (
            f"{option.title} — {self.story_left_scope}" if option.pk == story_id else option.title
        )


def left_scope_reason(story):
    """Why a campaign's story is no longer shown to readers, and what the editor should do."""
    from consent.selectors import consent_has_ended, is_withdrawn

    if is_withdrawn(story):
        return _("Withdrawn by its storyteller — remove this row")
    if consent_has_ended(story):
        return _("Its storyteller's consent has ended — remove this row")
    if not story.live:
        return _("No longer on the website — remove this row")
    return _("Its storyteller no longer agrees to it appearing here — remove this row")

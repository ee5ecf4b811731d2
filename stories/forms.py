from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.forms.pages import CopyForm


class StoryPageForm(WagtailAdminPageForm):
    """The story editor's form: refuses to publish or schedule words nobody approved."""

    def _post_clean(self):
        super()._post_clean()
        if "action-publish" not in self.data or self.errors:
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

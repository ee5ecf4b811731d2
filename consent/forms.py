from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import Storyteller


class StorytellerForm(WagtailAdminModelForm):
    """Creating a storyteller creates their (admin-less) account too."""

    class Meta:
        model = Storyteller
        fields = ["pseudonym", "contact_preference"]
        help_texts = {"pseudonym": _("A name the storyteller chose. Never their legal name.")}

    def save(self, commit=True):
        if self.instance.pk:
            return super().save(commit=commit)
        from .services import create_storyteller

        # Wagtail's CreateView carries on with form.instance (not what save() returns), so
        # the new storyteller must become the form's instance or the admin crashes on it.
        self.instance = create_storyteller(
            pseudonym=self.cleaned_data["pseudonym"],
            contact_preference=self.cleaned_data["contact_preference"],
        )
        return self.instance

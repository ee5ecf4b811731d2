from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.text.redaction import clean_terms, fold

from .models import Byline, Channel, Storyteller
from .selectors import today
from .services import Scope

# Shorter than this, a "word" would refuse half of every story ("a", "I").
MIN_PRIVATE_WORD_LENGTH = 2


def clean_private_terms(text):
    """The private words typed one per line, tidied; a too-short word is refused."""
    terms = clean_terms(text.splitlines())
    short = [term for term in terms if len(term) < MIN_PRIVATE_WORD_LENGTH]
    if short:
        raise forms.ValidationError(
            _("Each word needs at least %(count)d letters."),
            params={"count": MIN_PRIVATE_WORD_LENGTH},
        )
    return "\n".join(terms)


class StorytellerForm(WagtailAdminModelForm):
    """Creating a storyteller creates their (admin-less) account too."""

    class Meta:
        model = Storyteller
        fields = [
            "pseudonym",
            "contact_preference",
            "legal_name",
            "phone",
            "postal_address",
            "contact_notes",
            "private_terms",
        ]
        help_texts = {"pseudonym": _("A name the storyteller chose. Never their legal name.")}
        widgets = {
            "legal_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off"}),
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "contact_notes": forms.Textarea(attrs={"rows": 3}),
            "private_terms": forms.Textarea(attrs={"rows": 5}),
        }

    # The list as the editor was shown it comes back with the form, so words the
    # storyteller added in the portal meanwhile are kept (see _save_changes).
    private_terms_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["private_terms_shown"].initial = self.initial.get("private_terms", "")

    def clean_private_terms(self):
        return clean_private_terms(self.cleaned_data.get("private_terms", ""))

    def save(self, commit=True):
        if self.instance.pk:
            return self._save_changes()
        from .services import create_storyteller

        # Wagtail's CreateView carries on with form.instance (not what save() returns), so
        # the new storyteller must become the form's instance or the admin crashes on it.
        created = create_storyteller(
            pseudonym=self.cleaned_data["pseudonym"],
            contact_preference=self.cleaned_data["contact_preference"],
        )
        for name in self.PERSONAL_FIELDS:
            setattr(created, name, self.cleaned_data[name])
        created.save(update_fields=self.PERSONAL_FIELDS)
        self.instance = created
        return self.instance

    PERSONAL_FIELDS = ["legal_name", "phone", "postal_address", "contact_notes", "private_terms"]

    @transaction.atomic
    def _save_changes(self):
        # The storyteller may have added a word in the portal while this form was open:
        # apply only what the editor added and removed, to the list as it is now.
        current = Storyteller.objects.select_for_update().get(pk=self.instance.pk)
        if self.add_prefix("private_terms_shown") in self.data:
            shown = self.cleaned_data["private_terms_shown"]
        else:
            shown = self.initial.get("private_terms") or ""
        before = {fold(term) for term in clean_terms(shown.splitlines())}
        typed = clean_terms(self.cleaned_data["private_terms"].splitlines())
        removed = before - {fold(term) for term in typed}
        kept = [term for term in current.private_term_list() if fold(term) not in removed]
        self.instance.private_terms = "\n".join(clean_terms([*kept, *typed]))
        return super().save(commit=True)


UNTIL_WITHDRAWN = "withdrawn"
UNTIL_DATE = "date"
# For how long she agrees, in her words: the editors' form and her own portal ask alike.
UNTIL_CHOICES = {
    UNTIL_WITHDRAWN: _("Until I withdraw it"),
    UNTIL_DATE: _("Until a date I choose"),
}


class ScopeForm(forms.Form):
    """Where the story may appear, how to name them, the photo, and for how long."""

    channels = forms.MultipleChoiceField(
        label=_("Where may your story appear?"),
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one place, or ask for changes instead.")},
    )
    byline = forms.ChoiceField(
        label=_("How should we name you?"),
        choices=Byline.choices,
        widget=forms.RadioSelect,
    )
    image_allowed = forms.TypedChoiceField(
        label=_("May we show the photo?"),
        choices=[("yes", _("Yes, show the photo")), ("no", _("No, don't show it"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=False,
    )
    until = forms.ChoiceField(
        label=_("For how long?"),
        choices=list(UNTIL_CHOICES.items()),
        widget=forms.RadioSelect,
        initial=UNTIL_WITHDRAWN,
    )
    valid_until = forms.DateField(
        label=_("Last day it may appear"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, story=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_photo = bool(story and story.image_id)
        if not self.has_photo:
            del self.fields["image_allowed"]

    def clean(self):
        data = super().clean()
        if data.get("until") == UNTIL_DATE:
            chosen = data.get("valid_until")
            if chosen is None:
                self.add_error("valid_until", _("Choose the last day, or pick “until I withdraw”."))
            elif chosen < today():
                self.add_error("valid_until", _("Choose a day that has not passed yet."))
        # Unanswered comes back as "" (the field's empty value), never as a "no".
        if self.has_photo and data.get("image_allowed") not in (True, False):
            self.add_error("image_allowed", _("Tell us whether we may show the photo."))
        return data

    def scope(self):
        data = self.cleaned_data
        return Scope(
            channels=tuple(data["channels"]),
            byline=data["byline"],
            image_allowed=bool(data.get("image_allowed")),
            valid_until=data["valid_until"] if data["until"] == UNTIL_DATE else None,
        )

"""Forms storytellers fill in, worded for them."""

import copy

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.sign_in_forms import PASSWORD_HELP, SignInNameField, plain_password_problems
from stories.models import StoryPage

from .models import Channel, Storyteller
from .sanitise import clean_plain_text, clean_story_html
from .selectors import today
from .services import Scope

UNTIL_WITHDRAWN = "withdrawn"
UNTIL_DATE = "date"


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
        choices=StoryPage.Byline.choices,
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
        choices=[
            (UNTIL_WITHDRAWN, _("Until I withdraw it")),
            (UNTIL_DATE, _("Until a date I choose")),
        ],
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
        if self.has_photo and data.get("image_allowed") is None:
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


class ApproveForm(ScopeForm):
    """Approving names the exact version read, so a change meanwhile can't slip through."""

    revision = forms.IntegerField(widget=forms.HiddenInput)
    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ChangesForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("What would you like changed?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        help_text=_("The editors will read this. Write as much or as little as you like."),
    )

    def clean_message(self):
        return _cleaned_or_refused(
            clean_plain_text(self.cleaned_data["message"]),
            _("Tell the editors in words what you would like changed."),
        )


def _cleaned_or_refused(value, message):
    # Sanitising can leave nothing (a field of pure markup). Say so here, where the person
    # can fix it, rather than let the story's own validation fail later with a server error.
    if not value:
        raise forms.ValidationError(message)
    return value


class EditStoryForm(ScopeForm):
    title = forms.CharField(label=_("Title"), max_length=255)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=400
    )
    body = forms.CharField(
        label=_("Your story"),
        widget=forms.Textarea(attrs={"rows": 16, "data-simple-editor": ""}),
        max_length=100_000,
        help_text=_("Paragraphs, bold, italic, lists and links are kept. Nothing else is."),
    )
    field_order = ["title", "summary", "body"]

    def clean_title(self):
        return _cleaned_or_refused(
            clean_plain_text(self.cleaned_data["title"]), _("Give your story a title in words.")
        )

    def clean_summary(self):
        return _cleaned_or_refused(
            clean_plain_text(self.cleaned_data["summary"]), _("Write a short summary in words.")
        )

    def clean_body(self):
        return _cleaned_or_refused(
            clean_story_html(self.cleaned_data["body"]), _("Write your story in words.")
        )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, take my story down"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ContactForm(forms.Form):
    contact_preference = forms.ChoiceField(
        label=_("How should we let you know something is ready?"),
        choices=Storyteller.Contact.choices,
        widget=forms.RadioSelect,
    )
    email = forms.EmailField(
        label=_("Email address"),
        # The user's email column; a longer address could never be stored.
        max_length=254,
        required=False,
        help_text=_("Only used to tell you something is ready, and to reset your password."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        # Django accepts quoted addresses like "<script>…"@example.com; nobody needs one, and
        # markup has no place in a stored address.
        if set(email) & set('<>"'):
            raise forms.ValidationError(_("Enter an email address without <, > or quotes."))
        return email

    def clean(self):
        data = super().clean()
        if data.get("contact_preference") == Storyteller.Contact.EMAIL and not data.get("email"):
            self.add_error("email", _("Give an email address, or choose not to be contacted."))
        return data


class WelcomeForm(forms.Form):
    """Opening the invitation: the name she signs in with, her name for the editors, a password."""

    sign_in_name = SignInNameField()
    pseudonym = forms.CharField(
        label=_("What name should the editors use for you?"),
        max_length=80,
        help_text=_("It doesn't have to be your real name."),
        error_messages={"required": _("Write a name for the editors to use.")},
    )
    password1 = forms.CharField(
        label=_("Choose a password or a passphrase"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
        error_messages={"required": _("Choose a password.")},
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type your password again.")},
    )

    def __init__(self, *args, storyteller=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.storyteller = storyteller
        if storyteller is not None:
            self.fields["sign_in_name"].exclude_user = storyteller.user

    def clean_pseudonym(self):
        from .sanitise import clean_plain_text

        pseudonym = clean_plain_text(self.cleaned_data["pseudonym"])
        if not pseudonym:
            raise forms.ValidationError(_("Choose a name."))
        taken = Storyteller.objects.filter(pseudonym__iexact=pseudonym)
        if self.storyteller is not None:
            taken = taken.exclude(pk=self.storyteller.pk)
        if taken.exists():
            raise forms.ValidationError(_("Someone already uses that name. Try another."))
        return pseudonym

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two don't match. Try again."))
        elif first and self.storyteller is not None:
            # Compared with the name she is choosing, not the one she was given.
            account = copy.copy(self.storyteller.user)
            account.username = data.get("sign_in_name") or account.username
            try:
                plain_password_problems(first, account)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class PrivateWordForm(forms.Form):
    """One word or name the storyteller never wants to see in a published story."""

    word = forms.CharField(
        label=_("Add a word or a name"),
        help_text=_("One at a time. Capital letters and accents don't matter."),
        max_length=200,
        error_messages={"required": _("Write the word or name first.")},
    )

    def clean_word(self):
        from .forms import MIN_PRIVATE_WORD_LENGTH

        word = " ".join(clean_plain_text(self.cleaned_data["word"]).split())
        if len(word) < MIN_PRIVATE_WORD_LENGTH:
            raise forms.ValidationError(_("Write at least two letters."))
        return word

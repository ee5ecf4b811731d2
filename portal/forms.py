"""Forms storytellers fill in, worded for them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.forms import MIN_PRIVATE_WORD_LENGTH, ScopeForm
from consent.models import Storyteller
from consent.sanitise import clean_plain_text, clean_story_html

# -- stories ---------------------------------------------------------------------------------


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


class PrivateWordForm(forms.Form):
    """One word or name the storyteller never wants to see in a published story."""

    word = forms.CharField(
        label=_("Add a word or a name"),
        help_text=_("One at a time. Capital letters and accents don't matter."),
        max_length=200,
        error_messages={"required": _("Write the word or name first.")},
    )

    def clean_word(self):
        word = " ".join(clean_plain_text(self.cleaned_data["word"]).split())
        if len(word) < MIN_PRIVATE_WORD_LENGTH:
            raise forms.ValidationError(_("Write at least two letters."))
        return word


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I understand this can't be undone"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


# -- payments ------------------------------------------------------------------------------

WANT_PAID = "yes"
DONT_WANT_PAID = "no"


class PaymentChoiceForm(forms.Form):
    """Whether the storyteller would like to be paid for a piece of work."""

    paid = forms.ChoiceField(
        label=_("Would you like to be paid for this?"),
        choices=[
            (WANT_PAID, _("Yes, I would like to be paid")),
            (DONT_WANT_PAID, _("No, I would rather not be paid for this")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the two answers.")},
    )


class ProblemForm(forms.Form):
    """Something's wrong with a payment, in the storyteller's own words."""

    message = forms.CharField(
        label=_("What's wrong?"),
        help_text=_("Tell us in your own words. Only the editors will read it."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Tell us what's wrong, in your own words.")},
    )


# -- campaigns (the survivor advisory group) --------------------------------------------------


class CampaignDecisionForm(forms.Form):
    """What a member sends back: their decision's note, bound to exactly what they read."""

    review = forms.IntegerField(widget=forms.HiddenInput)
    content_hash = forms.CharField(widget=forms.HiddenInput, max_length=64)
    comment = forms.CharField(
        label=_("Your comments (the editors will read them)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AskForChangesForm(CampaignDecisionForm):
    comment = forms.CharField(
        label=_("What should change?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Tell the editors what should change.")},
    )

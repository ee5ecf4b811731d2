"""Forms storytellers fill in, worded for them."""

import dataclasses

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.forms import MIN_PRIVATE_WORD_LENGTH, ScopeForm
from consent.models import Storyteller
from core.text.sanitise import (
    clean_plain_text,
    clean_story_html,
    story_html_to_text,
    text_to_story_html,
)
from stories.models import StoryPage

from .decision_forms import BYLINES, PHOTO_BLURRED, PHOTO_CHOICES, PHOTO_HIDDEN, PHOTO_SHOWN

# -- stories ---------------------------------------------------------------------------------


def _cleaned_or_refused(value, message):
    # Sanitising can leave nothing (a field of pure markup). Say so here, where the person
    # can fix it, rather than let the story's own validation fail later with a server error.
    if not value:
        raise forms.ValidationError(message)
    return value


BODY_AS_TEXT = "text"
EDIT_PHOTO_CHOICES = {
    "yes": PHOTO_CHOICES[PHOTO_SHOWN],
    "blurred": PHOTO_CHOICES[PHOTO_BLURRED],
    "no": PHOTO_CHOICES[PHOTO_HIDDEN],
}
BODY_AS_HTML = "html"


class EditStoryForm(ScopeForm):
    """Her own words. Without JavaScript the story is plain paragraphs in a text box; the
    formatting editor (portal.js) swaps in the rich text and says so in ``body_format``."""

    title = forms.CharField(label=_("Title"), max_length=255)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=400
    )
    body = forms.CharField(
        label=_("Your story"),
        widget=forms.Textarea(attrs={"rows": 16, "data-simple-editor": ""}),
        max_length=100_000,
        help_text=_(
            "Leave an empty line between paragraphs. Start a line with “- ” for a list. "
            "Bold, italic and links you add with the buttons are kept too."
        ),
    )
    # Missing (an older form, a script posting markup): the text is read as formatted and
    # cleaned like any other; either way only the allowlist survives.
    body_format = forms.ChoiceField(
        choices=[(BODY_AS_TEXT, BODY_AS_TEXT), (BODY_AS_HTML, BODY_AS_HTML)],
        widget=forms.HiddenInput,
        required=False,
    )
    field_order = ["title", "summary", "body"]

    def __init__(self, *args, story=None, **kwargs):
        super().__init__(*args, story=story, **kwargs)
        self.draft = story
        self.fields["byline"].label = _("How should your story name you?")
        self.fields["byline"].choices = list(BYLINES.items())
        # Her own version follows her choices (services.edit_story): the photo shown,
        # blurred or taken out, the name she chose. Never a refusal after saving.
        self.asks_photo, self.has_photo = self.has_photo, False
        if self.asks_photo:
            self.fields["image_allowed"] = forms.ChoiceField(
                label=_("Should readers see your photo, see it blurred, or not see it?"),
                choices=list(EDIT_PHOTO_CHOICES.items()),
                widget=forms.RadioSelect,
                required=False,
            )
            if not self.is_bound and self.initial.get("image_allowed") == "yes":
                self.initial["image_allowed"] = "blurred" if story.image_blurred else "yes"
        self.current_body = story.body if story is not None else ""
        self.fields["body"].widget.attrs["data-html"] = self._formatted_for_editor()
        if not self.is_bound:
            self.initial.setdefault("body_format", BODY_AS_TEXT)
            if "body" in self.initial:
                self.initial["body"] = story_html_to_text(self.initial["body"])

    def clean(self):
        data = super().clean()
        if self.asks_photo and data.get("image_allowed") not in EDIT_PHOTO_CHOICES:
            self.add_error(
                "image_allowed", _("Choose whether readers see your photo, blurred or not.")
            )
        chosen = data.get("byline")
        if (
            chosen == StoryPage.Byline.FIRST_NAME
            and self.draft is not None
            and self.draft.byline_kind != StoryPage.Byline.FIRST_NAME
        ):
            self.add_error(
                "byline",
                _(
                    "This version doesn't have your first name, so we can't use it yet. "
                    "Choose another, or ask the editors for changes and tell them."
                ),
            )
        return data

    def scope(self):
        scope = super().scope()
        return dataclasses.replace(
            scope, image_allowed=self.photo_choice() in (PHOTO_SHOWN, PHOTO_BLURRED)
        )

    def photo_choice(self):
        """shown, blurred or hidden for a version with a photo; None without one."""
        if not self.asks_photo:
            return None
        return {"yes": PHOTO_SHOWN, "blurred": PHOTO_BLURRED, "no": PHOTO_HIDDEN}[
            self.cleaned_data["image_allowed"]
        ]

    def _formatted_for_editor(self):
        # Shown again after a mistake elsewhere, the editor starts from what she sent (cleaned:
        # the editor reads it as markup), not from the stored story.
        if not self.is_bound:
            return self.current_body
        sent = str(self.data.get("body", ""))
        if self.data.get("body_format") == BODY_AS_TEXT:
            return text_to_story_html(sent)
        return clean_story_html(sent)

    def clean_title(self):
        return _cleaned_or_refused(
            clean_plain_text(self.cleaned_data["title"]), _("Give your story a title in words.")
        )

    def clean_summary(self):
        return _cleaned_or_refused(
            clean_plain_text(self.cleaned_data["summary"]), _("Write a short summary in words.")
        )

    def clean_body(self):
        body = self.cleaned_data["body"]
        if self.data.get("body_format") == BODY_AS_TEXT:
            if body.strip() == story_html_to_text(self.current_body).strip():
                # Unchanged: keep her bold, italic and links, which plain text can't show.
                body = self.current_body
            else:
                body = text_to_story_html(body)
        return _cleaned_or_refused(clean_story_html(body), _("Write your story in words."))


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

"""One question per page: the forms of a storyteller's decision, each worded for her.

Every field says in her words what is missing (never "This field is required."), and the
error summary at the top of each page links to the field (``error_links``).
"""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from consent.forms import UNTIL_CHOICES, UNTIL_DATE
from consent.models import Channel
from consent.selectors import today
from core.text.sanitise import clean_plain_text
from stories.models import StoryPage

APPROVE = "approve"
CHANGES = "changes"
EDIT = "edit"
WITHDRAW = "withdraw"

PHOTO_SHOWN = "shown"
PHOTO_BLURRED = "blurred"
PHOTO_HIDDEN = "hidden"

WITHDRAW_EVERYWHERE = "everywhere"
WITHDRAW_SOME = "some"

DECISIONS = {
    APPROVE: _("Approve it"),
    CHANGES: _("Ask for changes"),
    EDIT: _("Edit it myself"),
    WITHDRAW: _("Withdraw it"),
}
DECISION_HINTS = {
    APPROVE: _("Next, you choose where it may appear, how you are named and for how long."),
    CHANGES: _("Tell the editors what to change. They will send you a new version to read."),
    EDIT: _("Change the words yourself. Saving your version counts as approving it."),
    WITHDRAW: _("Take it down everywhere, or from some places only."),
}
# How she is named, in her words (the model's labels are the editors').
BYLINES = {
    StoryPage.Byline.PSEUDONYM: _("By the name I chose"),
    StoryPage.Byline.FIRST_NAME: _("By my first name"),
    StoryPage.Byline.ANONYMOUS: _("No name — anonymous"),
}
PHOTO_CHOICES = {
    PHOTO_SHOWN: _("Show my photo"),
    PHOTO_BLURRED: _("Show my photo blurred, so no one can recognise me"),
    PHOTO_HIDDEN: _("Don't show my photo"),
}


# Only a changed or stale page can send a choice that isn't on it; say so in her words.
NOT_OFFERED = _("Choose one of the answers on this page.")


def error_links(form):
    """(anchor, message) for the error summary: each message links to its field's input."""
    links = []
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            anchor = ""
        else:
            bound = form[name]
            anchor = bound.id_for_label or f"{bound.auto_id}_0"
        links.extend((anchor, message) for message in errors)
    return links


def question(label, *, missing, choices=(), hint="", several=False):
    """One question, the page's heading: radios, or checkboxes when she may tick several.

    ``missing`` says in her words what to do when nothing is chosen; ``hint`` is shown under
    the question.
    """
    field_class, widget = (
        (forms.MultipleChoiceField, forms.CheckboxSelectMultiple)
        if several
        else (forms.ChoiceField, forms.RadioSelect)
    )
    return field_class(
        label=label,
        choices=choices,
        help_text=hint,
        widget=widget,
        error_messages={"invalid_choice": NOT_OFFERED, "required": missing},
    )


class DecideForm(forms.Form):
    decision = question(
        _("What would you like to do?"),
        missing=_("Choose what you would like to do with your story."),
    )

    def __init__(self, *args, offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(key, DECISIONS[key]) for key in offered]
        self.hints = DECISION_HINTS


class PlacesForm(forms.Form):
    channels = question(
        _("Where may your story appear?"),
        choices=Channel.choices,
        several=True,
        hint=_("Tick every place you agree to. You can stop any of them later."),
        missing=_("Choose at least one place, or go back and ask for changes instead."),
    )


class NameForm(forms.Form):
    byline = question(
        _("How should your story name you?"),
        choices=list(BYLINES.items()),
        missing=_("Choose how your story should name you."),
    )


class PhotoForm(forms.Form):
    photo = question(
        _("Should readers see your photo, see it blurred, or not see it?"),
        choices=list(PHOTO_CHOICES.items()),
        missing=_("Choose whether readers see your photo, blurred or not."),
    )


class UntilForm(forms.Form):
    until = question(
        _("For how long may your story appear?"),
        choices=list(UNTIL_CHOICES.items()),
        hint=_("You can withdraw it at any time, whichever you choose."),
        missing=_("Choose for how long your story may appear."),
    )
    # Read only when "until a date" is chosen: a stray or half-typed date beside "until I
    # withdraw it" is ignored, not an error.
    valid_until = forms.DateField(
        label=_("The last day it may appear"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Write the day as a date, like 31 12 2027.")},
    )

    def clean(self):
        data = super().clean()
        if data.get("until") != UNTIL_DATE:
            self.errors.pop("valid_until", None)
            data["valid_until"] = None
            return data
        chosen = data.get("valid_until")
        if "valid_until" in self.errors:
            return data
        if chosen is None:
            self.add_error(
                "valid_until", _("Choose the last day, or choose “until I withdraw it”.")
            )
        elif chosen <= today():
            self.add_error("valid_until", _("Choose a day after today."))
        return data


class ChangesMessageForm(forms.Form):
    message = forms.CharField(
        label=_("What would you like changed?"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=4000,
        help_text=_("The editors will read this. Write as much or as little as you like."),
        error_messages={
            "invalid_choice": NOT_OFFERED,
            "required": _("Tell the editors what you would like changed."),
            "max_length": _("Please keep it under 4,000 characters, or send it in two parts."),
        },
    )

    def clean_message(self):
        message = clean_plain_text(self.cleaned_data["message"])
        if not message:
            raise forms.ValidationError(_("Tell the editors in words what you would like changed."))
        return message


class WithdrawWhereForm(forms.Form):
    where = question(
        _("Where should your story stop appearing?"),
        missing=_("Choose whether to take it down everywhere or only some places."),
    )

    def __init__(self, *args, can_narrow=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(WITHDRAW_EVERYWHERE, _("Everywhere — withdraw my story"))]
        if can_narrow:
            choices.append((WITHDRAW_SOME, _("Only some places — I'll choose which")))
        self.fields["where"].choices = choices


class StopPlacesForm(forms.Form):
    stop = question(
        _("Which places should it stop appearing in?"),
        several=True,
        hint=_(
            "It stops in the places you tick, at once. It stays in the places you leave unticked."
        ),
        missing=_("Choose at least one place where it should stop."),
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Channel.choices)
        self.fields["stop"].choices = [(place, labels[place]) for place in places]
        self.places = list(places)

    def clean_stop(self):
        stop = self.cleaned_data["stop"]
        if set(stop) >= set(self.places):
            raise forms.ValidationError(
                _(
                    "To stop it everywhere, go back and choose “Everywhere”. Leave at least "
                    "one place here to keep."
                )
            )
        return stop


def parse_day(value):
    return date.fromisoformat(value) if value else None

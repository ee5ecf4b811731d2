from django import forms
from django.utils.translation import gettext_lazy as _


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

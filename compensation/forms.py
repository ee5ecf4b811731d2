"""Forms: the storyteller's answers in the portal, and the editors' payment forms."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import money
from .models import Agreement, Payment, PaymentPreference, fixed_reason

# -- the admin -------------------------------------------------------------------------------


class AgreementForm(WagtailAdminModelForm):
    """An editor records or corrects an agreement; the model checks amount and currency."""

    currency = forms.ChoiceField(label=_("currency"), choices=money.currency_choices, initial="GBP")

    class Meta:
        model = Agreement
        fields = [
            "storyteller",
            "work",
            "story",
            "description",
            "basis",
            "amount",
            "currency",
            "hours",
            "agreed_on",
            "agreed_by",
        ]
        widgets = {"basis": forms.RadioSelect}

    change_reason = forms.CharField(
        label=_("Why is the amount lower?"),
        help_text=_("Needed only when you lower what was agreed. The storyteller will read it."),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agreement = self.instance
        if agreement.pk is None:
            self.fields.pop("change_reason")
            return
        # The model refuses these changes anyway; the form says why before anyone tries.
        if agreement.ending() is not None:
            for field in self.fields.values():
                field.disabled = True
            self.fields["storyteller"].help_text = _(
                "This agreement was ended; it can't change now."
            )
        elif agreement.is_fixed():
            for name in ("storyteller", "story", "currency"):
                self.fields[name].disabled = True
            self.fields["storyteller"].help_text = fixed_reason(agreement)

    def _post_clean(self):
        super()._post_clean()
        agreement = self.instance
        if agreement.pk is None or "change_reason" not in self.fields:
            return
        agreement.change_reason = self.cleaned_data.get("change_reason", "")
        agreement.changed_by = self.for_user
        stored = Agreement.objects.filter(pk=agreement.pk).first()
        if stored is None or self.errors:
            return
        if agreement.compute_total() < stored.total and not agreement.change_reason.strip():
            self.add_error(
                "change_reason",
                _("This lowers what was agreed. Say why: the storyteller will read it."),
            )


class PaymentForm(WagtailAdminModelForm):
    """An editor records a payment; services.record_payment builds the ledger entry."""

    class Meta:
        model = Payment
        fields = ["agreement", "amount", "paid_on", "method", "reference"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = Agreement.objects.select_related("storyteller")
        self.fields["amount"].help_text = _("In the agreement's currency.")

    def clean(self):
        data = super().clean()
        agreement, amount = data.get("agreement"), data.get("amount")
        if agreement is not None and agreement.is_declined():
            self.add_error(
                "agreement",
                _("%(name)s chose not to be paid for this.") % {"name": agreement.storyteller},
            )
        elif agreement is not None and amount is not None:
            try:
                money.validate_amount(amount, agreement.currency)
            except forms.ValidationError as error:
                self.add_error("amount", error)
        return data

    def _post_clean(self):
        # No model instance is built or validated here: the ledger entry is made, and its
        # rules checked with the chain locked, by services.record_payment.
        pass


class ReversalForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to take back"),
        max_digits=money.MAX_DIGITS,
        decimal_places=money.STORED_PLACES,
        min_value=0,
    )
    reason = forms.CharField(label=_("Why is it being corrected?"), max_length=200)


class EndAgreementForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the agreement ending? The storyteller will read this."), max_length=200
    )


class InPersonDeclineForm(forms.Form):
    witness_name = forms.CharField(label=_("Witness's name"), max_length=120)


class PaymentPreferenceForm(WagtailAdminModelForm):
    class Meta:
        model = PaymentPreference
        fields = ["storyteller", "method", "notes", "tax_paperwork_on_file", "may_affect_benefits"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4, "autocomplete": "off"})}

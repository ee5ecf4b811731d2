"""The editors' side: agreements, the payments ledger, storytellers' answers, preferences."""

import django_filters
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from core.permissions import APPEND_ONLY, READ_ONLY, LedgerPolicy

from . import selectors
from .admin_views import (
    AgreementCreateView,
    AgreementDeleteView,
    AgreementEditView,
    AgreementIndexView,
    PaymentCreateView,
    PaymentIndexView,
    correct_payment,
    end_agreement,
    record_declined_in_person,
)
from .filters import AgreementStatusFilterSet
from .forms import AgreementForm, PaymentForm, PaymentPreferenceForm
from .models import (
    PAYMENT_ANSWER_LABELS,
    Agreement,
    CompensationResponse,
    Payment,
    PaymentPreference,
)

# Payments are added, and read; nobody changes or deletes one (corrections are entries).
register_permission_policy(Payment, LedgerPolicy(Payment, refused=APPEND_ONLY))
# Only storytellers answer, in the portal (or editors with a witness, through a service).
register_permission_policy(
    CompensationResponse, LedgerPolicy(CompensationResponse, refused=READ_ONLY)
)


# -- agreements ------------------------------------------------------------------------------


class AgreementFilterSet(AgreementStatusFilterSet):
    class Meta:
        model = Agreement
        fields = ["storyteller", "work", "currency"]


AGREEMENT_COLUMNS = [
    "storyteller",
    "work_label",
    "story_title",
    "agreed_amount",
    "paid_amount",
    "owed_amount",
    "status_label",
    "agreed_on_date",
]


class AgreementListView(AgreementIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("End"),
                    url=reverse("compensation_end_agreement", args=[instance.pk]),
                    icon_name="cross",
                    priority=40,
                )
            )
        return buttons


class AgreementViewSet(ModelViewSet):
    model = Agreement
    icon = "clipboard-list"
    menu_label = _("Agreements")
    index_view_class = AgreementListView
    add_view_class = AgreementCreateView
    edit_view_class = AgreementEditView
    delete_view_class = AgreementDeleteView
    list_display = AGREEMENT_COLUMNS
    # The export holds exactly the list's columns: no notes, no preferences, no legal names.
    list_export = AGREEMENT_COLUMNS
    export_headings = {
        "storyteller": _("Storyteller"),
        "work_label": _("Work"),
        "story_title": _("Story"),
        "agreed_amount": _("Agreed"),
        "paid_amount": _("Paid"),
        "owed_amount": _("Still owed"),
        "status_label": _("Status"),
        "agreed_on_date": _("Date agreed"),
    }
    export_filename = "payment-agreements"
    filterset_class = AgreementFilterSet
    search_fields = ["storyteller__pseudonym", "description", "story__title"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_fields = [
        "storyteller",
        "work",
        "story",
        "description",
        "basis",
        "amount",
        "currency",
        "hours",
        "total",
        "agreed_on",
        "agreed_by",
        "paid_amount",
        "owed_amount",
        "status_label",
        "ended_label",
    ]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return AgreementForm


# -- payments --------------------------------------------------------------------------------


class PaymentFilterSet(WagtailFilterSet):
    answer = django_filters.ChoiceFilter(
        label=_("Storyteller's answer"),
        choices=list(PAYMENT_ANSWER_LABELS.items()),
        method="filter_answer",
        empty_label=_("Any"),
    )

    class Meta:
        model = Payment
        fields = ["storyteller", "kind", "method", "currency"]

    def filter_answer(self, queryset, name, value):
        return selectors.filter_payments_by_answer(queryset, value)


PAYMENT_COLUMNS = [
    "paid_on_date",
    "storyteller_name",
    "for_work",
    "kind_label",
    "signed_display",
    "method_label",
    "reference",
    "answer_label",
    "recorded_by_name",
]


class LedgerIndexView(PaymentIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.kind == Payment.Kind.PAYMENT and self.user_has_permission("add"):
            buttons.append(
                MenuItem(
                    _("Correct"),
                    url=reverse("compensation_correct_payment", args=[instance.pk]),
                    icon_name="rotate",
                    priority=40,
                )
            )
        return buttons


class PaymentViewSet(ModelViewSet):
    model = Payment
    icon = "decimal"
    menu_label = _("Payments")
    index_view_class = LedgerIndexView
    add_view_class = PaymentCreateView
    list_display = PAYMENT_COLUMNS
    list_export = PAYMENT_COLUMNS
    export_headings = {
        "paid_on_date": _("Date"),
        "storyteller_name": _("Storyteller"),
        "for_work": _("For"),
        "kind_label": _("Kind"),
        "signed_display": _("Amount"),
        "method_label": _("Method"),
        "reference": _("Reference"),
        "answer_label": _("Storyteller's answer"),
        "recorded_by_name": _("Recorded by"),
    }
    export_filename = "payments"
    filterset_class = PaymentFilterSet
    search_fields = ["reference", "storyteller__pseudonym", "agreement__description"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_fields = [
        "sequence",
        "storyteller",
        "agreement",
        "kind",
        "reverses",
        "amount",
        "currency",
        "paid_on",
        "method",
        "reference",
        "reason",
        "recorded_by",
        "created_at",
        "receipt_id",
        "answer_label",
        "entry_hash",
    ]
    copy_view_enabled = False
    add_item_label = _("Record a payment")

    def get_form_class(self, for_update=False):
        return PaymentForm


# -- what storytellers said, and how they like to be paid ------------------------------------


class AnswersViewSet(ModelViewSet):
    model = CompensationResponse
    icon = "comment"
    menu_label = _("Storytellers' answers")
    list_display = ["created_at", "storyteller", "response", "about", "method"]
    list_filter = ["response", "storyteller", "method"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "created_at",
        "storyteller",
        "response",
        "about",
        "message",
        "method",
        "recorded_by",
        "witness_name",
        "receipt_id",
    ]
    copy_view_enabled = False
    # Never rendered: the policy refuses add, change and delete to everyone.
    form_fields = ["response"]


class PaymentPreferenceViewSet(ModelViewSet):
    model = PaymentPreference
    icon = "cog"
    menu_label = _("Payment preferences")
    # Never the notes: they are for the edit form alone.
    list_display = ["storyteller", "method", "tax_paperwork_on_file", "may_affect_benefits"]
    list_filter = ["method", "tax_paperwork_on_file", "may_affect_benefits"]
    search_fields = ["storyteller__pseudonym"]
    search_backend_name = None
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return PaymentPreferenceForm


class CompensationViewSetGroup(ModelViewSetGroup):
    menu_label = _("Payments")
    menu_icon = "decimal"
    items = (
        AgreementViewSet("compensation_agreements", url_prefix="compensation/agreements"),
        PaymentViewSet("compensation_payments", url_prefix="compensation/payments"),
        AnswersViewSet("compensation_answers", url_prefix="compensation/answers"),
        PaymentPreferenceViewSet("compensation_preferences", url_prefix="compensation/preferences"),
    )


@hooks.register("register_admin_viewset")
def register_compensation_viewsets():
    return CompensationViewSetGroup()


@hooks.register("register_admin_urls")
def register_compensation_urls():
    return [
        path(
            "compensation/agreements/<int:pk>/end/",
            end_agreement,
            name="compensation_end_agreement",
        ),
        path(
            "compensation/payments/<int:pk>/correct/",
            correct_payment,
            name="compensation_correct_payment",
        ),
        path(
            "compensation/stories/<int:pk>/declined-payment/",
            record_declined_in_person,
            name="compensation_declined_in_person",
        ),
    ]

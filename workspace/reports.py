"""Reports for editors, as Wagtail report views with CSV and XLSX export."""

import django_filters
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from advisory.selectors import finished_reviews
from compensation import selectors as compensation_selectors
from compensation.filters import AgreementStatusFilterSet
from compensation.models import Agreement
from consent.models import ConsentEntry, Storyteller
from stories.models import StoryPage

from . import selectors


class LedgerReadersOnly:
    """Only people who may read the consent ledger (editors, moderators) see these reports."""

    permission_policy = ModelPermissionPolicy(ConsentEntry)
    permission_required = "view"


class ConsentLedgerFilterSet(WagtailFilterSet):
    storyteller = django_filters.ModelChoiceFilter(
        label=_("Storyteller"), queryset=Storyteller.objects.all()
    )
    story = django_filters.ModelChoiceFilter(
        label=_("Story"), queryset=StoryPage.objects.order_by("title")
    )
    decision = django_filters.ChoiceFilter(
        label=_("Decision"), choices=ConsentEntry.Decision.choices
    )
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = ConsentEntry
        fields = ["storyteller", "story", "decision", "created_at"]


class ConsentLedgerReport(LedgerReadersOnly, ReportView):
    page_title = _("Consent ledger")
    header_icon = "list-ul"
    index_url_name = "workspace_consent_ledger"
    index_results_url_name = "workspace_consent_ledger_results"
    filterset_class = ConsentLedgerFilterSet
    export_filename = "consent-ledger"
    columns = [
        Column("sequence", label=_("No.")),
        DateColumn("created_at", label=_("Date")),
        Column("storyteller", label=_("Storyteller")),
        Column("story", label=_("Story")),
        Column("get_decision_display", label=_("Decision")),
        Column("get_method_display", label=_("How")),
        Column("channels_text", label=_("Where")),
        Column("valid_until", label=_("Until")),
    ]
    list_export = [
        "sequence",
        "created_at",
        "storyteller",
        "story",
        "get_decision_display",
        "get_method_display",
        "channels_text",
        "byline",
        "image_allowed",
        "valid_until",
        "receipt_id",
    ]
    export_headings = {
        "sequence": _("No."),
        "created_at": _("Date"),
        "storyteller": _("Storyteller"),
        "story": _("Story"),
        "get_decision_display": _("Decision"),
        "get_method_display": _("How"),
        "channels_text": _("Where"),
        "byline": _("Named as"),
        "image_allowed": _("Photo allowed"),
        "valid_until": _("Until"),
        "receipt_id": _("Receipt"),
    }

    def get_queryset(self):
        return ConsentEntry.objects.select_related("storyteller", "story").order_by("-sequence")

    def decorate_paginated_queryset(self, object_list):
        entries = list(object_list)
        for entry in entries:
            entry.channels_text = ", ".join(str(label) for label in entry.channel_labels())
        return entries


class ReviewTurnaroundReport(LedgerReadersOnly, ReportView):
    page_title = _("Review turnaround")
    header_icon = "time"
    index_url_name = "workspace_turnaround"
    index_results_url_name = "workspace_turnaround_results"
    export_filename = "review-turnaround"
    columns = [
        Column("story", label=_("Story")),
        Column("story.storyteller", label=_("Storyteller")),
        DateColumn("sent", label=_("Sent for review")),
        DateColumn("decided", label=_("Decided")),
        Column("decision", label=_("Decision")),
        Column("days_text", label=_("Days")),
    ]
    list_export = ["story", "story.storyteller", "sent", "decided", "decision", "days_text"]
    export_headings = {
        "story": _("Story"),
        "story.storyteller": _("Storyteller"),
        "sent": _("Sent for review"),
        "decided": _("Decided"),
        "decision": _("Decision"),
        "days_text": _("Days"),
    }

    def get_queryset(self):
        return [_TurnaroundRow(row) for row in selectors.review_turnarounds()]

    def filter_queryset(self, queryset):
        return queryset


class _TurnaroundRow:
    def __init__(self, turnaround):
        self.story = turnaround.story
        self.sent = turnaround.sent
        self.decided = turnaround.decided
        self.decision = turnaround.decision
        self.days_text = f"{turnaround.days:.1f}"


class CompensationFilterSet(AgreementStatusFilterSet):
    class Meta:
        model = Agreement
        fields = ["currency", "status"]


class CompensationReport(ReportView):
    """Every agreement with what was paid and what is owed, in its own currency.

    Pseudonyms only: no legal names, no payment preferences or notes. The export holds the
    list's own columns, read through the same accessors, so the two always match.
    """

    page_title = _("Compensation")
    header_icon = "decimal"
    index_url_name = "workspace_compensation"
    index_results_url_name = "workspace_compensation_results"
    permission_policy = ModelPermissionPolicy(Agreement)
    permission_required = "view"
    filterset_class = CompensationFilterSet
    export_filename = "compensation"
    columns = [
        Column("storyteller.pseudonym", label=_("Storyteller")),
        Column("work_label", label=_("Work")),
        Column("for_what", label=_("For")),
        Column("currency", label=_("Currency")),
        Column("agreed_amount", label=_("Agreed")),
        Column("paid_amount", label=_("Paid")),
        Column("owed_amount", label=_("Still owed")),
        Column("status_label", label=_("Status")),
        Column("agreed_on_date", label=_("Date agreed")),
    ]
    list_export = [column.name for column in columns]
    export_headings = {column.name: column.label for column in columns}

    def get_queryset(self):
        return compensation_selectors.with_answers(Agreement.objects.order_by("agreed_on", "pk"))


class AdvisoryReviewsReport(ReportView):
    """Finished advisory reviews, each with a way to record it as paid advisory work.

    For the people who record agreements; members who are storytellers are named by their
    pseudonym only, and others are not named at all.
    """

    page_title = _("Advisory reviews")
    header_icon = "group"
    index_url_name = "workspace_advisory_reviews"
    index_results_url_name = "workspace_advisory_reviews_results"
    permission_policy = ModelPermissionPolicy(Agreement)
    permission_required = "add"
    export_filename = "advisory-reviews"
    columns = [
        Column("campaign", label=_("Campaign")),
        Column("member", label=_("Member")),
        DateColumn("finished_at", label=_("Decided")),
        Column("decision", label=_("Decision")),
        TitleColumn("record_label", label=_("Pay for it"), get_url=lambda row: row.record_url),
    ]
    list_export = ["campaign", "member", "finished_at", "decision"]
    export_headings = {column.name: column.label for column in columns}

    def get_queryset(self):
        return [_AdvisoryRow(review, storyteller) for review, storyteller in _with_members()]

    def filter_queryset(self, queryset):
        return queryset


def _with_members():
    reviews = list(finished_reviews())
    members = {
        storyteller.user_id: storyteller
        for storyteller in Storyteller.objects.filter(
            user_id__in=[review.finished_by_id for review in reviews]
        )
    }
    return [(review, members.get(review.finished_by_id)) for review in reviews]


class _AdvisoryRow:
    def __init__(self, review, storyteller):
        self.campaign = review.revision.object_str
        self.finished_at = review.finished_at
        self.decision = (
            _("Approved") if review.status == review.STATUS_APPROVED else _("Asked for changes")
        )
        self.member = (
            storyteller.pseudonym if storyteller else _("A member who is not a storyteller")
        )
        self.record_label = _("Record as paid advisory work") if storyteller else ""
        self.record_url = (
            reverse("compensation_agreements:add") + "?" + urlencode({"advisory_review": review.pk})
            if storyteller
            else None
        )

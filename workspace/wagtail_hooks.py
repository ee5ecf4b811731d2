from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .impact import impact_view
from .panels import COMPENSATION_PANELS, HOME_PANELS
from .reports import (
    AdvisoryReviewsReport,
    CompensationReport,
    ConsentLedgerReport,
    ReviewTurnaroundReport,
)


@hooks.register("construct_homepage_panels")
def add_workspace_panels(request, panels):
    """What waits on whom, for the people who may read the consent ledger."""
    if request.user.has_perm("consent.view_consententry"):
        panels.extend(panel(request) for panel in HOME_PANELS)
    if request.user.has_perm("compensation.view_agreement"):
        panels.extend(panel(request) for panel in COMPENSATION_PANELS)


@hooks.register("register_admin_urls")
def register_workspace_urls():
    return [
        path(
            "reports/consent-ledger/",
            ConsentLedgerReport.as_view(),
            name="workspace_consent_ledger",
        ),
        path(
            "reports/consent-ledger/results/",
            ConsentLedgerReport.as_view(results_only=True),
            name="workspace_consent_ledger_results",
        ),
        path("reports/turnaround/", ReviewTurnaroundReport.as_view(), name="workspace_turnaround"),
        path(
            "reports/turnaround/results/",
            ReviewTurnaroundReport.as_view(results_only=True),
            name="workspace_turnaround_results",
        ),
        path("reports/compensation/", CompensationReport.as_view(), name="workspace_compensation"),
        path(
            "reports/compensation/results/",
            CompensationReport.as_view(results_only=True),
            name="workspace_compensation_results",
        ),
        path(
            "reports/advisory-reviews/",
            AdvisoryReviewsReport.as_view(),
            name="workspace_advisory_reviews",
        ),
        path(
            "reports/advisory-reviews/results/",
            AdvisoryReviewsReport.as_view(results_only=True),
            name="workspace_advisory_reviews_results",
        ),
        path("reports/impact/", impact_view, name="workspace_impact"),
    ]


class LedgerReadersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("consent.view_consententry")


@hooks.register("register_reports_menu_item")
def register_consent_ledger_report():
    return LedgerReadersMenuItem(
        _("Consent ledger"),
        reverse_lazy("workspace_consent_ledger"),
        icon_name="list-ul",
        order=700,
    )


@hooks.register("register_reports_menu_item")
def register_turnaround_report():
    return LedgerReadersMenuItem(
        _("Review turnaround"), reverse_lazy("workspace_turnaround"), icon_name="time", order=701
    )


@hooks.register("register_reports_menu_item")
def register_impact_report():
    return LedgerReadersMenuItem(
        _("Impact"), reverse_lazy("workspace_impact"), icon_name="pick", order=702
    )


class CompensationReadersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("compensation.view_agreement")


@hooks.register("register_reports_menu_item")
def register_compensation_report():
    return CompensationReadersMenuItem(
        _("Compensation"), reverse_lazy("workspace_compensation"), icon_name="decimal", order=703
    )


class AgreementRecordersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("compensation.add_agreement")


@hooks.register("register_reports_menu_item")
def register_advisory_reviews_report():
    return AgreementRecordersMenuItem(
        _("Advisory reviews"),
        reverse_lazy("workspace_advisory_reviews"),
        icon_name="group",
        order=704,
    )


@hooks.register("register_admin_viewset")
def register_story_listing():
    from .listing import StoryListingViewSet

    return StoryListingViewSet("stories_listing", url_prefix="story-listing")

"""The Stories listing: every story with where it stands with its storyteller.

Wagtail's page explorer only knows draft, live and "in moderation", so a withdrawn story
and one approved but not yet published both read "draft" there. This flat listing adds the
consent status (workspace.selectors.consent_statuses) and the storyteller, and filters on
both.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import IndexView, PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet

from consent.models import Storyteller
from stories.models import StoryPage

from . import selectors


class StoryListingFilterSet(PageFilterSet):
    consent_status = django_filters.ChoiceFilter(
        label=_("Consent"),
        choices=list(selectors.CONSENT_STATUSES.items()),
        method="filter_consent_status",
        empty_label=_("Any"),
    )
    storyteller = django_filters.ModelChoiceFilter(
        label=_("Storyteller"), queryset=Storyteller.objects.order_by("pseudonym")
    )

    class Meta:
        model = StoryPage
        fields = []

    def filter_consent_status(self, queryset, name, value):
        ids = list(queryset.values_list("pk", flat=True))
        statuses = selectors.consent_statuses(ids)
        return queryset.filter(pk__in=[pk for pk, status in statuses.items() if status == value])


class StoryListingView(IndexView):
    """Wagtail's flat page listing, each row told its consent status in one go."""

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("storyteller")

    def get_table(self, object_list):
        pages = list(object_list)
        statuses = selectors.consent_statuses(page.pk for page in pages)
        for page in pages:
            page.consent_status = statuses.get(page.pk, "draft")
            page.consent_status_label = selectors.CONSENT_STATUSES[page.consent_status]
        return super().get_table(pages)


class StoryListingViewSet(PageListingViewSet):
    model = StoryPage
    index_view_class = StoryListingView
    icon = "doc-full-inverse"
    menu_label = _("Stories")
    menu_order = 150
    add_to_admin_menu = True
    filterset_class = StoryListingFilterSet
    columns = [
        *[column for column in IndexView.base_columns if column.name != "parent"],
        Column("storyteller", label=_("Storyteller"), accessor="storyteller", width="15%"),
        Column(
            "consent_status",
            label=_("Consent"),
            accessor="consent_status_label",
            width="20%",
        ),
    ]

"""The one filter on an agreement's status, for the admin's list and the workspace report."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from . import selectors
from .models import AGREEMENT_STATUS_LABELS, Agreement


class AgreementStatusFilterSet(WagtailFilterSet):
    """Agreements by status (owed, paid, ...), as selectors.filter_by_status reads it."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(code, AGREEMENT_STATUS_LABELS[code]) for code in selectors.STATUSES],
        method="filter_status",
        empty_label=_("Any"),
    )

    class Meta:
        model = Agreement
        fields = ["status"]

    def filter_status(self, queryset, name, value):
        return selectors.filter_by_status(queryset, value)

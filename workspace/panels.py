"""Admin home panels: what waits on whom, at a glance."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.components import Component

from . import selectors


class WorkspacePanel(Component):
    """One list on the admin home, shown to those who can read the consent ledger."""

    template_name = "workspace/panels/list_panel.html"
    heading = ""
    empty = ""

    def __init__(self, request):
        self.request = request

    def rows(self):
        raise NotImplementedError

    def count(self, rows):
        """The number in the heading: how many things wait."""
        return len(rows)

    def get_context_data(self, parent_context=None):
        rows = self.rows()
        return {
            "panel": self,
            "heading": self.heading,
            "empty": self.empty,
            "rows": rows,
            "count": self.count(rows),
        }


class WaitingForStorytellersPanel(WorkspacePanel):
    name = "waiting_for_storytellers"
    order = 60
    heading = _("Waiting for their storyteller")
    empty = _("No story is waiting for its storyteller.")
    template_name = "workspace/panels/waiting.html"

    def rows(self):
        return selectors.waiting_for_storyteller()


class ChangesAskedForPanel(WorkspacePanel):
    name = "changes_asked_for"
    order = 61
    heading = _("Storytellers asked for changes")
    empty = _("No storyteller is waiting for changes.")
    template_name = "workspace/panels/changes.html"

    def rows(self):
        return selectors.changes_asked_for()


class GrantsEndingPanel(WorkspacePanel):
    name = "grants_ending"
    order = 62
    heading = _("Consent ending within 30 days")
    empty = _("No consent ends in the next 30 days.")
    template_name = "workspace/panels/ending.html"

    def rows(self):
        return selectors.grants_ending_soon()


class RecentWithdrawalsPanel(WorkspacePanel):
    name = "recent_withdrawals"
    order = 63
    heading = _("Withdrawn in the last 30 days")
    empty = _("No story was withdrawn in the last 30 days.")
    template_name = "workspace/panels/withdrawals.html"

    def rows(self):
        return selectors.recent_withdrawals()


class CompensationOwedPanel(WorkspacePanel):
    """Money still owed to storytellers, per currency, oldest agreement first."""

    name = "compensation_owed"
    order = 64
    heading = _("Compensation owed")
    empty = _("Nothing is owed to any storyteller.")
    template_name = "workspace/panels/owed.html"

    def rows(self):
        from compensation.selectors import owed_by_currency

        return owed_by_currency()

    def count(self, rows):
        return sum(len(group.agreements) for group in rows)


HOME_PANELS = [
    WaitingForStorytellersPanel,
    ChangesAskedForPanel,
    GrantsEndingPanel,
    RecentWithdrawalsPanel,
]

# Shown only to people who may see what storytellers are paid.
COMPENSATION_PANELS = [CompensationOwedPanel]

"""The advisory group's publication check, an entry in SAYSO_PUBLICATION_CHECKS.

A campaign that needs the group's review goes live only with exactly the content a member
approved (advisory.selectors.advisory_approval_holds).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from consent.selectors import Verdict

from .exceptions import AdvisoryReviewRequired
from .selectors import advisory_approval_holds


@dataclass(frozen=True)
class AdvisoryVerdict(Verdict):
    """The advisory group's answer about a campaign, in the editor's words."""

    @property
    def reason(self):
        if self.allowed:
            return _("The survivor advisory group approved this version of the campaign.")
        return _("The survivor advisory group has not approved this version of the campaign.")

    def refusal(self):
        return AdvisoryReviewRequired(self.reason)


def advisory_group_approved(page, *, publishing=True, **context):
    """For a campaign needing the group's review: did they approve exactly this content?

    None for every other page, and when not publishing.
    """
    needs_review = getattr(page, "needs_advisory_review", None)
    if not publishing or needs_review is None or not needs_review():
        return None
    if advisory_approval_holds(page):
        return AdvisoryVerdict(True, "advisory_approved")
    return AdvisoryVerdict(False, "advisory_review")

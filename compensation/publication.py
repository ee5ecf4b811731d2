"""Compensation's publication check, an entry in SAYSO_PUBLICATION_CHECKS.

The organisation's payment rule gates going live, not staying live: serving, listings and the
expiry sweep ask with ``publishing=False`` and pay nothing for it.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from consent.selectors import Verdict

from .selectors import publishing_policy_allows


@dataclass(frozen=True)
class PaymentVerdict(Verdict):
    """A refusal by the payment rule, in the editor's words."""

    @property
    def reason(self):
        return _(
            "No payment is agreed with %(name)s for this story yet. Record an agreement "
            "for it, or %(name)s can choose not to be paid."
        ) % {"name": self.storyteller_name}


def payment_agreed(page, *, publishing=True, **context):
    """The storyteller has a payment agreement for the story, or chose not to be paid.

    None (nothing to say) for pages that are no story, when not publishing, or when the
    organisation does not require an agreement.
    """
    storyteller_id = getattr(page, "storyteller_id", None)
    story_id = getattr(page, "alias_of_id", None) or page.pk
    if not publishing or storyteller_id is None or story_id is None:
        return None
    if publishing_policy_allows(story_id, storyteller_id):
        return None
    return PaymentVerdict(False, "no_payment_agreed", storyteller_id)

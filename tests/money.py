"""Money as an editor records it: what is agreed with a storyteller, and what is paid.

Shared by every test that needs an agreement or a payment, so each says only what matters
to it (the amount, the day, the method) and the services are called one way.
"""

from decimal import Decimal

from compensation import services
from compensation.models import PaymentMethod, Work, today


def agree(storyteller, editor, amount, currency="GBP", *, work=Work.SPEAKING, **fields):
    """Agree to pay the storyteller ``amount`` for a piece of work (description, story...)."""
    return services.record_agreement(
        storyteller=storyteller,
        work=work,
        amount=Decimal(amount),
        currency=currency,
        agreed_by=editor,
        **fields,
    )


def pay(
    agreement, editor, amount, *, paid_on=None, method=PaymentMethod.MOBILE_MONEY, reference=""
):
    """Record a payment under the agreement, paid today unless ``paid_on`` says otherwise."""
    return services.record_payment(
        agreement=agreement,
        amount=Decimal(amount),
        paid_on=paid_on or today(),
        method=method,
        reference=reference,
        recorded_by=editor,
    )

"""Writes about compensation: every agreement, payment and answer goes through these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from consent.exceptions import NotTheStoryteller
from core.db import retrying
from core.in_person import witness_named
from core.ledger import lock_head

from .models import Agreement, AgreementChange, CompensationResponse, Payment, today


class PaymentRefused(ValidationError):
    """A payment, correction or answer that the rules don't allow, in plain words."""


@transaction.atomic
def record_agreement(
    *,
    storyteller,
    work,
    amount,
    currency,
    agreed_by,
    basis=Agreement.Basis.FLAT,
    hours=None,
    story=None,
    description="",
    agreed_on=None,
):
    """Record what the organisation agreed to pay a storyteller for a piece of work."""
    agreement = Agreement(
        storyteller=storyteller,
        work=work,
        story=story,
        description=description,
        basis=basis,
        amount=amount,
        currency=currency,
        hours=hours,
        agreed_on=agreed_on or today(),
        agreed_by=agreed_by,
    )
    agreement.full_clean()
    agreement.save()
    return agreement


@retrying
@transaction.atomic
def end_agreement(*, agreement, reason, recorded_by):
    """End an agreement with a reason, instead of deleting it: what was owed stays on record.

    The storyteller reads the reason in her payments page; the balance (agreed, paid, still
    owed) is kept and shown to her and to the editors as before.
    """
    if not reason.strip():
        raise PaymentRefused(_("Say why the agreement is ending: the storyteller will read it."))
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    entry = AgreementChange(
        agreement=agreement,
        storyteller_id=agreement.storyteller_id,
        kind=AgreementChange.Kind.ENDED,
        total_before=agreement.total,
        total_after=agreement.total,
        currency=agreement.currency,
        reason=reason.strip(),
        recorded_by=recorded_by,
    )
    entry.save()
    return entry


@retrying
@transaction.atomic
def record_payment(*, agreement, amount, paid_on, method, recorded_by, reference=""):
    """Add a payment to the ledger. More than agreed is allowed, and shows as overpaid."""
    # With the payments ledger locked, a decline recorded at the same moment is either
    # seen here or waits for this payment and is refused (CompensationResponse).
    lock_head(Payment)
    agreement = Agreement.objects.select_related("storyteller").get(pk=agreement.pk)
    if agreement.is_declined():
        raise PaymentRefused(
            _("%(name)s chose not to be paid for this.") % {"name": agreement.storyteller}
        )
    payment = Payment(
        agreement=agreement,
        storyteller=agreement.storyteller,
        kind=Payment.Kind.PAYMENT,
        amount=amount,
        currency=agreement.currency,
        paid_on=paid_on,
        method=method,
        reference=reference,
        recorded_by=recorded_by,
    )
    payment.save()
    return payment


@retrying
@transaction.atomic
def reverse_payment(*, payment, amount, reason, recorded_by, on=None):
    """Correct a payment by taking back part or all of it; never more than is left of it."""
    if not reason.strip():
        raise PaymentRefused(_("Say why the payment is being corrected."))
    lock_head(Payment)
    payment = Payment.objects.select_related("agreement").get(pk=payment.pk)
    correction = Payment(
        agreement=payment.agreement,
        storyteller_id=payment.storyteller_id,
        kind=Payment.Kind.REVERSAL,
        reverses=payment,
        amount=amount,
        currency=payment.currency,
        paid_on=on or today(),
        method=payment.method,
        reference=payment.reference,
        reason=reason.strip(),
        recorded_by=recorded_by,
    )
    correction.save()
    return correction


def _require_storyteller(user, storyteller):
    if user is None or storyteller.user_id != user.pk:
        raise NotTheStoryteller(_("Only the storyteller can answer for themselves."))


def _answer(storyteller, response, **fields):
    entry = CompensationResponse(storyteller=storyteller, response=response, **fields)
    entry.save()
    return entry


@retrying
@transaction.atomic
def confirm_agreement(*, agreement, user):
    """The storyteller confirms the agreement's terms as they read them."""
    _require_storyteller(user, agreement.storyteller)
    return _answer(
        agreement.storyteller,
        CompensationResponse.Response.CONFIRMED,
        agreement=agreement,
        terms_hash=agreement.terms_hash(),
    )


def _paid_so_far(agreement):
    return Agreement.objects.get(pk=agreement.pk).balance().paid


@retrying
@transaction.atomic
def choose_not_to_be_paid(
    *, storyteller, agreement=None, story=None, user=None, recorded_by=None, witness_name=""
):
    """The storyteller chooses not to be paid for an agreement, or for a story without one.

    Their choice, recorded like consent: by them in the portal (``user``), or by an editor
    with a witness when they said it in person (``recorded_by`` and ``witness_name``).
    """
    fields = _who_records(storyteller, user, recorded_by, witness_name)
    if agreement is not None:
        lock_head(Payment)
        if _paid_so_far(agreement) > 0:
            raise PaymentRefused(
                _("Money was already paid for this. Talk with the editors about it.")
            )
    return _answer(
        storyteller,
        CompensationResponse.Response.DECLINED,
        agreement=agreement,
        story_id=None if agreement is not None else story.pk,
        **fields,
    )


@retrying
@transaction.atomic
def choose_to_be_paid(*, storyteller, agreement=None, story=None, user=None):
    """The storyteller changes their mind: they would like to be paid after all."""
    _require_storyteller(user, storyteller)
    return _answer(
        storyteller,
        CompensationResponse.Response.WANTS_PAYMENT,
        agreement=agreement,
        story_id=None if agreement is not None else story.pk,
    )


def _who_records(storyteller, user, recorded_by, witness_name):
    if recorded_by is None:
        _require_storyteller(user, storyteller)
        return {"method": CompensationResponse.Method.PORTAL}
    if not recorded_by.has_perm("compensation.change_agreement"):
        raise NotTheStoryteller(_("You can't record this for the storyteller."))
    return {
        "method": CompensationResponse.Method.IN_PERSON,
        "recorded_by": recorded_by,
        "witness_name": witness_named(witness_name, refusal=PaymentRefused),
    }


@retrying
@transaction.atomic
def confirm_received(*, payment, user):
    """The storyteller says the money arrived."""
    _require_paid_to(user, payment)
    return _answer(payment.storyteller, CompensationResponse.Response.RECEIVED, payment=payment)


@retrying
@transaction.atomic
def report_problem(*, payment, user, message):
    """The storyteller says something's wrong with a payment; the editors are told."""
    from .notifications import notify_editors_of_problem

    _require_paid_to(user, payment)
    if not message.strip():
        raise PaymentRefused(_("Tell us what's wrong, in your own words."))
    entry = _answer(
        payment.storyteller,
        CompensationResponse.Response.PROBLEM,
        payment=payment,
        message=message.strip(),
    )
    transaction.on_commit(lambda: notify_editors_of_problem(payment))
    return entry


def _require_paid_to(user, payment):
    _require_storyteller(user, payment.storyteller)
    if payment.kind != Payment.Kind.PAYMENT:
        raise PaymentRefused(_("Only a payment can be answered."))

"""Paying storytellers for their work: agreements, how they like to be paid, what was paid.

Payments and the storytellers' own answers (confirmed, chose not to be paid, received,
something's wrong) are append-only, hash-chained ledgers, like consent: a mistake is
corrected by a new entry, never by editing an old one.
"""

import secrets
import uuid
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from consent.models import Storyteller

# One "today" for the whole project (UTC); migrations refer to it as compensation.models.today.
from consent.selectors import today  # noqa: F401
from core.crypto import EncryptedTextField
from core.hashing import sha256_of
from core.ledger import AppendOnlyQuerySet, LedgerEntry

from . import money
from .balances import Balance


class Work(models.TextChoices):
    STORY = "story", _("Telling a story")
    REVIEW = "review", _("A review session")
    SPEAKING = "speaking", _("Speaking")
    ADVISORY = "advisory", _("Advisory work")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    PREPAID_CARD = "prepaid_card", _("Prepaid card")
    CHEQUE = "cheque", _("Cheque")


class AgreementIsFixed(ValidationError):
    """A change or deletion that would move money under a storyteller, in plain words."""


# Once she has answered about an agreement or been paid under it, these say whose money it
# is, for what and in which currency: changing one would move her payment into someone
# else's portal, or count it in another currency.
FIXED_FIELDS = ("storyteller", "story", "currency")


class AgreementQuerySet(models.QuerySet):
    def delete(self):
        # Bulk deletion (a script, the shell, a future bulk action) obeys the same rule as
        # deleting one agreement: each is checked, and one refusal stops them all.
        for agreement in self:
            agreement.refuse_deletion_if_needed()
        return super().delete()

    def update(self, **kwargs):
        moved = {
            name
            for name in kwargs
            if name.removesuffix("_id") in FIXED_FIELDS
            # Erasing a story at her request unlinks it (story=None); what is owed stays.
            and not (name.removesuffix("_id") == "story" and kwargs[name] is None)
        }
        if moved and any(agreement.is_fixed() for agreement in self):
            raise AgreementIsFixed(
                gettext("Who, what and which currency an agreement is for can't change now.")
            )
        return super().update(**kwargs)


class Agreement(models.Model):
    """What the organisation agreed to pay a storyteller for a piece of work.

    Its rules, guarded here for every door (the admin, a script, a bulk action): once the
    storyteller has answered about it or been paid under it, its storyteller, story and
    currency are fixed and it can't be deleted, only ended by an entry in the ledger of
    agreement changes (AgreementChange), which keeps what was owed on record; deleting one
    that a live story's payment rule relies on is refused too; and lowering what was
    agreed is recorded in the same ledger with the editor's reason, which she reads.
    """

    class Basis(models.TextChoices):
        FLAT = "flat", _("A fixed amount")
        HOURLY = "hourly", _("By the hour")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    storyteller = models.ForeignKey(
        Storyteller,
        verbose_name=_("storyteller"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    work = models.CharField(_("work"), max_length=20, choices=Work.choices)
    story = models.ForeignKey(
        "stories.StoryPage",
        verbose_name=_("story"),
        null=True,
        blank=True,
        # Erasing a story at its storyteller's request leaves what is owed for it.
        on_delete=models.SET_NULL,
        related_name="agreements",
        help_text=_("The story this pays for, if it is for one."),
    )
    description = models.CharField(
        _("what it is for"),
        max_length=200,
        blank=True,
        help_text=_("A few words the storyteller will read, e.g. “Panel at the spring event”."),
    )
    basis = models.CharField(_("paid"), max_length=10, choices=Basis.choices, default=Basis.FLAT)
    amount = models.DecimalField(
        _("amount"),
        max_digits=money.MAX_DIGITS,
        decimal_places=money.STORED_PLACES,
        help_text=_("The whole amount, or the rate for one hour."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[money.validate_currency], default="GBP"
    )
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, null=True, blank=True)
    total = models.DecimalField(
        _("total agreed"),
        max_digits=money.MAX_DIGITS,
        decimal_places=money.STORED_PLACES,
        editable=False,
    )
    agreed_on = models.DateField(_("date agreed"), default=today)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agreed for the organisation by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-agreed_on", "-pk"]
        verbose_name = _("payment agreement")
        verbose_name_plural = _("payment agreements")

    def __str__(self):
        return f"{self.storyteller} · {self.work_label()} · {self.agreed_amount()}"

    def save(self, *args, **kwargs):
        self.total = self.compute_total()
        if self.pk is None or self._state.adding:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            # Locked, so a payment or an answer can't slip in between the check and the save.
            stored = Agreement.objects.select_for_update().filter(pk=self.pk).first()
            if stored is None:
                return super().save(*args, **kwargs)
            self._check_change_from(stored)
            super().save(*args, **kwargs)
            if self.total < stored.total:
                AgreementChange(
                    agreement=self,
                    storyteller_id=self.storyteller_id,
                    kind=AgreementChange.Kind.CORRECTED,
                    total_before=stored.total,
                    total_after=self.total,
                    currency=self.currency,
                    reason=self.change_reason.strip(),
                    recorded_by=self.changed_by or self.agreed_by,
                ).save()
        return None

    # Set by whoever lowers the amount (the admin form, services.change_agreement): the
    # reason she reads, and who gave it.
    change_reason = ""
    changed_by = None

    def _check_change_from(self, stored):
        if stored.ending() is not None and (
            self.terms_hash() != stored.terms_hash()
            or (self.storyteller_id, self.agreed_by_id)
            != (stored.storyteller_id, stored.agreed_by_id)
        ):
            raise AgreementIsFixed(gettext("This agreement was ended; it can't change now."))
        if stored.is_fixed():
            columns = ("storyteller_id", "story_id", "currency")
            moved = [name for name in columns if getattr(self, name) != getattr(stored, name)]
            if moved:
                raise AgreementIsFixed(fixed_reason(stored), code="fixed")
        if self.total < stored.total and not self.change_reason.strip():
            raise AgreementIsFixed(
                {
                    "amount": gettext(
                        "This lowers what was agreed. Say why: the storyteller will read it."
                    )
                },
                code="reason_needed",
            )

    def is_fixed(self):
        """True once the storyteller answered about this agreement or was paid under it."""
        if self.pk is None:
            return False
        return (
            Payment.objects.filter(agreement_id=self.pk).exists()
            or CompensationResponse.objects.filter(agreement_id=self.pk).exists()
        )

    def ending(self):
        """The entry that ended this agreement, or None while it runs."""
        if self.pk is None:
            return None
        return self.changes_made().filter(kind=AgreementChange.Kind.ENDED).first()

    def changes_made(self):
        """Corrections and the ending recorded for this agreement, oldest first."""
        return AgreementChange.objects.filter(agreement_id=self.pk).order_by("sequence")

    def deletion_refusal(self):
        """Why this agreement can't be deleted, in plain words, or "" when it can."""
        if self.is_fixed() or self.changes_made().exists():
            return fixed_reason(self)
        if self.story_id and self.story.live:
            return gettext(
                "“%(story)s” is published because this payment is agreed. Deleting it "
                "would lose what %(name)s is owed; end the agreement instead, with a reason."
            ) % {"story": self.story.title, "name": self.storyteller}
        return ""

    def refuse_deletion_if_needed(self):
        refusal = self.deletion_refusal()
        if refusal:
            raise AgreementIsFixed(refusal, code="undeletable")

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            Agreement.objects.select_for_update().filter(pk=self.pk).first()
            self.refuse_deletion_if_needed()
            return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if self.currency:
            try:
                money.validate_currency(self.currency)
                money.validate_amount(self.amount, self.currency)
            except ValidationError as error:
                errors.setdefault("amount" if error.code != "currency" else "currency", []).append(
                    error
                )
        if self.basis == self.Basis.HOURLY and not (self.hours and self.hours > 0):
            errors["hours"] = [_("Give the number of hours for work paid by the hour.")]
        if self.basis == self.Basis.FLAT and self.hours:
            errors["hours"] = [_("Leave hours empty for a fixed amount.")]
        if not errors and self.amount is not None and self.currency:
            # The total is stored too, and every payments page adds it up: refuse here what
            # the column could not hold, rather than fail on saving or on every page after.
            try:
                money.validate_storable(self.compute_total(), self.currency)
            except ValidationError as error:
                errors["hours" if self.basis == self.Basis.HOURLY else "amount"] = [error]
        if (
            self.story_id
            and self.storyteller_id
            and self.story.storyteller_id != self.storyteller_id
        ):
            errors["story"] = [_("That story belongs to another storyteller.")]
        if errors:
            raise ValidationError(errors)

    def compute_total(self):
        if self.basis == self.Basis.HOURLY:
            return money.quantize(self.amount * (self.hours or Decimal(0)), self.currency)
        return money.quantize(self.amount, self.currency)

    def terms_hash(self):
        """The terms a storyteller confirms; if an editor changes them, they confirm again."""
        terms = {
            "work": self.work,
            "story": self.story_id,
            "description": self.description,
            "basis": self.basis,
            "amount": money.hashable(self.amount),
            "currency": self.currency,
            "hours": money.hashable(self.hours) if self.hours is not None else None,
            "agreed_on": self.agreed_on.isoformat(),
        }
        return sha256_of(terms)

    # What the storyteller's answers and payments say. These read `responses` and
    # `payments` through .all(), so a listing that prefetches both costs two queries.

    def _latest(self, responses, kinds):
        chosen = [r for r in responses if r.response in kinds]
        return max(chosen, key=lambda r: r.sequence) if chosen else None

    def is_declined(self):
        """True when the storyteller's latest word on being paid for this is "no, thanks"."""
        latest = self._latest(
            self.responses.all(),
            {CompensationResponse.Response.DECLINED, CompensationResponse.Response.WANTS_PAYMENT},
        )
        return latest is not None and latest.response == CompensationResponse.Response.DECLINED

    def confirmation(self):
        """The storyteller's confirmation of exactly these terms, if they gave one."""
        latest = self._latest(self.responses.all(), {CompensationResponse.Response.CONFIRMED})
        if latest is not None and latest.terms_hash == self.terms_hash():
            return latest
        return None

    def balance(self):
        """Agreed − paid for this agreement (nothing is agreed once they said no, thanks)."""
        paid = sum((p.signed_amount for p in self.payments.all()), Decimal(0))
        agreed = Decimal(0) if self.is_declined() else self.total
        return Balance(self.currency, agreed, paid)

    def is_disputed(self):
        return any(p.answer_code() == "problem" for p in self.payments.all())

    def status(self):
        """One word for where this agreement stands: declined, disputed, overpaid, owed, paid."""
        if self.is_declined():
            return "declined"
        if self.is_disputed():
            return "disputed"
        balance = self.balance()
        if balance.overpaid:
            return "overpaid"
        return "owed" if balance.owed > 0 else "paid"

    # Columns of the admin list and of its CSV export (the same accessors, so they match).

    def work_label(self):
        return self.get_work_display()

    work_label.short_description = _("work")

    def story_title(self):
        return self.story.title if self.story_id else ""

    story_title.short_description = _("story")

    def for_what(self):
        """The story's title, or the editor's few words on what the work was."""
        return self.story.title if self.story_id else self.description

    for_what.short_description = _("for")

    def agreed_amount(self):
        return money.format_money(self.total, self.currency)

    agreed_amount.short_description = _("agreed")

    def paid_amount(self):
        return money.format_money(self.balance().paid, self.currency)

    paid_amount.short_description = _("paid")

    def owed_amount(self):
        return money.format_money(self.balance().owed, self.currency)

    owed_amount.short_description = _("still owed")

    def status_label(self):
        return str(AGREEMENT_STATUS_LABELS[self.status()])

    status_label.short_description = _("status")

    def ended_label(self):
        ended = self.ending()
        if ended is None:
            return ""
        return gettext("Ended on %(date)s: %(reason)s") % {
            "date": date_format(ended.created_at, "j F Y"),
            "reason": ended.reason,
        }

    ended_label.short_description = _("ended")

    def agreed_on_date(self):
        return date_format(self.agreed_on, "j F Y")

    agreed_on_date.short_description = _("date agreed")
    agreed_on_date.admin_order_field = "agreed_on"

    def agreed_by_name(self):
        return self.agreed_by.get_full_name() or self.agreed_by.get_username()

    agreed_by_name.short_description = _("agreed by")


AGREEMENT_STATUS_LABELS = {
    "owed": _("Owed"),
    "paid": _("Paid"),
    "overpaid": _("Paid more than agreed"),
    "disputed": _("Storyteller says something's wrong"),
    "declined": _("Chose not to be paid"),
}


class PaymentPreference(models.Model):
    """How a storyteller likes to be paid. Private: never public, never logged, never exported."""

    storyteller = models.OneToOneField(
        Storyteller,
        verbose_name=_("storyteller"),
        on_delete=models.CASCADE,
        related_name="payment_preference",
    )
    method = models.CharField(
        _("how they like to be paid"), max_length=20, choices=PaymentMethod.choices
    )
    notes = EncryptedTextField(
        _("private notes"),
        blank=True,
        help_text=_(
            "Details needed to pay them. Stored encrypted; shown only on this form, "
            "never in lists or exports."
        ),
    )
    tax_paperwork_on_file = models.BooleanField(_("tax paperwork on file"), default=False)
    may_affect_benefits = models.BooleanField(
        _("payments may affect their benefits"),
        default=False,
        help_text=_("Talk with them before paying: money can change what they receive."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    # The model's promise above, kept by consent.export.
    never_exported = ("notes",)

    class Meta:
        verbose_name = _("payment preference")
        verbose_name_plural = _("payment preferences")

    def __str__(self):
        # Wagtail's admin log records this text: it must never carry the notes.
        return gettext("Payment preferences of %(name)s") % {"name": self.storyteller}


class Payment(LedgerEntry):
    """Money paid to a storyteller, or a correction reversing part or all of a payment."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REVERSAL = "reversal", _("Correction")

    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="payments"
    )
    storyteller = models.ForeignKey(
        Storyteller, verbose_name=_("storyteller"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    amount = models.DecimalField(
        _("amount"), max_digits=money.MAX_DIGITS, decimal_places=money.STORED_PLACES
    )
    currency = models.CharField(_("currency"), max_length=3)
    paid_on = models.DateField(_("date"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("The organisation's reference, e.g. a transfer number. Not account details."),
    )
    reason = models.CharField(_("why it was corrected"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    ledger_title = "The payments ledger"

    class Meta(LedgerEntry.Meta):
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.get_kind_display()} {self.signed_display()} · {self.paid_on:%Y-%m-%d}"

    def check_before_append(self):
        """The ledger's own rules, checked as the entry is chained (the chain is locked).

        Declining an agreement locks this ledger too (CompensationResponse), so "she chose
        not to be paid" and "no money was paid yet" can't both be true of a racing pair.
        """
        # Read afresh under the lock: a copy loaded before it may predate her answer.
        agreement = Agreement.objects.get(pk=self.agreement_id)
        if self.kind == self.Kind.PAYMENT and agreement.is_declined():
            raise ValidationError(
                gettext("%(name)s chose not to be paid for this.") % {"name": agreement.storyteller}
            )
        if self.storyteller_id != agreement.storyteller_id:
            raise ValidationError(gettext("A payment is for the agreement's own storyteller."))
        if self.currency != agreement.currency:
            raise ValidationError(
                gettext("This agreement is in %(currency)s; record the payment in it too.")
                % {"currency": agreement.currency}
            )
        money.validate_amount(self.amount, self.currency)
        if self.kind == self.Kind.PAYMENT:
            if self.reverses_id is not None:
                raise ValidationError(gettext("A payment reverses nothing."))
            return
        reversed_payment = self.reverses
        if reversed_payment is None or reversed_payment.kind != self.Kind.PAYMENT:
            raise ValidationError(gettext("A correction reverses one payment."))
        if reversed_payment.agreement_id != self.agreement_id:
            raise ValidationError(gettext("A correction belongs to its payment's agreement."))
        if self.amount > reversed_payment.reversible_amount():
            raise ValidationError(
                gettext("A correction can't take back more than is left of the payment: %s.")
                % money.format_money(reversed_payment.reversible_amount(), self.currency),
                code="exceeds_payment",
            )

    def chained_fields(self):
        return {
            **super().chained_fields(),
            "receipt_id": str(self.receipt_id),
            "agreement": self.agreement_id,
            "storyteller": self.storyteller_id,
            "kind": self.kind,
            "reverses": self.reverses_id,
            "amount": money.hashable(self.amount),
            "currency": self.currency,
            "paid_on": self.paid_on.isoformat(),
            "method": self.method,
            "reference": self.reference,
            "reason": self.reason,
            "recorded_by": self.recorded_by_id,
        }

    @property
    def signed_amount(self):
        """What this entry adds to the amount paid: a correction takes away."""
        return self.amount if self.kind == self.Kind.PAYMENT else -self.amount

    def reversible_amount(self):
        """What is left of this payment for corrections to take back."""
        taken = Payment.objects.filter(reverses=self).aggregate(total=models.Sum("amount"))
        return self.amount - (taken["total"] or Decimal(0))

    def answer(self):
        """The storyteller's latest word on this payment: received, or something's wrong."""
        answers = [
            r
            for r in self.responses.all()
            if r.response
            in (CompensationResponse.Response.RECEIVED, CompensationResponse.Response.PROBLEM)
        ]
        return max(answers, key=lambda r: r.sequence) if answers else None

    def answer_code(self):
        answer = self.answer()
        return answer.response if answer else "none"

    # Columns of the admin list and its CSV export.

    def paid_on_date(self):
        return date_format(self.paid_on, "j F Y")

    paid_on_date.short_description = _("date")
    paid_on_date.admin_order_field = "paid_on"

    def storyteller_name(self):
        return str(self.storyteller)

    storyteller_name.short_description = _("storyteller")

    def for_work(self):
        agreement = self.agreement
        if agreement.story_id:
            return f"{agreement.work_label()}: {agreement.story.title}"
        if agreement.description:
            return f"{agreement.work_label()}: {agreement.description}"
        return agreement.work_label()

    for_work.short_description = _("for")

    def kind_label(self):
        return self.get_kind_display()

    kind_label.short_description = _("kind")

    def signed_display(self):
        return money.format_money(self.signed_amount, self.currency)

    signed_display.short_description = _("amount")

    def method_label(self):
        return self.get_method_display()

    method_label.short_description = _("method")

    def answer_label(self):
        if self.kind != self.Kind.PAYMENT:
            return ""
        return str(PAYMENT_ANSWER_LABELS[self.answer_code()])

    answer_label.short_description = _("storyteller's answer")

    def recorded_by_name(self):
        return self.recorded_by.get_full_name() or self.recorded_by.get_username()

    recorded_by_name.short_description = _("recorded by")


PAYMENT_ANSWER_LABELS = {
    "none": _("Not answered yet"),
    "received": _("Received"),
    "problem": _("Something's wrong"),
}


class AnswerQuerySet(AppendOnlyQuerySet):
    def reduce_to_tombstones(self):
        """Erase these answers' personal payload, keeping their place and hash in the chain.

        The only change the answers ledger accepts, used by consent.erasure alone.
        """
        with transaction.atomic():
            # Lock by primary key: the caller's filter may join other tables, and PostgreSQL
            # can't lock rows on the nullable side of an outer join.
            chosen = list(self.values_list("pk", flat=True))
            pks = list(
                CompensationResponse.objects.select_for_update()
                .filter(pk__in=chosen, erased_at__isnull=True)
                .values_list("pk", flat=True)
            )
            if pks:
                models.QuerySet.update(
                    CompensationResponse.objects.filter(pk__in=pks),
                    erased_at=timezone.now(),
                    **CompensationResponse.TOMBSTONE_PAYLOAD,
                )
            return len(pks)


class CompensationResponse(LedgerEntry):
    """A storyteller's own word about being paid, recorded like consent: never changed."""

    class Response(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed the agreement")
        DECLINED = "declined", _("Chose not to be paid")
        WANTS_PAYMENT = "wants_payment", _("Would like to be paid")
        RECEIVED = "received", _("Received the payment")
        PROBLEM = "problem", _("Said something's wrong")

    class Method(models.TextChoices):
        PORTAL = "portal", _("By the storyteller, in their space")
        IN_PERSON = "in_person", _("In person, recorded by an editor with a witness")

    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    storyteller = models.ForeignKey(
        Storyteller,
        verbose_name=_("storyteller"),
        on_delete=models.PROTECT,
        related_name="compensation_responses",
    )
    response = models.CharField(_("what they said"), max_length=20, choices=Response.choices)
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    # The story's id, not a foreign key: an answer is evidence and stays in the chain even
    # when the story itself is erased at the storyteller's request.
    story_id = models.PositiveBigIntegerField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    # The terms they confirmed: a later change by an editor needs their confirmation again.
    terms_hash = models.CharField(max_length=64, blank=True)
    # Their own words about a problem may hold private details: kept encrypted.
    message = EncryptedTextField(_("their message"), blank=True)
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.PORTAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    witness_name = models.CharField(max_length=120, blank=True)
    # As in the consent ledger: the entry hash covers the personal payload (the story, her
    # message, who recorded it and the witness) only through a salted hash, so erasure can
    # blank the payload and the chain still verifies. The salt goes with it, so a tombstone's
    # hash can't confirm a guess at what she wrote.
    payload_salt = models.CharField(max_length=64, blank=True, editable=False)
    payload_hash = models.CharField(max_length=64, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AnswerQuerySet.as_manager()

    # Never in her export: it only makes the hash unguessable.
    never_exported = ("payload_salt",)

    # What erasure blanks, and what is left: what she said (confirmed, received…) and
    # about which agreement or payment, because payment records are kept.
    TOMBSTONE_PAYLOAD = {
        "story_id": None,
        "message": "",
        "recorded_by_id": None,
        "witness_name": "",
        "payload_salt": "",
    }

    ledger_title = "The ledger of storytellers' answers"

    class Meta(LedgerEntry.Meta):
        verbose_name = _("storyteller's answer")
        verbose_name_plural = _("storytellers' answers")

    def __str__(self):
        return f"{self.get_response_display()} · {self.receipt_id}"

    def ledgers_to_lock_first(self):
        # Declining checks that nothing was paid: the payments ledger must hold still.
        if self.response == self.Response.DECLINED and self.agreement_id is not None:
            return [Payment]
        return []

    def check_before_append(self):
        StoryPage = apps.get_model("stories", "StoryPage")  # stories is built on compensation
        if self.response == self.Response.DECLINED and self.agreement_id is not None:
            paid = Agreement.objects.get(pk=self.agreement_id).balance().paid
            if paid > 0:
                raise ValidationError(
                    gettext("Money was already paid for this. Talk with the editors about it.")
                )
        targets = {
            "agreement": self.agreement_id,
            "story": self.story_id,
            "payment": self.payment_id,
        }
        given = {name for name, value in targets.items() if value is not None}
        allowed = {
            self.Response.CONFIRMED: [{"agreement"}],
            self.Response.DECLINED: [{"agreement"}, {"story"}, {"agreement", "story"}],
            self.Response.WANTS_PAYMENT: [{"agreement"}, {"story"}, {"agreement", "story"}],
            self.Response.RECEIVED: [{"payment"}],
            self.Response.PROBLEM: [{"payment"}],
        }[self.response]
        if given not in allowed:
            raise ValidationError(gettext("This answer is about something else."))
        owners = {
            self.agreement.storyteller_id if self.agreement_id else None,
            StoryPage.objects.filter(pk=self.story_id)
            .values_list("storyteller_id", flat=True)
            .first()
            if self.story_id
            else None,
            self.payment.storyteller_id if self.payment_id else None,
        } - {None}
        if owners != {self.storyteller_id}:
            raise ValidationError(gettext("A storyteller answers only about their own payments."))

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.payload_salt = secrets.token_hex(32)
            self.payload_hash = self.compute_payload_hash()
        super().save(*args, **kwargs)

    def payload_fields(self):
        """The personal part of the answer, in a canonical form; erasure can remove it."""
        return {
            "story": self.story_id,
            "message": self.message,
            "recorded_by": self.recorded_by_id,
            "witness_name": self.witness_name,
            "salt": self.payload_salt,
        }

    def compute_payload_hash(self):
        return sha256_of(self.payload_fields())

    @property
    def is_tombstone(self):
        return self.erased_at is not None

    def payload_is_erased(self):
        """True when nothing of the payload is left (what a tombstone must look like)."""
        blank = CompensationResponse()
        for attname, value in self.TOMBSTONE_PAYLOAD.items():
            setattr(blank, attname, value)
        return self.payload_fields() == blank.payload_fields()

    def chained_fields(self):
        # A live entry's payload is hashed afresh, so words changed by SQL fail verification;
        # only a tombstone whose payload is entirely blank relies on the stored hash.
        if self.is_tombstone and self.payload_is_erased():
            payload_hash = self.payload_hash
        else:
            payload_hash = self.compute_payload_hash()
        return {
            **super().chained_fields(),
            "receipt_id": str(self.receipt_id),
            "storyteller": self.storyteller_id,
            "response": self.response,
            "agreement": self.agreement_id,
            "payment": self.payment_id,
            "terms_hash": self.terms_hash,
            "method": self.method,
            "payload_hash": payload_hash,
        }

    def about(self):
        if self.payment_id:
            return str(self.payment)
        if self.agreement_id:
            return str(self.agreement)
        StoryPage = apps.get_model("stories", "StoryPage")  # stories is built on compensation
        story = StoryPage.objects.filter(pk=self.story_id).first() if self.story_id else None
        return story.title if story else ""

    about.short_description = _("about")


def fixed_reason(agreement):
    """The plain reason an agreement's storyteller, story and currency can't change."""
    return gettext(
        "%(name)s has seen this agreement or been paid under it, so who it is for, the story "
        "and the currency can't change, and it can't be deleted. To stop it, end it with a "
        "reason: what was agreed and paid stays on record for %(name)s and for you."
    ) % {"name": agreement.storyteller}


class AgreementChange(LedgerEntry):
    """An editor's change to an agreement that she must be able to see: ended, or lowered.

    Append-only and hash-chained like payments: an agreement is never deleted under her,
    and what was agreed before a correction stays readable.
    """

    class Kind(models.TextChoices):
        CORRECTED = "corrected", _("Amount lowered")
        ENDED = "ended", _("Ended")

    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="changes"
    )
    storyteller = models.ForeignKey(
        Storyteller, verbose_name=_("storyteller"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    total_before = models.DecimalField(
        _("agreed before"), max_digits=money.MAX_DIGITS, decimal_places=money.STORED_PLACES
    )
    total_after = models.DecimalField(
        _("agreed after"), max_digits=money.MAX_DIGITS, decimal_places=money.STORED_PLACES
    )
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("why"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    ledger_title = "The ledger of changes to agreements"

    class Meta(LedgerEntry.Meta):
        verbose_name = _("change to an agreement")
        verbose_name_plural = _("changes to agreements")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d}"

    def check_before_append(self):
        if not self.reason.strip():
            raise ValidationError(gettext("Say why: the storyteller will read it."))
        if self.storyteller_id != self.agreement.storyteller_id:
            raise ValidationError(gettext("A change is for the agreement's own storyteller."))
        if (
            self.kind == self.Kind.ENDED
            and AgreementChange.objects.filter(
                agreement_id=self.agreement_id, kind=self.Kind.ENDED
            ).exists()
        ):
            raise ValidationError(gettext("This agreement was already ended."))

    def chained_fields(self):
        return {
            **super().chained_fields(),
            "receipt_id": str(self.receipt_id),
            "agreement": self.agreement_id,
            "storyteller": self.storyteller_id,
            "kind": self.kind,
            "total_before": money.hashable(self.total_before),
            "total_after": money.hashable(self.total_after),
            "currency": self.currency,
            "reason": self.reason,
            "recorded_by": self.recorded_by_id,
        }

    def amount_before(self):
        return money.format_money(self.total_before, self.currency)

    def amount_after(self):
        return money.format_money(self.total_after, self.currency)


@register_setting(icon="decimal")
class CompensationSettings(BaseGenericSetting):
    """The organisation's rules for paying storytellers."""

    require_agreement_before_publishing = models.BooleanField(
        _("a story needs a payment agreement before it is published"),
        default=True,
        help_text=_(
            "Until its storyteller has a payment agreement for it, or has chosen not to be "
            "paid, a story can't be published."
        ),
    )

    class Meta:
        verbose_name = _("paying storytellers")

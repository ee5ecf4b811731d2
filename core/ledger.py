"""The one append-only, hash-chained ledger: the abstract entry, its head, and verification.

Every ledger in Sayso (consent decisions, payments, storytellers' answers about being paid)
is a concrete subclass of `LedgerEntry`. Each entry carries the hash of the one before it
and of its own contents; entries are never updated or deleted through the application.

Appends serialise on the ledger's head row (core.models.LedgerHead), locked with
SELECT … FOR UPDATE: the second writer waits for the first to commit, then reads the new
head, so no two entries ever claim the same place, and an empty ledger serialises too (the
head exists before the first entry). On SQLite, which ignores FOR UPDATE, the settings make
every transaction BEGIN IMMEDIATE, which takes the database's write lock up front.

`verify_chain` finds any row that was edited, removed or moved by other means (raw SQL, a
database console), including the newest rows: the head, kept apart, still says how many
entries there were and how the newest one hashed.
"""

import logging
from datetime import UTC

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .exceptions import LedgerIsAppendOnly
from .hashing import sha256_of
from .models import LedgerHead

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# A decision waits at most this long for another writer before it is retried (core.db).
DEFAULT_LOCK_TIMEOUT_SECONDS = 10


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly(f"{_plural(self.model)} cannot be changed.")

    def delete(self):
        raise LedgerIsAppendOnly(f"{_plural(self.model)} cannot be deleted.")

    # bulk_update goes through QuerySet.update; bulk_create would skip the hash chain.
    def bulk_create(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{_plural(self.model)}: entries are added one at a time.")


def _plural(model):
    return str(model._meta.verbose_name_plural).capitalize()


class LedgerEntry(models.Model):
    """One entry in an append-only chain. Subclasses say what the hash covers."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    GENESIS_HASH = GENESIS_HASH

    # How verify_ledger names the whole ledger.
    ledger_title = ""

    class Meta:
        abstract = True
        ordering = ["sequence"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{_plural(type(self))}: entries cannot be changed.")
        with transaction.atomic():
            # Always in the same order (those named first, then this ledger), so two
            # writers never hold each other's lock.
            for model in self.ledgers_to_lock_first():
                lock_head(model)
            head = lock_head(type(self))
            self.check_before_append()
            self.sequence = head.sequence + 1
            self.previous_hash = head.head_hash
            self.seal()
            self.entry_hash = self.compute_hash()
            super().save(*args, **kwargs)
            LedgerHead.objects.filter(pk=head.pk).update(
                sequence=self.sequence,
                head_hash=self.entry_hash,
                count=head.count + 1,
                updated_at=timezone.now(),
            )

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{_plural(type(self))}: entries cannot be deleted.")

    def ledgers_to_lock_first(self):
        """Other ledgers whose rules this entry checks; locked before its own (see save)."""
        return []

    def check_before_append(self):
        """Refuse an entry that breaks the ledger's rules; runs with the ledger locked."""

    def seal(self):
        """Fill in anything the entry hash covers that is derived at append time."""

    def chained_fields(self):
        """What the entry hash covers, as plain JSON-able data (subclasses extend this)."""
        return {
            "sequence": self.sequence,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self):
        return sha256_of(self.chained_fields())

    def contents_intact(self):
        """True when the stored entry still hashes to its recorded hash."""
        return self.compute_hash() == self.entry_hash

    @classmethod
    def entry_label(cls):
        """How verification names one entry: "Payment 12: …"."""
        return str(cls._meta.verbose_name).capitalize()

    @classmethod
    def ledger_problems(cls):
        """Problems a ledger finds beyond the chain itself (subclasses add their own)."""
        return []


def ledger_name(model):
    return model._meta.label_lower


def lock_head(model):
    """Lock the ledger's head row until the transaction ends and return it.

    Checks made after this call and the append that follows are one step: no other writer
    can append to this ledger in between. Must run inside a transaction.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("A ledger's head is locked inside a transaction.")
    if connection.vendor == "postgresql":
        # A bounded wait: a decision stuck behind a lock is retried, then answered with
        # "please try again" (core.db.retrying), instead of hanging the request.
        timeout_ms = int(1000 * lock_timeout_seconds())
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {timeout_ms}")
    name = ledger_name(model)
    head = LedgerHead.objects.select_for_update().filter(ledger=name).first()
    return head if head is not None else _create_head(model)


def lock_timeout_seconds():
    return getattr(settings, "SAYSO_LEDGER_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT_SECONDS)


def _create_head(model):
    """Create the head of a ledger that has none yet; two first writers may race here.

    The migrations create every head, so this runs only for a database whose tables were
    emptied (tests do that) or whose head row was deleted by hand. The unique ledger name
    decides the race: the loser's insert waits for the winner, fails, and it locks the
    winner's row instead.
    """
    name = ledger_name(model)
    newest = model.objects.order_by("-sequence").only("sequence", "entry_hash").first()
    if newest is not None:
        logger.error("The head of %s was missing; rebuilt from its newest entry.", name)
    try:
        with transaction.atomic():
            return LedgerHead.objects.create(
                ledger=name,
                sequence=newest.sequence if newest else 0,
                head_hash=newest.entry_hash if newest else GENESIS_HASH,
                count=model.objects.count(),
            )
    except IntegrityError:
        return LedgerHead.objects.select_for_update().get(ledger=name)


def build_head(head_model, entry_model, name):
    """Set a ledger's head from its newest entry (for data migrations, with historical models)."""
    newest = entry_model.objects.order_by("-sequence").only("sequence", "entry_hash").first()
    head_model.objects.update_or_create(
        ledger=name,
        defaults={
            "sequence": newest.sequence if newest else 0,
            "head_hash": newest.entry_hash if newest else GENESIS_HASH,
            "count": entry_model.objects.count(),
        },
    )


def verify_chain(model):
    """Walk one ledger in order and compare its end with its head.

    Returns (problems, number of entries checked). An edited row no longer matches its own
    hash, a deleted row leaves a gap in the sequence and a broken link, a reordered row
    breaks the link to its predecessor, and deleted newest rows leave a head that says
    there were more entries, ending in another hash.
    """
    label = model.entry_label()
    problems = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    count = 0
    for entry in model.objects.order_by("sequence").iterator():
        count += 1
        if entry.sequence != expected_sequence:
            problems.append(
                f"{label} {entry.sequence}: expected sequence {expected_sequence} "
                "(a row is missing)."
            )
        if entry.previous_hash != expected_previous:
            problems.append(f"{label} {entry.sequence}: does not link to the entry before it.")
        if not entry.contents_intact():
            problems.append(f"{label} {entry.sequence}: its contents were changed after recording.")
        expected_previous = entry.entry_hash
        expected_sequence = entry.sequence + 1
    problems.extend(_head_problems(model, count, expected_sequence - 1, expected_previous))
    problems.extend(model.ledger_problems())
    return problems, count


def _head_problems(model, count, last_sequence, last_hash):
    plural = _plural(model)
    head = LedgerHead.objects.filter(ledger=ledger_name(model)).first()
    if head is None:
        if count:
            return [f"{plural}: its head record is missing, so its end can't be checked."]
        return []
    if head.count != count or head.sequence != last_sequence:
        return [
            f"{plural}: the head records {head.count} entries ending at {head.sequence}, "
            f"but {count} are there ending at {last_sequence} (the newest entries were "
            "removed, or rows were added around the application)."
        ]
    if head.head_hash != last_hash:
        return [f"{plural}: the newest entry is not the one the head records."]
    return []


def ledgers():
    """Every concrete ledger in the project, in app order."""
    return [model for model in apps.get_models() if issubclass(model, LedgerEntry)]


def receipt_block(entry):
    """What a receipt records of the ledger: where the entry is, and the head hash then.

    When the receipt is issued the entry is the ledger's newest, so its own hash is the
    head hash.
    """
    return {
        "ledger": ledger_name(type(entry)),
        "sequence": entry.sequence,
        "headHash": entry.entry_hash,
        "receiptId": str(entry.receipt_id),
    }


def check_receipt(data):
    """Problems with a receipt document (anything carrying a receipt_block), if any."""
    block = data.get("sayso", data).get("ledger") if isinstance(data, dict) else None
    try:
        model = apps.get_model(block["ledger"])
        sequence = int(block["sequence"])
        head_hash = str(block["headHash"])
    except (KeyError, TypeError, ValueError, LookupError):
        return ["The receipt doesn't say where its decision is in the ledger."]
    if not issubclass(model, LedgerEntry):
        return ["The receipt doesn't name a ledger."]
    problems = receipt_problems(model, sequence=sequence, entry_hash=head_hash)
    entry = model.objects.filter(sequence=sequence).first()
    receipt_id = block.get("receiptId")
    if entry is not None and receipt_id and str(getattr(entry, "receipt_id", "")) != receipt_id:
        problems.append(
            f"{model.entry_label()} {sequence}: it is not the decision the receipt was issued for."
        )
    return problems


def receipt_problems(model, *, sequence, entry_hash):
    """Check a receipt (an entry's place and hash when it was issued) against the ledger.

    The receipt's entry hash was the ledger's head hash when it was issued. The receipt
    holds only if the whole ledger verifies and still has that entry, unchanged, in that
    place: removing it, or rewriting the chain after it, shows here.
    """
    problems, _count = verify_chain(model)
    entry = model.objects.filter(sequence=sequence).only("entry_hash").first()
    label = model.entry_label()
    if entry is None:
        problems.append(f"{label} {sequence}: the ledger no longer has the receipt's entry.")
    elif entry.entry_hash != entry_hash:
        problems.append(f"{label} {sequence}: the ledger's entry differs from the receipt.")
    return problems

"""Append-only, hash-chained records: the consent ledger's approach, for money.

Each entry carries the hash of the one before it and of its own contents; entries are
never updated or deleted through the application, and `verify_chain` finds any row that
was edited, removed or moved by other means (raw SQL, a database console).
"""

import hashlib
import json
from datetime import UTC

from django.db import models, transaction
from django.utils import timezone

from consent.exceptions import LedgerIsAppendOnly

GENESIS_HASH = "0" * 64


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly(f"{self.model._meta.verbose_name_plural} cannot be changed.")

    def delete(self):
        raise LedgerIsAppendOnly(f"{self.model._meta.verbose_name_plural} cannot be deleted.")

    # bulk_update goes through QuerySet.update; bulk_create would skip the hash chain.
    def bulk_create(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{self.model._meta.verbose_name_plural} are added one by one.")


class ChainedEntry(models.Model):
    """One entry in an append-only chain. Subclasses say what the hash covers."""

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["sequence"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly(f"{self._meta.verbose_name} entries cannot be changed.")
        with transaction.atomic():
            last = (
                type(self)
                .objects.select_for_update()
                .order_by("-sequence")
                .only("sequence", "entry_hash")
                .first()
            )
            self.check_before_append()
            self.sequence = last.sequence + 1 if last else 1
            self.previous_hash = last.entry_hash if last else GENESIS_HASH
            self.entry_hash = self.compute_hash()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly(f"{self._meta.verbose_name} entries cannot be deleted.")

    def check_before_append(self):
        """Refuse an entry that breaks the ledger's rules; runs with the chain locked."""

    def chained_fields(self):
        """What the entry hash covers, as plain JSON-able data (subclasses extend this)."""
        return {
            "sequence": self.sequence,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self):
        payload = json.dumps(
            self.chained_fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def lock_chain(model):
    """Hold the chain's newest row until the transaction ends, so checks and append are one.

    A reversal checks what is left to reverse, then appends; two at once must not both pass.
    """
    model.objects.select_for_update().order_by("-sequence").only("pk").first()


def verify_chain(model):
    """Walk one chain in order; return (problems, number of entries checked).

    An edited row no longer matches its own hash, a deleted row leaves a gap in the
    sequence and a broken link, and a reordered row breaks the link to its predecessor.
    """
    name = model._meta.verbose_name.capitalize()
    problems = []
    expected_previous = GENESIS_HASH
    expected_sequence = 1
    count = 0
    for entry in model.objects.order_by("sequence").iterator():
        count += 1
        if entry.sequence != expected_sequence:
            problems.append(
                f"{name} {entry.sequence}: expected sequence {expected_sequence} "
                "(a row is missing)."
            )
        if entry.previous_hash != expected_previous:
            problems.append(f"{name} {entry.sequence}: does not link to the entry before it.")
        if entry.compute_hash() != entry.entry_hash:
            problems.append(f"{name} {entry.sequence}: its contents were changed after recording.")
        expected_previous = entry.entry_hash
        expected_sequence = entry.sequence + 1
    return problems, count

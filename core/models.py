"""The head of each hash-chained ledger, kept apart from its entries.

One row per ledger. Every append locks it (SELECT … FOR UPDATE), so appends to a ledger
happen one at a time even when it is empty, and updates it, so deleting the newest entries
leaves a head that no longer matches: `verify_ledger` reports it.
"""

from django.db import models


class LedgerHead(models.Model):
    """Where one ledger ends: its newest sequence number, that entry's hash, how many."""

    ledger = models.CharField(max_length=100, unique=True, editable=False)
    sequence = models.PositiveBigIntegerField(default=0, editable=False)
    head_hash = models.CharField(max_length=64, editable=False)
    count = models.PositiveBigIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        verbose_name = "ledger head"

    def __str__(self):
        return f"{self.ledger} @ {self.sequence}"

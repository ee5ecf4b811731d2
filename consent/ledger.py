"""Checking the consent ledger: core's chain and head checks, plus consent's tombstone rule."""

from core.ledger import check_receipt
from core.ledger import verify_chain as verify_ledger

from .models import ConsentEntry


def verify_chain():
    """Walk the consent ledger in order; return (problems, number of entries checked).

    An edited row no longer matches its own hash, a deleted row leaves a gap in the
    sequence and a broken link, a reordered row breaks the link to its predecessor, and
    deleted newest rows no longer match the ledger's head. A tombstone (an entry whose
    personal payload was erased) still carries its place, dates and hashes, so the chain
    verifies through it; it must be empty of payload and named by a later erasure entry,
    or it is a row someone blanked by hand.
    """
    return verify_ledger(ConsentEntry)


def verify_receipt(receipt):
    """Problems with a consent receipt (the JSON document the storyteller keeps), if any.

    The receipt records the entry's place in the ledger and the ledger's head hash when it
    was issued (the entry's own hash). It proves her decision existed as long as the
    ledger still holds that entry, unchanged, in a chain that verifies.
    """
    return check_receipt(receipt)

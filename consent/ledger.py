"""Checking the consent ledger's hash chain."""

from .models import ConsentEntry


def verify_chain():
    """Walk the ledger in order; return (problems, number of entries checked).

    An edited row no longer matches its own hash, a deleted row leaves a gap in the
    sequence and a broken link, and a reordered row breaks the link to its predecessor.
    A tombstone (an entry whose personal payload was erased) still carries its place, dates
    and hashes, so the chain verifies through it; it must be empty of payload and named by
    a later erasure entry, or it is a row someone blanked by hand.
    """
    problems = []
    expected_previous = ConsentEntry.GENESIS_HASH
    expected_sequence = 1
    count = 0
    tombstones = []
    erased = set()
    for entry in ConsentEntry.objects.order_by("sequence").iterator():
        count += 1
        if entry.sequence != expected_sequence:
            problems.append(
                f"Entry {entry.sequence}: expected sequence {expected_sequence} (a row is missing)."
            )
        if entry.previous_hash != expected_previous:
            problems.append(f"Entry {entry.sequence}: does not link to the entry before it.")
        if entry.is_tombstone:
            tombstones.append(entry.sequence)
            intact = entry.payload_is_erased()
        else:
            intact = entry.compute_payload_hash() == entry.payload_hash
        if not intact or entry.compute_hash() != entry.entry_hash:
            problems.append(f"Entry {entry.sequence}: its contents were changed after recording.")
        if entry.decision == ConsentEntry.Decision.ERASURE:
            erased.update(sequence for sequence in entry.erases if sequence < entry.sequence)
        expected_previous = entry.entry_hash
        expected_sequence = entry.sequence + 1
    problems.extend(
        f"Entry {sequence}: erased without an erasure entry that names it."
        for sequence in tombstones
        if sequence not in erased
    )
    return problems, count

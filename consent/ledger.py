"""Checking the consent ledger's hash chain."""

from .models import ConsentEntry


def verify_chain():
    """Walk the ledger in order; return (problems, number of entries checked).

    An edited row no longer matches its own hash, a deleted row leaves a gap in the
    sequence and a broken link, and a reordered row breaks the link to its predecessor.
    """
    problems = []
    expected_previous = ConsentEntry.GENESIS_HASH
    expected_sequence = 1
    count = 0
    for entry in ConsentEntry.objects.order_by("sequence").iterator():
        count += 1
        if entry.sequence != expected_sequence:
            problems.append(
                f"Entry {entry.sequence}: expected sequence {expected_sequence} (a row is missing)."
            )
        if entry.previous_hash != expected_previous:
            problems.append(f"Entry {entry.sequence}: does not link to the entry before it.")
        if entry.compute_hash() != entry.entry_hash:
            problems.append(f"Entry {entry.sequence}: its contents were changed after recording.")
        expected_previous = entry.entry_hash
        expected_sequence = entry.sequence + 1
    return problems, count

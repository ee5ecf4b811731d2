"""Verify the ledgers' hash chains; fails if any row was edited, removed or moved.

The consent ledger, and the two compensation ledgers (payments, and storytellers' answers
about being paid) kept the same way.
"""

from django.core.management.base import BaseCommand, CommandError

from compensation.chain import verify_chain as verify_entries
from compensation.models import CompensationResponse, Payment
from consent.ledger import verify_chain


class Command(BaseCommand):
    help = "Check that no consent entry, payment or answer was edited, deleted or reordered."

    def handle(self, *args, **options):
        ledgers = [
            ("The consent ledger", verify_chain),
            ("The payments ledger", lambda: verify_entries(Payment)),
            ("The ledger of storytellers' answers", lambda: verify_entries(CompensationResponse)),
        ]
        failures = []
        for name, verify in ledgers:
            problems, count = verify()
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                failures.append(f"{name} failed verification ({len(problems)} problem(s)).")
            else:
                self.stdout.write(self.style.SUCCESS(f"{name} is intact: {count} entries."))
        if failures:
            raise CommandError(" ".join(failures))

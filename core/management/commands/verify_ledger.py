"""Verify every hash-chained ledger (core.ledger), or one receipt against its ledger.

Fails if any entry was edited, removed or moved, if the newest entries were cut off (the
ledger no longer ends where its head says), or if a receipt's decision is no longer in
the ledger as it was when the receipt was issued.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.ledger import check_receipt, ledgers, verify_chain


class Command(BaseCommand):
    help = "Check that no ledger entry was edited, deleted or reordered, or check a receipt."

    def add_arguments(self, parser):
        parser.add_argument(
            "--receipt",
            metavar="FILE",
            help="A receipt (the JSON file a storyteller downloaded) to check against the ledger.",
        )

    def handle(self, *args, receipt=None, **options):
        if receipt:
            return self.check_receipt(receipt)
        failures = []
        for model in ledgers():
            name = model.ledger_title
            problems, count = verify_chain(model)
            for problem in problems:
                self.stderr.write(problem)
            if problems:
                failures.append(f"{name} failed verification ({len(problems)} problem(s)).")
            else:
                self.stdout.write(self.style.SUCCESS(f"{name} is intact: {count} entries."))
        if failures:
            raise CommandError(" ".join(failures))

    def check_receipt(self, path):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Can't read the receipt: {error}") from error
        problems = check_receipt(data)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The receipt does not verify ({len(problems)} problem(s)).")
        self.stdout.write(self.style.SUCCESS("The receipt's decision is in the ledger, unchanged."))

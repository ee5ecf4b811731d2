"""Verify the consent ledger hash chain; fails if any row was edited, removed or moved."""

from django.core.management.base import BaseCommand, CommandError

from consent.ledger import verify_chain


class Command(BaseCommand):
    help = "Check that no consent entry was edited, deleted or reordered."

    def handle(self, *args, **options):
        problems, count = verify_chain()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(
                f"The consent ledger failed verification ({len(problems)} problem(s))."
            )
        self.stdout.write(self.style.SUCCESS(f"The consent ledger is intact: {count} entries."))

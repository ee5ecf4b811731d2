"""Take down stories whose storyteller's approval has passed its end date. Run daily."""

from django.core.management.base import BaseCommand

from consent.services import expire_due_grants


class Command(BaseCommand):
    help = "Record expiries for grants past their end date and unpublish those stories."

    def handle(self, *args, **options):
        expired = expire_due_grants()
        for entry in expired:
            self.stdout.write(f"Ended: story {entry.story_id} (receipt {entry.receipt_id})")
        self.stdout.write(f"{len(expired)} approval(s) ended.")

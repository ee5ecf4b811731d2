"""Take down stories whose storyteller's approval has passed its end date. Run daily."""

from django.core.management.base import BaseCommand

from consent.services import expire_due_grants
from stories.takedowns import finish_takedowns


class Command(BaseCommand):
    help = "Record expiries for grants past their end date and unpublish those stories."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the sweep to the task worker, which retries it until it is done.",
        )

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            from stories.tasks import expire_consents_task

            result = expire_consents_task.enqueue()
            self.stdout.write(f"Sweep queued (task {result.id}).")
            return
        expired = expire_due_grants()
        for entry in expired:
            self.stdout.write(f"Ended: story {entry.story_id} (receipt {entry.receipt_id})")
        self.stdout.write(f"{len(expired)} approval(s) ended.")
        # The sweep also finishes take-downs that failed (a file or a purge that was refused).
        takedowns = finish_takedowns()
        if takedowns.files_deleted or takedowns.files_left:
            self.stdout.write(
                f"Deleted {takedowns.files_deleted} public file(s); "
                f"{takedowns.files_left} still to delete."
            )
        if not takedowns.cache_purged:
            self.stderr.write("Cached pages could not be purged yet; readers get fresh pages.")
        if not takedowns.edge_purged:
            self.stderr.write("The edge cache has not confirmed every purge; it is asked again.")

"""Report public files of withdrawn or taken-down stories still in storage; fails if any.

Run it after the expiry sweep (or with --retry, which first carries out the recorded work).
"""

from django.core.management.base import BaseCommand, CommandError

from images.selectors import public_files_left
from stories.takedowns import finish_takedowns


class Command(BaseCommand):
    help = "List public files (photo renditions) of withdrawn stories still in storage."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retry", action="store_true", help="Try the recorded deletions and purges first."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the retry and check to the task worker, which retries until none is left.",
        )

    def handle(self, *args, retry=False, enqueue=False, **options):
        if enqueue:
            from stories.tasks import check_takedowns_task

            result = check_takedowns_task.enqueue()
            self.stdout.write(f"Check queued (task {result.id}).")
            return
        if retry:
            takedowns = finish_takedowns()
            self.stdout.write(
                f"Deleted {takedowns.files_deleted} file(s); "
                f"{takedowns.files_left} could not be deleted yet."
            )
        problems = public_files_left()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} public file(s) or purge(s) still to take down.")
        self.stdout.write("No public file of a withdrawn story is left.")

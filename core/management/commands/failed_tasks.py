"""List background work that never went through (the database task backend); fails if any.

A task that gave up after its last retry, or failed without retrying, is listed with its
name, when it was queued and why, by exception type only (messages can name a recipient).
``--retry ID`` queues such a task again from its first attempt.
"""

from django.core.management.base import BaseCommand, CommandError
from django_tasks import task_backends

from core.tasks import ATTEMPT_KWARG, RetryScheduled

RETRIED = f"{RetryScheduled.__module__}.{RetryScheduled.__qualname__}"


def _reason(result):
    # Our own exceptions' messages carry only exception types and counts; any other
    # exception's message is left out.
    last_line = result.traceback.strip().splitlines()[-1] if result.traceback else ""
    if result.exception_class_path.startswith("core.tasks."):
        return last_line.rpartition(": ")[2]
    return result.exception_class_path


class Command(BaseCommand):
    help = "List background tasks that failed for good (after every retry)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="include_retried",
            help="Also list failed attempts that are being retried.",
        )
        parser.add_argument("--retry", metavar="ID", help="Queue this failed task again.")

    def handle(self, *args, include_retried=False, retry=None, **options):
        backend = task_backends["default"]
        if not backend.supports_get_result:
            self.stdout.write(
                "Tasks run at once in this configuration (SAYSO_TASKS_BACKEND=immediate); "
                "their failures are in the log."
            )
            return
        from django_tasks_db.models import DBTaskResult

        if retry:
            try:
                failed = DBTaskResult.objects.failed().get(pk=retry)
            except (DBTaskResult.DoesNotExist, ValueError) as error:
                raise CommandError(f"No failed task {retry}.") from error
            kwargs = {k: v for k, v in failed.args_kwargs["kwargs"].items() if k != ATTEMPT_KWARG}
            result = failed.task.using(run_after=None).enqueue(
                *failed.args_kwargs["args"], **kwargs
            )
            self.stdout.write(f"Queued {failed.task_path} again (task {result.id}).")
            return

        failed = DBTaskResult.objects.failed().order_by("finished_at")
        given_up = failed.exclude(exception_class_path=RETRIED)
        shown = failed if include_retried else given_up
        for result in shown:
            self.stdout.write(
                f"{result.id}  {result.task_path}  queued {result.enqueued_at:%Y-%m-%d %H:%M}  "
                f"failed {result.finished_at:%Y-%m-%d %H:%M}  {_reason(result)}"
            )
        waiting = DBTaskResult.objects.ready().count()
        self.stdout.write(f"{waiting} task(s) waiting to run (retries included).")
        if given_up.exists():
            raise CommandError(f"{given_up.count()} task(s) failed for good.")
        self.stdout.write("No task has failed for good.")

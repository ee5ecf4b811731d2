"""Background work on public pages: failed purges and the expiry sweep, retried until done."""

from core.tasks import TAKEDOWN_PRIORITY, retried_task

from .cache import PurgeFailed, retry_pending_purges
from .takedowns import finish_takedowns


class SweepUnfinished(Exception):
    """Some files or cached pages (here or at the edge) could not be taken down yet
    (recorded, retried)."""


@retried_task(priority=TAKEDOWN_PRIORITY)
def retry_pending_purges_task():
    """Carry out the recorded purges; fails (and is retried with backoff) while any is owed."""
    if not retry_pending_purges():
        raise PurgeFailed("cached pages could not be purged yet")


@retried_task()
def expire_consents_task():
    """``manage.py expire_consents`` for the worker: safe to run again (each grant ends once)."""
    from consent.services import expire_due_grants

    expired = expire_due_grants()
    # Like the command: the pages it took down are not done until the edge forgot them too.
    takedowns = finish_takedowns()
    if not takedowns.done:
        raise SweepUnfinished(
            f"{takedowns.files_left} file(s), the page cache or the edge still to take down"
        )
    return {"ended": len(expired), "deleted": takedowns.files_deleted}


@retried_task(priority=TAKEDOWN_PRIORITY)
def check_takedowns_task():
    """``manage.py check_takedowns --retry`` as a task: fails (and is retried) until clean."""
    from images.selectors import public_files_left
    from images.tasks import FilesStillPublic

    takedowns = finish_takedowns()
    problems = public_files_left()
    if problems:
        raise FilesStillPublic(f"{len(problems)} public file(s) or purge(s) still to take down")
    return {"deleted": takedowns.files_deleted}

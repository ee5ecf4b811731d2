"""Background work on public pages: failed purges and the expiry sweep, retried until done."""

from core.tasks import TAKEDOWN_PRIORITY, retried_task

from .cache import PurgeFailed, retry_pending_purges
from .edge import carry_out_edge_purges


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
    from images.services import carry_out_file_takedowns

    expired = expire_due_grants()
    done, left = carry_out_file_takedowns()
    # Like the command: the pages it took down are not done until the edge forgot them too.
    cache_purged = retry_pending_purges()
    edge_purged = carry_out_edge_purges()
    if left or not cache_purged or not edge_purged:
        raise SweepUnfinished(f"{left} file(s), the page cache or the edge still to take down")
    return {"ended": len(expired), "deleted": done}


@retried_task(priority=TAKEDOWN_PRIORITY)
def check_takedowns_task():
    """``manage.py check_takedowns --retry`` as a task: fails (and is retried) until clean."""
    from images.selectors import public_files_left
    from images.services import carry_out_file_takedowns
    from images.tasks import FilesStillPublic

    done, _left = carry_out_file_takedowns()
    retry_pending_purges()
    problems = public_files_left()
    if problems:
        raise FilesStillPublic(f"{len(problems)} public file(s) or purge(s) still to take down")
    return {"deleted": done}

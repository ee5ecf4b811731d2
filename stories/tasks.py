"""Background work on cached pages: a purge that failed is retried until it is carried out."""

from core.tasks import TAKEDOWN_PRIORITY, retried_task

from .cache import PurgeFailed, retry_pending_purges


@retried_task(priority=TAKEDOWN_PRIORITY)
def retry_pending_purges_task():
    """Carry out the recorded purges; fails (and is retried with backoff) while any is owed."""
    if not retry_pending_purges():
        raise PurgeFailed("cached pages could not be purged yet")

"""The expiry sweep as a task, retried until the take-downs and purges it owes are done."""

from core.tasks import retried_task


class SweepUnfinished(Exception):
    """Some files or cached pages could not be taken down yet (recorded, retried)."""


@retried_task()
def expire_consents_task():
    """``manage.py expire_consents`` for the worker: safe to run again (each grant ends once)."""
    from images.services import carry_out_file_takedowns
    from stories.cache import retry_pending_purges

    from .services import expire_due_grants

    expired = expire_due_grants()
    done, left = carry_out_file_takedowns()
    if left or not retry_pending_purges():
        raise SweepUnfinished(f"{left} file(s) or the page cache still to take down")
    return {"ended": len(expired), "deleted": done}

"""Background work on image files: immediate in development, the worker in production.

Whatever a run leaves undone stays recorded (``FileTakedown``) and the task is retried with
backoff until every file is gone; the sweeps retry it too.
"""

from core.tasks import TAKEDOWN_PRIORITY, retried_task

from .selectors import public_files_left
from .services import carry_out_file_takedowns


class FilesStillPublic(Exception):
    """Some public files could not be deleted yet (recorded, retried)."""


@retried_task(priority=TAKEDOWN_PRIORITY)
def carry_out_file_takedowns_task():
    done, left = carry_out_file_takedowns()
    if left:
        raise FilesStillPublic(f"{left} file(s) could not be deleted yet")
    return {"deleted": done, "left": left}


@retried_task(priority=TAKEDOWN_PRIORITY)
def check_takedowns_task():
    """``manage.py check_takedowns --retry`` as a task: fails (and is retried) until clean."""
    from stories.cache import retry_pending_purges

    done, left = carry_out_file_takedowns()
    retry_pending_purges()
    problems = public_files_left()
    if problems:
        raise FilesStillPublic(f"{len(problems)} public file(s) or purge(s) still to take down")
    return {"deleted": done}

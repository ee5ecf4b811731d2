"""Background work on image files: immediate in development, the worker in production.

Whatever a run leaves undone stays recorded (``FileTakedown``) and the task is retried with
backoff until every file is gone; the sweeps retry it too.
"""

from core.tasks import TAKEDOWN_PRIORITY, retried_task

from .services import carry_out_file_takedowns


class FilesStillPublic(Exception):
    """Some public files could not be deleted yet (recorded, retried)."""


@retried_task(priority=TAKEDOWN_PRIORITY)
def carry_out_file_takedowns_task():
    done, left = carry_out_file_takedowns()
    if left:
        raise FilesStillPublic(f"{left} file(s) could not be deleted yet")
    return {"deleted": done, "left": left}

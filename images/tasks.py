"""Background work on image files (django-tasks): immediate in development, a worker in
production. Whatever a run leaves undone stays recorded for the next run and the sweep."""

from django_tasks import task

from .services import carry_out_file_takedowns


@task()
def carry_out_file_takedowns_task():
    done, left = carry_out_file_takedowns()
    return {"deleted": done, "left": left}

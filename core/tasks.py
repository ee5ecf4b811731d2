"""Background work that is retried until it succeeds: emails, purges, file take-downs, sweeps.

Django's task framework (the ``django_tasks`` backport, which Wagtail uses too) runs a task
once. ``retried_task`` wraps a task so that when it raises, it is enqueued again to run
after a growing delay (``SAYSO_TASK_RETRY_SECONDS`` doubled on each attempt, at most
``SAYSO_TASK_RETRY_MAX_SECONDS``), until it succeeds or has failed
``SAYSO_TASK_MAX_ATTEMPTS`` times. Every failed attempt is recorded as a failed task result
(``RetryScheduled``, or ``GaveUp`` for the last one), so ``manage.py failed_tasks`` can list
what never went through.

With the database backend (production, ``SAYSO_TASKS_BACKEND=database``) the retry waits in
the database for ``manage.py db_worker``. The immediate backend (development, tests) runs
tasks in the request and can't wait: a failed attempt there is logged and left to the sweeps
(``expire_consents``, ``check_takedowns --retry``), which retry recorded take-downs and purges.
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)

ATTEMPT_KWARG = "attempt"
# Taking a withdrawn story's files and cached pages down goes before the queue's routine work
# (search indexing, emails): the worker takes the highest priority first.
TAKEDOWN_PRIORITY = 50


class RetryScheduled(Exception):
    """This attempt failed; the task will run again later."""


class GaveUp(Exception):
    """The task failed on every attempt it was allowed; someone has to look at it."""


def retry_delay(attempt):
    """Seconds to wait before the attempt after ``attempt`` (1 = the first)."""
    base = settings.SAYSO_TASK_RETRY_SECONDS
    return min(base * 2 ** (attempt - 1), settings.SAYSO_TASK_RETRY_MAX_SECONDS)


def _describe(error):
    # Only the exception's type: its message may name a recipient (SMTPRecipientsRefused
    # lists addresses), and failed-task reports and logs carry no personal data.
    return type(error).__name__


def retried_task(**task_options):
    """Like ``django_tasks.task()``, but a failure is retried with backoff, then recorded."""

    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            attempt = kwargs.pop(ATTEMPT_KWARG, 1)
            try:
                return func(*args, **kwargs)
            except Exception as error:
                name = the_task.name
                if attempt >= settings.SAYSO_TASK_MAX_ATTEMPTS:
                    logger.error(
                        "Task %s failed (%s) on attempt %d; giving up",
                        name,
                        _describe(error),
                        attempt,
                    )
                    raise GaveUp(f"{_describe(error)} on each of {attempt} attempt(s)") from error
                backend = the_task.get_backend()
                if not backend.supports_defer:
                    # The immediate backend runs in the request: retrying there would only
                    # make the person wait. The sweeps retry what was recorded.
                    logger.error("Task %s failed (%s); not retried here", name, _describe(error))
                    raise
                delay = retry_delay(attempt)
                the_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                    *args, **kwargs, **{ATTEMPT_KWARG: attempt + 1}
                )
                logger.warning(
                    "Task %s failed (%s) on attempt %d; retrying in %ss",
                    name,
                    _describe(error),
                    attempt,
                    delay,
                )
                raise RetryScheduled(
                    f"{_describe(error)} on attempt {attempt}; attempt {attempt + 1} in {delay}s"
                ) from error

        the_task = task(**task_options)(run)
        return the_task

    return decorate

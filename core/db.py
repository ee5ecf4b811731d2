"""A bounded retry for decisions that lose a race for the database.

Under contention a write can fail for reasons that say nothing about the decision:
PostgreSQL's serialisation failures, deadlocks and lock timeouts, SQLite's "database is
locked". The whole transaction is safe to run again, so `retrying` does, a few times; when
the database stays busy it raises `LedgerBusy`, which the portal answers with a calm
"please try again" (core.middleware) and never an error page.
"""

import functools
import logging
import random
import time

from django.conf import settings
from django.db import OperationalError, models, transaction

from .exceptions import LedgerBusy

logger = logging.getLogger(__name__)

DEFAULT_ATTEMPTS = 3

# serialization_failure, deadlock_detected, lock_not_available
_POSTGRES_CONTENTION = {"40001", "40P01", "55P03"}
_SQLITE_CONTENTION = ("database is locked", "database table is locked")


def is_contention(error):
    """True when a database error means "busy, try again", not "this is wrong"."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in _POSTGRES_CONTENTION:
        return True
    if getattr(cause, "pgcode", None) in _POSTGRES_CONTENTION:
        return True
    message = str(error).lower()
    return any(text in message for text in _SQLITE_CONTENTION)


def retrying(func):
    """Run func again if it lost a race for the database; LedgerBusy when it keeps losing.

    Put it above @transaction.atomic: each attempt is then one whole transaction. Inside an
    outer transaction the decorator steps aside: only the outermost transaction can be run
    again, so the error goes up to whoever opened it.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return func(*args, **kwargs)
        attempts = getattr(settings, "SAYSO_LEDGER_ATTEMPTS", DEFAULT_ATTEMPTS)
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as error:
                if not is_contention(error):
                    raise
                last_error = error
            logger.warning("%s lost a race for the database (attempt %d).", func.__name__, attempt)
            if attempt < attempts:
                # Jittered, so writers who collided don't collide again in step.
                time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311
                _reload(args, kwargs.values())
        logger.warning("%s gave up: the database stayed busy.", func.__name__)
        raise LedgerBusy(f"{func.__name__}: the database stayed busy.") from last_error

    return wrapper


def _reload(*groups):
    """Start the next attempt from what the database holds, not from the rolled-back try."""
    for group in groups:
        for value in group:
            if isinstance(value, models.Model) and value.pk is not None:
                value.refresh_from_db()

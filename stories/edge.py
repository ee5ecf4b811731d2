"""Purging the edge cache (Varnish, deploy/varnish/sayso.vcl) in front of the app servers.

The edge keeps public pages for anonymous readers; only Sayso can make it forget them. The
rules, all here:

- Every change that moves the page-cache generation (stories/cache.py ``purge_all``) bans
  the whole site at the edge; a story's own addresses are purged too, through Wagtail's
  frontend cache (``purge_pages_from_cache``, whose backend is ``EdgeBackend``).
- Before the change commits, "an edge purge is in flight" is marked where every app server
  looks (Redis, else a file next to the generation stamp) and the edge is banned. While
  the mark stands, public responses carry no ``s-maxage`` (checked when a response starts
  and again when it is finished), so the edge stores nothing it fetched meanwhile: once
  the change commits, the edge holds no old copy and the next reader reaches the app.
  The mark is cleared after commit (after the ban below), when the transaction rolls back,
  and by itself after ``SAYSO_EDGE_MARK_SECONDS``. The ban before commit is best effort
  (``SAYSO_EDGE_PRECOMMIT_TIMEOUT``, never an error): an edge that can't be reached then
  is still owed the purge after commit.
- An edge that failed a purge within ``SAYSO_EDGE_DOWN_SECONDS`` is not waited for again:
  the takedowns meanwhile send it nothing, before or after their commit, so an edge that
  is down or hangs slows no one. Their purges are owed all the same, and retried.
- The purge that counts is sent once the change commits: it is recorded as an
  ``EdgePurge`` row in the changing transaction (so a crash between commit and purge still
  leaves it owed) and sent from ``transaction.on_commit``, in the process that committed.
- A purge is done only when every edge acknowledged it (HTTP 200). Until then the row stays:
  the ``retry_edge_purges`` task (core.tasks ``retried_task``: its backoff and attempt
  limit, the one retry mechanism) tries again with a worker that can defer tasks, and so
  do the expiry and take-down sweeps and the next purge.
- A ban is sent twice, ``SAYSO_EDGE_SETTLE_SECONDS`` apart: a page rendered just before the
  commit may still be on its way to the edge when the first ban arrives, and a ban only
  covers pages the edge already holds.
- The edge keeps a page at most ``SAYSO_EDGE_SECONDS`` (and never past midnight UTC), which
  bounds what an edge that can't be reached for a purge serves.
"""

import logging
import os
import time
import uuid
import weakref
from datetime import timedelta
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.contrib.frontend_cache.backends import HTTPBackend
from wagtail.contrib.frontend_cache.utils import get_backends

from core.tasks import TAKEDOWN_PRIORITY, retried_task, retry_delay

logger = logging.getLogger(__name__)


class EdgeNotAcknowledged(Exception):
    """An edge could not be reached, or did not confirm a purge."""


class _EdgeRequest(Request):
    def __init__(self, *args, method, **kwargs):
        super().__init__(*args, **kwargs)
        self._sayso_method = method

    def get_method(self):
        return self._sayso_method


class EdgeBackend(HTTPBackend):
    """Wagtail's HTTP purge backend, with Sayso's rules.

    Wagtail calls ``purge_batch`` (page published, unpublished, ``purge_pages_from_cache``)
    possibly inside the changing transaction: the addresses are recorded and sent after
    commit. ``send_purge`` and ``ban_everything`` talk to the edge, and raise
    ``EdgeNotAcknowledged`` unless it answers 200 (Wagtail's own backend only logs).
    """

    def __init__(self, params):
        self.timeout = params.pop("TIMEOUT", 2)
        super().__init__(params)

    def purge(self, url):
        self.purge_batch([url])

    def purge_batch(self, urls):
        owe_edge_purge(urls=urls)

    def _send(self, method, path, host, headers=None):
        request = _EdgeRequest(
            f"{self.cache_scheme}://{self.cache_netloc}{path or '/'}",
            method=method,
            headers={"Host": host, "User-Agent": "Sayso-edge-purge", **(headers or {})},
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - our setting
                status = response.status
        except HTTPError as error:
            raise EdgeNotAcknowledged(f"{method} answered {error.code}") from error
        except (URLError, OSError) as error:
            raise EdgeNotAcknowledged(f"{method} failed: {error}") from error
        if status != 200:
            raise EdgeNotAcknowledged(f"{method} answered {status}")

    def send_purge(self, url):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        self._send("PURGE", path, parts.netloc)

    def ban_everything(self, timeout=None):
        if timeout is None:
            self._send("BAN", "/", self.cache_netloc)
            return
        saved, self.timeout = self.timeout, timeout
        try:
            self._send("BAN", "/", self.cache_netloc)
        finally:
            self.timeout = saved


def edge_backends():
    """The configured edges (SAYSO_EDGE_URLS); empty when the site runs without one."""
    return [b for b in get_backends().values() if isinstance(b, EdgeBackend)]


def owe_edge_purge(*, urls=(), everything=False):
    """Record a purge for the edge and send it once the current transaction commits."""
    if not edge_backends():
        return
    from .models import EdgePurge

    urls = sorted(set(urls))
    if not urls and not everything:
        return
    EdgePurge.objects.create(urls=urls, everything=everything)
    in_flight = None
    if connection.in_atomic_block and _transaction_mark() is None:
        in_flight = _mark_and_ban_before_commit()
        connection._sayso_edge_in_flight = weakref.ref(in_flight)
    transaction.on_commit(_send_after_commit, robust=True)
    if in_flight is not None:
        # Registered after the purge: the mark stands until the ban after commit was sent.
        transaction.on_commit(in_flight.clear, robust=True)


def _transaction_mark():
    """The current transaction's mark, if one was set (one per transaction is enough)."""
    ref = getattr(connection, "_sayso_edge_in_flight", None)
    in_flight = ref() if ref is not None else None
    return in_flight if in_flight is not None and in_flight.standing() else None


# "An edge purge is in flight": while any such mark stands (a change that purges the edge
# is being committed), public responses are not kept by the edge (stories/cache.py).
IN_FLIGHT_KEY = "sayso:edge-purge-in-flight"


def _in_flight_dir():
    stamp = settings.SAYSO_PAGE_CACHE_STAMP
    return stamp.parent / f"{stamp.name}.edge-purges"


def _redis_client():
    """The Redis client behind the page cache, or None when the cache is local memory."""
    from .cache import _shared_cache

    if not _shared_cache():
        return None
    strict = getattr(cache, "strict", cache)
    return strict._cache.get_client(IN_FLIGHT_KEY, write=True), strict.make_key(IN_FLIGHT_KEY)


def _set_mark(token, until):
    shared = _redis_client()
    if shared is not None:
        client, key = shared
        pipe = client.pipeline()
        pipe.zadd(key, {token: until})
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.expire(key, int(settings.SAYSO_EDGE_MARK_SECONDS) + 1)
        pipe.execute()
        return
    folder = _in_flight_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / token
    path.touch()
    os.utime(path, ns=(int(until * 1e9), int(until * 1e9)))


def _clear_mark(token):
    try:
        shared = _redis_client()
        if shared is not None:
            client, key = shared
            client.zrem(key, token)
        else:
            (_in_flight_dir() / token).unlink(missing_ok=True)
    except Exception as error:  # Redis down: the mark expires by itself
        logger.warning("The edge purge mark could not be cleared (%s); it expires", error)


def edge_purge_in_flight():
    """True while a change that purges the edge is being committed (or when that can't be
    told: the edge then keeps nothing)."""
    if not edge_backends():
        return False
    now = time.time()
    try:
        shared = _redis_client()
        if shared is not None:
            client, key = shared
            return client.zcount(key, now, "+inf") > 0
        with os.scandir(_in_flight_dir()) as entries:
            return any(entry.stat().st_mtime > now for entry in entries)
    except FileNotFoundError:
        return False
    except Exception as error:
        logger.warning("Whether an edge purge is in flight can't be told (%s)", error)
        return True


class _InFlight:
    """One transaction's mark. Cleared after commit (``clear`` runs from on_commit), and
    when the transaction rolls back: Django then drops its commit hooks, and with them the
    last reference to this object, whose finalizer clears the mark."""

    def __init__(self, token):
        self.token = token
        self._finalizer = weakref.finalize(self, _clear_mark, token)

    def clear(self):
        self._finalizer()

    def standing(self):
        return self._finalizer.alive


def _mark_and_ban_before_commit():
    token = uuid.uuid4().hex
    try:
        _set_mark(token, time.time() + settings.SAYSO_EDGE_MARK_SECONDS)
    except Exception as error:
        # Redis down: every app server that can't read it keeps nothing at the edge either
        # (stories/cache.py answers uncached pages as not to be kept).
        logger.warning("The edge purge mark could not be set (%s)", error)
    in_flight = _InFlight(token)
    if edge_failed_recently():
        return in_flight
    for backend in edge_backends():
        try:
            backend.ban_everything(timeout=settings.SAYSO_EDGE_PRECOMMIT_TIMEOUT)
        except EdgeNotAcknowledged as error:
            # Never fails the change: the purge after commit is owed and retried.
            logger.warning("The edge was not banned before commit (%s)", error)
    return in_flight


# This process's view of the edge (monotonic clock): when it last failed to acknowledge a
# purge, and until when a retry this process asked the worker for is still to come.
_last_failure = {"at": None, "retry_due": None}


def edge_failed_recently():
    """True when the edge failed this process within ``SAYSO_EDGE_DOWN_SECONDS``: a takedown
    then does not wait for it, before or after its commit (its purge is owed and retried)."""
    failed_at = _last_failure["at"]
    return failed_at is not None and time.monotonic() - failed_at < settings.SAYSO_EDGE_DOWN_SECONDS


def _send_after_commit():
    if edge_failed_recently() or not carry_out_edge_purges():
        _retry_later()


def _retry_later():
    """Have the worker send what is owed, unless a retry asked for earlier is still to come
    (it sends everything owed when it runs, this purge included)."""
    due = _last_failure["retry_due"]
    now = time.monotonic()
    if due is not None and now < due:
        return
    if schedule_retry() is not None:
        _last_failure["retry_due"] = now + retry_delay(1)


def carry_out_edge_purges():
    """Send every owed purge to every edge; True when none is left owed."""
    from .models import EdgePurge

    owed = list(EdgePurge.objects.order_by("pk"))
    if not owed:
        return True
    backends = edge_backends()
    pks = [purge.pk for purge in owed]
    if not backends:
        # The edge was taken out of the configuration: nothing holds these pages any more.
        EdgePurge.objects.filter(pk__in=pks).delete()
        return True
    everything = any(purge.everything for purge in owed)
    urls = sorted({url for purge in owed for url in purge.urls})
    try:
        for backend in backends:
            # The story's own addresses first, then the whole site when a change can show
            # anywhere (a listing, the feed, the sitemap).
            for url in urls:
                backend.send_purge(url)
            if everything:
                backend.ban_everything()
        if everything:
            time.sleep(settings.SAYSO_EDGE_SETTLE_SECONDS)
            for backend in backends:
                backend.ban_everything()
    except EdgeNotAcknowledged as error:
        logger.warning("The edge cache did not acknowledge a purge (%s); will retry", error)
        _last_failure["at"] = time.monotonic()
        EdgePurge.objects.filter(pk__in=pks).update(
            attempts=F("attempts") + 1, last_error=str(error)[:500]
        )
        return False
    _last_failure["at"] = None
    # Only the rows sent: a purge recorded meanwhile is sent by its own commit.
    EdgePurge.objects.filter(pk__in=pks).delete()
    return True


def schedule_retry():
    """Ask the task worker to try the owed purges again later (then retried with backoff
    while the edge does not acknowledge them)."""
    if not retry_edge_purges.get_backend().supports_defer:
        # Run immediately, a retry would fail the same way now: the sweeps retry instead.
        return None
    delay = timedelta(seconds=retry_delay(1))
    return retry_edge_purges.using(run_after=timezone.now() + delay).enqueue()


@retried_task(priority=TAKEDOWN_PRIORITY)
def retry_edge_purges():
    """Send the purges the edge has not acknowledged yet; fails (and is retried) while any
    is owed."""
    if not carry_out_edge_purges():
        raise EdgeNotAcknowledged("the edge has not acknowledged every purge yet")
    return True

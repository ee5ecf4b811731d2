"""Whole-page caching for anonymous readers that never outlives consent.

Every cached page is stored under the current *generation*. Anything that could change what
a public page shows (a publish, an unpublish, a withdrawal, an expiry, a campaign or snippet
edit, an image change) moves the generation on, so the very next request renders afresh.
Purging everything on any change over-purges, but edits are rare next to reads and it can't
miss a listing, a feed or a sitemap that shows the story.

The rules that keep a cached copy from outliving consent, all in this module:

- A purge happens in the changing transaction *and* again once it commits
  (``transaction.on_commit``): a reader who rendered the old page between the first purge and
  the commit stored it under a generation the second purge leaves behind.
- A copy carries the generation it was rendered under, and is stored only if the generation
  did not move while it was being rendered.
- Generations only move forward. A lost or rolled-back generation is replaced by a value
  that can't go back (the time in nanoseconds, and above anything this process has seen),
  never restarted from 1, so no old copy can match it again.
- The cache fails open for reading and closed for consent. If the cache or the stamp file
  can't be read, pages are rendered uncached (each render checks consent). If a purge fails,
  the change still commits: the failed purge is recorded as a ``PendingPurge`` row (in the
  same transaction when there is one) and retried after commit, by the expiry sweep and by
  readers; while any purge is pending, no cached copy is served.

Cached pages also never live past the next midnight UTC, the moment a grant's end date can
pass; until the expiry sweep runs, serving re-checks consent and answers 410.
"""

import hashlib
import logging
import os
import threading
import time as clock
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache

from core.hashing import sha256_hex

logger = logging.getLogger(__name__)

GENERATION_KEY = "sayso:page-generation"
PAGE_KEY_PREFIX = "sayso:page:"
NOT_CACHED_PREFIXES = (
    settings.SAYSO_ADMIN_PREFIX,
    settings.SAYSO_PORTAL_PREFIX,
    "/api/",
    "/static/",
    "/media/",
    "/__",
)
# Browsers must come back every time (a 304 when nothing changed), so a purge always wins;
# only the edge Sayso purges (stories/edge.py) may keep a public page, for s-maxage seconds.
PUBLIC_CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage={seconds}"
# Not kept anywhere: pages that failed, or that a purge overtook while they were rendered.
UNKEPT_CACHE_CONTROL = "no-cache, max-age=0, must-revalidate"
# Signed-in people's pages: for their own browser only, never a shared cache.
PRIVATE_PREFIXES = (settings.SAYSO_ADMIN_PREFIX, settings.SAYSO_PORTAL_PREFIX)
STORED_HEADERS = ("Content-Type", "Content-Language", "Vary", "Link", "ETag")

# The highest generation this process has seen: a generation read lower than this went back
# (a lost key, a restored snapshot) and is moved forward past it before anything is served.
_seen = {"generation": 0, "pending_checked_at": None}
_seen_lock = threading.Lock()


class PurgeFailed(Exception):
    """The cache or the stamp file could not be told to forget its pages."""


def _strict():
    # The cache that raises when Redis is unreachable (site/cache_backends.py): a purge
    # must know it failed, a read must know to go round the cache.
    return getattr(cache, "strict", cache)


def _shared_cache():
    # Local-memory caches live inside one process: a purge made by the worker that handled
    # a withdrawal must still reach every other worker, so the generation then lives in a
    # file's modification time (one stat per request). Redis is shared: it holds it there.
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def _forward_value():
    """A generation that can't go back: now in nanoseconds, above anything seen here."""
    return max(clock.time_ns(), _seen["generation"] + 1)


def _note(value):
    with _seen_lock:
        _seen["generation"] = max(_seen["generation"], value)
    return value


def _shared_generation():
    value = _strict().get(GENERATION_KEY)
    if value is None:
        _strict().add(GENERATION_KEY, _forward_value(), timeout=None)
        value = _strict().get(GENERATION_KEY)
        if value is None:
            raise PurgeFailed("the generation key can't be kept")
    if value < _seen["generation"]:
        # The key went back (a restored snapshot brings old pages back with it).
        value = _forward_value()
        _strict().set(GENERATION_KEY, value, timeout=None)
    return _note(value)


def _stamp_generation():
    stamp = settings.SAYSO_PAGE_CACHE_STAMP
    if not os.access(stamp, os.W_OK):
        if stamp.exists():
            # A purge can't move an unwritable stamp: serving from the cache would be
            # serving whatever was cached before the last (failed) purge.
            raise PurgeFailed("the stamp file is not writable")
        _move_stamp(stamp)  # a lost stamp is recreated forward, never from 0
    value = os.stat(stamp).st_mtime_ns
    if value < _seen["generation"]:
        value = _move_stamp(stamp)
    return _note(value)


def _move_stamp(stamp):
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    stamp_ns = max(_forward_value(), os.stat(stamp).st_mtime_ns + 1)
    os.utime(stamp, ns=(stamp_ns, stamp_ns))
    return _note(stamp_ns)


def generation():
    """The current generation of cached pages; any purge moves it on.

    Raises PurgeFailed when it can't be read (the cache is then bypassed).
    """
    try:
        return _shared_generation() if _shared_cache() else _stamp_generation()
    except PurgeFailed:
        raise
    except Exception as error:  # Redis down, a file system refusing: read around it
        raise PurgeFailed(str(error)) from error


def _move_generation():
    if _shared_cache():
        try:
            _note(_strict().incr(GENERATION_KEY))
        except ValueError:  # the key is gone: recreate it forward, never from 1
            if not _strict().add(GENERATION_KEY, _forward_value(), timeout=None):
                _note(_strict().incr(GENERATION_KEY))
        return
    _move_stamp(settings.SAYSO_PAGE_CACHE_STAMP)


def _record_pending(error):
    from .models import PendingPurge

    logger.error("Cached pages could not be purged (%s); recorded for retry", error)
    PendingPurge.objects.create(reason=str(error)[:500])
    transaction.on_commit(_enqueue_purge_retry, robust=True)


def _enqueue_purge_retry():
    from .tasks import retry_pending_purges_task

    retry_pending_purges_task.enqueue()


def _purge_or_record():
    try:
        _move_generation()
    except Exception as error:
        # Fails closed: the change commits, and no cached copy is served until the purge
        # succeeds (readers see the pending row, the retry task and the sweep retry it).
        _record_pending(error)
        return False
    return True


def _purge_after_commit():
    try:
        if _purge_or_record():
            retry_pending_purges()
    except DatabaseError:
        logger.exception("A purge after commit could not be recorded")


def purge_all():
    """Invalidate every cached public page at once, in every worker, now and after commit,
    and at the edge once the change commits."""
    from .edge import owe_edge_purge

    # The edge's mark first (stories/edge.py): from then on no page is kept, here or at the
    # edge, so none rendered from the old rows outlives the commit.
    owe_edge_purge(everything=True)
    _purge_or_record()
    if connection.in_atomic_block:
        # A reader rendering before the commit sees the old rows and stores them under the
        # generation just moved: moving it again once the change is visible leaves that
        # copy behind.
        transaction.on_commit(_purge_after_commit, robust=True)


def purge_story(story, pages=()):
    """Purge a story, its aliases and the pages that list it from every cache we know."""
    purge_all()
    # Through Wagtail's frontend cache: the edge backend sends these after commit.
    purge_pages_from_cache(list(pages) or [story])


def delete_cached_pages():
    """Delete every stored public page from the cache store, whatever its generation.

    A generation bump only makes old copies unreachable; erasure must not leave a story's
    words sitting in Redis until they time out. Local memory is per process: there this
    reaches the calling worker's store (the generation stamp covers the others).
    """
    pattern = cache.make_key(f"{PAGE_KEY_PREFIX}*")
    backend = cache._cache  # the backend's own store: Django's cache API can't list keys
    if hasattr(backend, "get_client"):
        client = backend.get_client(write=True)
        stale = list(client.scan_iter(match=pattern, count=500))
        if stale:
            client.delete(*stale)
        return
    lock = getattr(cache, "_lock", None)
    if isinstance(backend, dict) and lock is not None:
        prefix = pattern[:-1]
        with lock:
            for key in [key for key in backend if key.startswith(prefix)]:
                backend.pop(key, None)
                cache._expire_info.pop(key, None)


def retry_pending_purges():
    """Carry out the purges that failed; True when none is left pending."""
    from .models import PendingPurge

    pending = list(PendingPurge.objects.values_list("pk", flat=True))
    if not pending:
        return True
    try:
        _move_generation()
    except Exception as error:
        logger.warning("Pending purges still can't be carried out: %s", error)
        PendingPurge.objects.filter(pk__in=pending).update(attempts=F("attempts") + 1)
        return False
    # Only the rows seen before the purge: a purge recorded meanwhile needs its own.
    PendingPurge.objects.filter(pk__in=pending).delete()
    logger.info("Carried out %d pending purge(s)", len(pending))
    return True


def _purges_pending():
    """True if a failed purge was waiting (it is retried now); checked at most every
    SAYSO_PURGE_CHECK_SECONDS per process."""
    from .models import PendingPurge

    interval = settings.SAYSO_PURGE_CHECK_SECONDS
    now = clock.monotonic()
    checked_at = _seen["pending_checked_at"]
    if interval and checked_at is not None and now - checked_at < interval:
        return False
    try:
        pending = PendingPurge.objects.exists()
    except DatabaseError:
        return True
    if pending:
        # Even when the retry succeeds now, the copy in hand is from before it.
        retry_pending_purges()
        return True
    _seen["pending_checked_at"] = now
    return False


def seconds_until_midnight_utc(now=None):
    now = now or timezone.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return max(1, int((midnight - now).total_seconds()))


def _cache_key(request, gen):
    # The address is hashed: a reader's query string can be any length, and a key must stay
    # short for every cache backend (memcached refuses keys over 250 characters).
    address = f"{request.get_host()}:{request.get_full_path()}"
    return f"{PAGE_KEY_PREFIX}{gen}:{sha256_hex(address)}"


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(NOT_CACHED_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.user.is_authenticated
    )


def _cached_copy(request):
    """(generation, stored copy or None); generation None means: don't use the cache."""
    try:
        gen = generation()
    except PurgeFailed as error:
        logger.warning("Page cache bypassed: %s", error)
        return None, None
    try:
        stored = _strict().get(_cache_key(request, gen))
    except Exception as error:
        logger.warning("Page cache unreachable, page rendered uncached: %s", error)
        return None, None
    if stored is not None and (stored[0] != gen or _purges_pending()):
        # A fresh render checks consent; storing it replaces the copy that was refused.
        stored = None
    return gen, stored


def _store(request, gen, response):
    try:
        if generation() != gen:
            # A purge happened while this page was being rendered: it may show what the
            # purge was for.
            return False
        timeout = min(settings.SAYSO_PAGE_CACHE_SECONDS, seconds_until_midnight_utc())
        headers = [(n, response[n]) for n in STORED_HEADERS if response.has_header(n)]
        value = (gen, response.status_code, headers, response.content)
        _strict().set(_cache_key(request, gen), value, timeout)
    except Exception as error:
        logger.warning("Page not cached: %s", error)
        return False
    return True


def public_cache_control():
    """What browsers and the edge are told about a public page that may be kept."""
    seconds = min(settings.SAYSO_EDGE_SECONDS, seconds_until_midnight_utc())
    return PUBLIC_CACHE_CONTROL.format(seconds=seconds)


def _shared_cache_control(held_back):
    """Public, and kept by the edge unless an edge purge was in flight when the response
    started (``held_back``) or is now."""
    from .edge import edge_purge_in_flight

    if held_back or edge_purge_in_flight():
        return UNKEPT_CACHE_CONTROL
    return public_cache_control()


def content_etag(content):
    """A strong validator: the page's bytes, hashed (a validator, not a record: not
    core.hashing, which hashes texts)."""
    return f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def _private_request(request):
    return (
        request.path.startswith(PRIVATE_PREFIXES)
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or request.user.is_authenticated
    )


def _mark_private(response):
    if response.has_header("Cache-Control"):
        patch_cache_control(response, private=True)
    else:
        response["Cache-Control"] = "private, no-cache, max-age=0, must-revalidate"
    return response


class PublicPageCacheMiddleware:
    """Serves anonymous readers whole pages from Django's cache (local memory or Redis).

    Public pages carry an ETag (a 304 when the reader's copy is current) and may be kept
    by the edge for s-maxage seconds: exactly the pages this cache itself would keep.
    Signed-in people's pages are marked private.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            response = self.get_response(request)
            if _private_request(request):
                _mark_private(response)
            return response
        from .edge import edge_purge_in_flight

        # Checked when the response starts and again when it is finished: a page rendered
        # while a change that purges the edge is being committed must not be kept there.
        held_back = edge_purge_in_flight()
        gen, stored = _cached_copy(request)
        if stored is not None:
            _gen, status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            if not response.has_header("ETag"):  # a copy stored before pages had one
                response["ETag"] = content_etag(content)
            response["Cache-Control"] = _shared_cache_control(held_back)
            response["X-Sayso-Cache"] = "hit"
            return self._conditional(request, response)
        response = self.get_response(request)
        kept = False
        if (
            gen is not None
            and response.status_code == 200
            and not response.cookies
            and not getattr(response, "streaming", False)
        ):
            if hasattr(response, "render") and callable(response.render):
                response.render()
            response["ETag"] = content_etag(response.content)
            # Nor in this cache while an edge purge is in flight: after the commit, until
            # the purge after it, such a copy would be served from here.
            kept = not (held_back or edge_purge_in_flight()) and _store(request, gen, response)
            response["X-Sayso-Cache"] = "miss" if kept else "off"
        elif gen is None:
            response["X-Sayso-Cache"] = "off"
        if kept:
            response["Cache-Control"] = _shared_cache_control(held_back)
            return self._conditional(request, response)
        if response.cookies:
            return _mark_private(response)
        # A page this cache won't keep (an error, a 410, a page a purge overtook, a cache
        # that can't be read) is kept by no one else either.
        if not response.has_header("Cache-Control") or "s-maxage" in response["Cache-Control"]:
            response["Cache-Control"] = UNKEPT_CACHE_CONTROL
        return response

    def _conditional(self, request, response):
        return get_conditional_response(request, etag=response["ETag"], response=response)

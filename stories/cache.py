"""Whole-page caching for anonymous readers that never outlives consent.

Every cached page is stored under the current *generation*. Anything that could change what
a public page shows (a publish, an unpublish, a withdrawal, an expiry, a campaign or snippet
edit, an image change) bumps the generation, so the very next request renders afresh. Purging
everything on any change over-purges, but edits are rare next to reads and it can't miss a
listing, a feed or a sitemap that shows the story.

Cached pages also never live past the next midnight UTC, the moment a grant's end date can
pass; until the expiry sweep runs, serving re-checks consent and answers 410.
"""

import os
import time as clock
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache

GENERATION_KEY = "sayso:page-generation"
PAGE_KEY_PREFIX = "sayso:page:"
NOT_CACHED_PREFIXES = ("/admin/", "/my/", "/api/", "/static/", "/media/", "/__")
# Browsers and shared caches must come back to us every time, so a purge always wins.
PUBLIC_CACHE_CONTROL = "no-cache, max-age=0, must-revalidate"
STORED_HEADERS = ("Content-Type", "Content-Language", "Vary", "Link")


def _shared_cache():
    # Local-memory caches live inside one process: a purge made by the worker that handled
    # a withdrawal must still reach every other worker, so the generation then lives in a
    # file's modification time (one stat per request). Redis is shared: it holds it there.
    return not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def generation():
    """The current generation of cached pages; any purge moves it on."""
    if _shared_cache():
        value = cache.get(GENERATION_KEY)
        if value is None:
            cache.add(GENERATION_KEY, 1, timeout=None)
            value = cache.get(GENERATION_KEY, 1)
        return value
    try:
        return os.stat(settings.SAYSO_PAGE_CACHE_STAMP).st_mtime_ns
    except FileNotFoundError:
        return 0


def purge_all():
    """Invalidate every cached public page at once, in every worker."""
    if _shared_cache():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, 2, timeout=None)
        return
    stamp = settings.SAYSO_PAGE_CACHE_STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    stamp_ns = max(clock.time_ns(), generation() + 1)
    os.utime(stamp, ns=(stamp_ns, stamp_ns))


def purge_story(story, pages=()):
    """Purge a story, its aliases and the pages that list it from every cache we know."""
    purge_all()
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


def seconds_until_midnight_utc(now=None):
    now = now or timezone.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)
    return max(1, int((midnight - now).total_seconds()))


def _cache_key(request, gen):
    return f"{PAGE_KEY_PREFIX}{gen}:{request.get_host()}:{request.get_full_path()}"


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(NOT_CACHED_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.user.is_authenticated
    )


class PublicPageCacheMiddleware:
    """Serves anonymous readers whole pages from Django's cache (local memory or Redis)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _cache_key(request, generation())
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Sayso-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if not request.path.startswith(NOT_CACHED_PREFIXES):
            response.setdefault("Cache-Control", PUBLIC_CACHE_CONTROL)
        if (
            response.status_code == 200
            and not response.cookies
            and not getattr(response, "streaming", False)
        ):
            if hasattr(response, "render") and callable(response.render):
                response.render()
            headers = [(n, response[n]) for n in STORED_HEADERS if response.has_header(n)]
            headers.append(("Cache-Control", PUBLIC_CACHE_CONTROL))
            timeout = min(settings.SAYSO_PAGE_CACHE_SECONDS, seconds_until_midnight_utc())
            cache.set(key, (response.status_code, headers, response.content), timeout)
            response["X-Sayso-Cache"] = "miss"
        return response

"""Purging the edge cache (Varnish, deploy/varnish/sayso.vcl) in front of the app servers.

The edge keeps public pages for anonymous readers; only Sayso can make it forget them. The
rules, all here:

- Every change that moves the page-cache generation (stories/cache.py ``purge_all``) bans
  the whole site at the edge; a story's own addresses are purged too, through Wagtail's
  frontend cache (``purge_pages_from_cache``, whose backend is ``EdgeBackend``).
- Nothing is sent before the change commits: a purge sent earlier lets a reader put the old
  page back at the edge before the change is visible. The purge is recorded as an
  ``EdgePurge`` row in the changing transaction (so a crash between commit and purge still
  leaves it owed) and sent from ``transaction.on_commit``, in the process that committed,
  so the edge forgets the page as soon as the change is visible.
- A purge is done only when every edge acknowledged it (HTTP 200). Until then the row stays:
  the ``retry_edge_purges`` task tries again (later, with a worker that can defer tasks),
  and so do the expiry and take-down sweeps and the next purge.
- A ban is sent twice, ``SAYSO_EDGE_SETTLE_SECONDS`` apart: a page rendered just before the
  commit may still be on its way to the edge when the first ban arrives, and a ban only
  covers pages the edge already holds.
- The edge keeps a page at most ``SAYSO_EDGE_SECONDS`` (and never past midnight UTC), which
  bounds what an edge that can't be reached for a purge serves.
"""

import logging
import time
from datetime import timedelta
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import default_task_backend, task
from wagtail.contrib.frontend_cache.backends import HTTPBackend
from wagtail.contrib.frontend_cache.utils import get_backends

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

    def ban_everything(self):
        self._send("BAN", "/", self.cache_netloc)


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
    transaction.on_commit(_send_after_commit, robust=True)


# When this process last found the edge unreachable: one change calls for several purges,
# and an edge that just failed is not asked again by each of them (the retry task will).
_last_failure = {"at": None}


def _send_after_commit():
    failed_at = _last_failure["at"]
    if failed_at is not None and time.monotonic() - failed_at < 1:
        return
    if carry_out_edge_purges():
        _last_failure["at"] = None
    else:
        _last_failure["at"] = time.monotonic()
        schedule_retry()


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
        EdgePurge.objects.filter(pk__in=pks).update(
            attempts=F("attempts") + 1, last_error=str(error)[:500]
        )
        return False
    # Only the rows sent: a purge recorded meanwhile is sent by its own commit.
    EdgePurge.objects.filter(pk__in=pks).delete()
    return True


def schedule_retry():
    """Ask the task worker to try the owed purges again later (if it can wait)."""
    if not default_task_backend.supports_defer:
        # Run immediately, a retry would fail the same way now: the sweeps retry instead.
        return None
    delay = timedelta(seconds=settings.SAYSO_EDGE_RETRY_SECONDS)
    return retry_edge_purges.using(run_after=timezone.now() + delay).enqueue()


@task()
def retry_edge_purges():
    """Send the purges the edge has not acknowledged yet; again later while any is owed."""
    if carry_out_edge_purges():
        return True
    schedule_retry()
    return False

"""Purging the edge cache: after commit, every time, until the edge acknowledges.

The edge here is a small HTTP server in this process that records every PURGE and BAN and
can be made to refuse or to be unreachable; tests/integration/stack/test_edge_stack.py runs
the real Varnish.
"""

import contextlib
import io
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks.base import TaskResultStatus

from consent import services
from consent.selectors import today
from stories.edge import carry_out_edge_purges, edge_purge_in_flight, retry_edge_purges
from stories.models import CampaignPage, EdgePurge, StoryPage, Topic

from tests.caches import CLOSED_PORT, needs_redis, redis_caches
from tests.conftest import approve

pytestmark = pytest.mark.django_db


class FakeEdge:
    """Answers PURGE and BAN with 200 (or ``status``) and records them."""

    def __init__(self):
        self.requests = []
        self.status = 200
        edge = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                edge.requests.append((self.command, self.path, self.headers["Host"]))
                self.send_response(edge.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PURGE = do_BAN = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def methods(self):
        return [method for method, _path, _host in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def unreachable_url():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def configure_edges(settings, *urls):
    settings.WAGTAILFRONTENDCACHE = {
        f"edge{n}": {"BACKEND": "stories.edge.EdgeBackend", "LOCATION": url, "TIMEOUT": 1}
        for n, url in enumerate(urls, start=1)
    }
    settings.SAYSO_EDGE_SETTLE_SECONDS = 0


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs what the block leaves for after commit, as its commit would (tests run inside
    a transaction that never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _edge_not_failed_recently():
    import stories.edge

    stories.edge._last_failure.update(at=None, retry_due=None)


def forget_marks():
    """Clear the marks set by fixtures: their changes, in the test's own transaction, never
    commit (nor roll back before the test ends)."""
    import shutil

    from django.db import connection

    from stories.edge import _in_flight_dir, _redis_client

    connection._sayso_edge_in_flight = None
    shared = _redis_client()
    if shared is not None:
        client, key = shared
        client.delete(key)
    shutil.rmtree(_in_flight_dir(), ignore_errors=True)


@pytest.fixture
def no_mark():
    forget_marks()
    assert edge_purge_in_flight() is False


@contextlib.contextmanager
def answering_edge(settings):
    """An edge that answers, configured in place of any other, for the ``with`` block."""
    edge = FakeEdge()
    try:
        configure_edges(settings, edge.url)
        yield edge
    finally:
        edge.close()


@pytest.fixture
def worker(settings):
    """A task worker that defers: what is queued is kept (``.results``), not run now."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


@pytest.fixture
def edge(settings):
    edge = FakeEdge()
    configure_edges(settings, edge.url)
    yield edge
    edge.close()


def test_a_withdrawal_bans_the_site_and_purges_the_story_only_after_it_commits(
    edge, published_story, amara, no_mark, django_capture_on_commit_callbacks
):
    edge.requests.clear()  # the fixture's publishing banned it before its (test) commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.withdraw_story(story=published_story, user=amara.user)
    # Before the commit: the mark is set and the edge banned once (best effort) ...
    assert edge.methods() == ["BAN"]
    assert edge_purge_in_flight() is True
    assert EdgePurge.objects.filter(everything=True).exists()  # ... and the purge owed

    for callback in callbacks:
        callback()

    # After it: the ban, and again once in-flight pages landed; then the mark is cleared.
    assert edge.methods().count("BAN") == 3
    assert ("PURGE", "/stories/published/", "localhost") in edge.requests
    assert EdgePurge.objects.count() == 0
    assert edge_purge_in_flight() is False


def test_a_rolled_back_change_sends_no_purge(edge, published_story, amara, no_mark, committed):
    edge.requests.clear()
    owed_before = EdgePurge.objects.count()  # the fixture's own publishing, in this test's
    # transaction, which never commits
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        services.withdraw_story(story=published_story, user=amara.user)
        assert edge_purge_in_flight() is True
        raise RuntimeError("the withdrawal's transaction fails")

    assert edge.methods() == ["BAN"]  # the ban before commit only: harmless
    assert edge_purge_in_flight() is False  # the rollback cleared the mark
    assert EdgePurge.objects.count() == owed_before
    assert StoryPage.objects.get(pk=published_story.pk).live


@pytest.mark.parametrize("change", ["publish", "unpublish", "topic", "expiry"])
def test_every_change_that_moves_the_page_cache_bans_the_edge(
    edge, change, make_story, amara, editor, published_story, campaign_index, committed
):
    with committed():
        make_the_change(change, edge, make_story, amara, editor, published_story, campaign_index)

    assert "BAN" in edge.methods(), change


def make_the_change(change, edge, make_story, amara, editor, published_story, campaign_index):
    if change == "publish":
        campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Intro</p>")
        campaign_index.add_child(instance=campaign)
        campaign.save_revision().publish()
    elif change == "unpublish":
        published_story.unpublish(user=editor)
    elif change == "topic":
        Topic.objects.create(name="Work", slug="work")
    else:
        story = make_story(amara, slug="ending")
        approve(story, amara, valid_until=today())
        story.get_latest_revision().publish()
        services.expire_due_grants(on_day=today() + timedelta(days=1))
        assert not StoryPage.objects.get(pk=story.pk).live


def test_an_unreachable_edge_leaves_the_purge_owed_until_it_answers(
    settings, published_story, amara, caplog, committed
):
    down = unreachable_url()
    configure_edges(settings, down)

    with committed():
        services.withdraw_story(story=published_story, user=amara.user)

    # The withdrawal committed all the same, and the purge is owed.
    assert not StoryPage.objects.get(pk=published_story.pk).live
    owed = EdgePurge.objects.all()
    assert {purge.everything for purge in owed} == {True, False}
    # Tried once after the commit, not again by each of the change's purges.
    assert {purge.attempts for purge in owed} == {1}
    assert "Connection refused" in owed[0].last_error
    assert "did not acknowledge" in caplog.text

    # Still down: the task tries, fails (so the worker retries it) and keeps it.
    assert retry_edge_purges.enqueue().status == TaskResultStatus.FAILED
    assert {purge.attempts for purge in EdgePurge.objects.all()} == {2}

    with answering_edge(settings) as edge:
        assert retry_edge_purges.enqueue().return_value is True
        assert edge.methods().count("BAN") == 2
        assert ("PURGE", "/stories/published/", "localhost") in edge.requests
        assert EdgePurge.objects.count() == 0


def test_an_edge_that_refuses_the_purge_has_not_acknowledged_it(
    edge, published_story, amara, committed
):
    edge.status = 403  # e.g. an app server missing from the edge's purge list

    with committed():
        services.withdraw_story(story=published_story, user=amara.user)

    assert {purge.last_error for purge in EdgePurge.objects.all()} == {"PURGE answered 403"}
    edge.status = 200
    assert carry_out_edge_purges() is True
    assert EdgePurge.objects.count() == 0


def test_the_expiry_sweep_sends_owed_purges(settings, published_story, amara, committed):
    configure_edges(settings, unreachable_url())
    with committed():
        services.withdraw_story(story=published_story, user=amara.user)
    assert EdgePurge.objects.filter(everything=True).exists()  # owed

    with answering_edge(settings) as edge:
        call_command("expire_consents", stdout=io.StringIO())
        assert "BAN" in edge.methods()
        assert EdgePurge.objects.count() == 0


@pytest.mark.parametrize("takedown", ["withdrawal", "expiry"])
def test_with_a_worker_a_takedown_the_edge_missed_is_retried_later(
    request, settings, takedown, published_story, ending_today, amara, committed, worker
):
    story = published_story if takedown == "withdrawal" else ending_today[0]
    configure_edges(settings, unreachable_url())

    with committed():
        if takedown == "withdrawal":
            services.withdraw_story(story=story, user=amara.user)
        else:
            request.getfixturevalue("next_day")
            call_command("expire_consents", stdout=io.StringIO(), stderr=io.StringIO())

    assert not StoryPage.objects.get(pk=story.pk).live
    retries = [r for r in worker.results if r.task.name == "retry_edge_purges"]
    assert len(retries) == 1
    assert retries[0].task.run_after is not None
    assert EdgePurge.objects.filter(everything=True).exists()
    # Wagtail hands the story's own addresses to the worker, which records them for the edge.
    handed = [
        url
        for r in worker.results
        if r.task.name == "purge_urls_from_cache_task"
        for url in r.args[0]
    ]
    assert f"http://localhost{story.url}" in handed


def test_every_edge_must_acknowledge(settings, published_story, amara, committed):
    up = FakeEdge()
    try:
        configure_edges(settings, up.url, unreachable_url())
        with committed():
            services.withdraw_story(story=published_story, user=amara.user)
        assert "BAN" in up.methods()
        assert EdgePurge.objects.filter(everything=True).exists()  # the second edge owes it
    finally:
        up.close()


def test_wagtails_own_purge_on_publish_waits_for_the_commit(
    edge, campaign_index, no_mark, django_capture_on_commit_callbacks
):
    edge.requests.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Intro</p>")
        campaign_index.add_child(instance=campaign)
        campaign.save_revision().publish()
    assert edge.methods() == ["BAN"]  # the ban before commit; the page's purge waits
    assert EdgePurge.objects.filter(urls=["http://localhost/campaigns/fair-work/"]).exists()

    for callback in callbacks:
        callback()

    assert ("PURGE", "/campaigns/fair-work/", "localhost") in edge.requests
    assert EdgePurge.objects.count() == 0


def test_without_an_edge_nothing_is_recorded(published_story, amara, committed):
    with committed():
        services.withdraw_story(story=published_story, user=amara.user)

    assert EdgePurge.objects.count() == 0


def test_check_takedowns_reports_an_unacknowledged_edge_purge_until_it_is_sent(
    settings, published_story, amara, committed
):
    from django.core.management.base import CommandError

    configure_edges(settings, unreachable_url())
    with committed():
        services.withdraw_story(story=published_story, user=amara.user)

    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_takedowns", stdout=io.StringIO(), stderr=err)
    assert "purge(s) of the edge cache not yet acknowledged" in err.getvalue()
    with answering_edge(settings) as edge:
        out = io.StringIO()
        call_command("check_takedowns", "--retry", stdout=out, stderr=io.StringIO())
        assert "No public file of a withdrawn story is left." in out.getvalue()
        assert "BAN" in edge.methods()


# The mark "an edge purge is in flight": while it stands, no public response may be kept by
# the edge, whether it was found so when the response started or when it was finished.


def _kept_by_edge(response):
    return "s-maxage" in response["Cache-Control"]


def test_while_a_purge_is_in_flight_public_pages_are_not_kept_by_the_edge(
    edge, published_story, client, no_mark
):
    from stories.edge import _mark_and_ban_before_commit

    url = published_story.url
    assert _kept_by_edge(client.get(url))  # a miss, stored: the edge may keep it
    assert _kept_by_edge(client.get(url))  # a hit

    in_flight = _mark_and_ban_before_commit()
    miss_or_hit = client.get(url)
    assert miss_or_hit.status_code == 200
    assert miss_or_hit["Cache-Control"] == "no-cache, max-age=0, must-revalidate"
    in_flight.clear()
    assert edge_purge_in_flight() is False
    assert _kept_by_edge(client.get(url))


@pytest.mark.parametrize("cached", [False, True])
def test_a_mark_set_while_a_page_is_rendered_keeps_it_from_the_edge(
    edge, published_story, client, no_mark, monkeypatch, cached
):
    """The check at the end of the response: the mark was set after the one at its start."""
    from stories import cache as page_cache
    from stories.edge import _mark_and_ban_before_commit

    url = published_story.url
    if cached:
        assert client.get(url)["X-Sayso-Cache"] == "miss"
    marks = []
    found_at_start = page_cache._cached_copy

    def mark_in_between(request):
        copy = found_at_start(request)  # after the check at the start
        marks.append(_mark_and_ban_before_commit())
        return copy

    monkeypatch.setattr(page_cache, "_cached_copy", mark_in_between)
    response = client.get(url)
    assert response.status_code == 200
    # Rendered: kept neither by the page cache nor by the edge ("off"); served from the
    # page cache: not kept by the edge.
    assert response["X-Sayso-Cache"] == ("hit" if cached else "off")
    assert not _kept_by_edge(response)
    marks[0].clear()
    monkeypatch.undo()
    assert client.get(url)["X-Sayso-Cache"] == ("hit" if cached else "miss")


def test_the_mark_expires_by_itself(edge, settings, no_mark):
    """A process that set it and died (no commit, no rollback to clear it)."""
    import time

    from stories.edge import _set_mark

    _set_mark("left-by-a-dead-process", time.time() + 0.3)
    assert edge_purge_in_flight() is True
    time.sleep(0.4)
    assert edge_purge_in_flight() is False


def test_an_unreachable_edge_before_commit_neither_blocks_nor_fails_a_withdrawal(
    settings, published_story, amara, no_mark, committed
):
    import time

    configure_edges(settings, unreachable_url())
    started = time.monotonic()
    with committed(), transaction.atomic():
        services.withdraw_story(story=published_story, user=amara.user)
        assert edge_purge_in_flight() is True
    assert time.monotonic() - started < 5
    assert not StoryPage.objects.get(pk=published_story.pk).live
    assert edge_purge_in_flight() is False
    assert EdgePurge.objects.filter(everything=True).exists()  # owed after commit


class HangingEdge:
    """Takes connections and never answers: an edge that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self):
        self.socket.close()


def publish_story(make_story, storyteller, slug):
    story = make_story(storyteller, slug=slug)
    approve(story, storyteller)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


def test_after_the_edge_failed_a_takedown_does_not_wait_for_it_again(
    settings, published_story, make_story, amara, committed, worker
):
    import time

    from django.utils import timezone

    second = publish_story(make_story, amara, "second")
    EdgePurge.objects.all().delete()  # the fixtures' publishing, never committed
    hanging = HangingEdge()
    try:
        configure_edges(settings, hanging.url)
        settings.SAYSO_EDGE_PRECOMMIT_TIMEOUT = 1

        started = time.monotonic()
        with committed():
            services.withdraw_story(story=published_story, user=amara.user)
        assert time.monotonic() - started >= 1  # it waited for the edge, this once
        first_owed = set(EdgePurge.objects.values_list("pk", flat=True))
        assert first_owed

        time.sleep(1.1)  # the next takedown, a little later (within SAYSO_EDGE_DOWN_SECONDS)
        started = time.monotonic()
        with committed():
            services.withdraw_story(story=second, user=amara.user)
        assert time.monotonic() - started < settings.SAYSO_EDGE_PRECOMMIT_TIMEOUT
        asked_after_it = timezone.now()
    finally:
        hanging.close()

    # The takedown itself went through, and its purge is owed: not tried, not lost ...
    assert not StoryPage.objects.get(pk=second.pk).live
    second_owed = EdgePurge.objects.exclude(pk__in=first_owed)
    assert second_owed.filter(everything=True).exists()
    assert {purge.attempts for purge in second_owed} == {0}
    # ... and retried: the worker's retry comes after it was recorded.
    (retry,) = [r for r in worker.results if r.task.name == "retry_edge_purges"]
    assert retry.task.run_after > asked_after_it

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with answering_edge(settings) as edge:
        assert retry_edge_purges.enqueue().return_value is True
        assert "BAN" in edge.methods()
        assert EdgePurge.objects.count() == 0


def test_once_the_edge_failed_long_enough_ago_takedowns_ask_it_again(
    settings, published_story, make_story, amara, committed
):
    import time

    second = publish_story(make_story, amara, "second")
    configure_edges(settings, unreachable_url())
    settings.SAYSO_EDGE_DOWN_SECONDS = 0.2
    with committed():
        services.withdraw_story(story=published_story, user=amara.user)
    assert EdgePurge.objects.exists()  # owed

    time.sleep(0.3)
    with answering_edge(settings) as edge:
        with committed():
            services.withdraw_story(story=second, user=amara.user)
        assert edge.methods().count("BAN") == 3  # before commit, after it, once settled
        assert ("PURGE", "/stories/second/", "localhost") in edge.requests
        assert EdgePurge.objects.count() == 0  # the first takedown's purge went too


def test_an_edge_that_just_failed_is_not_banned_before_the_next_takedown_commits(
    settings, published_story, make_story, amara, committed, django_capture_on_commit_callbacks
):
    import time

    second = publish_story(make_story, amara, "second")
    configure_edges(settings, unreachable_url())
    with committed():
        services.withdraw_story(story=published_story, user=amara.user)

    time.sleep(1.1)  # the next takedown, a little later (within SAYSO_EDGE_DOWN_SECONDS)
    with answering_edge(settings) as edge:  # it answers again, but this process does not know yet
        with django_capture_on_commit_callbacks(execute=True):
            services.withdraw_story(story=second, user=amara.user)
        assert edge.requests == []  # neither before nor after the commit ...
    assert not StoryPage.objects.get(pk=second.pk).live
    urls = {url for purge in EdgePurge.objects.all() for url in purge.urls}
    assert "http://localhost/stories/second/" in urls  # ... and owed: the sweeps send it
    assert edge_purge_in_flight() is False


@needs_redis
def test_with_redis_the_mark_lives_there_and_a_rollback_clears_it(
    edge, settings, published_story, amara, committed
):
    settings.CACHES = redis_caches(key_prefix="sayso-test-edge")
    forget_marks()
    from stories.edge import _redis_client

    client, key = _redis_client()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.withdraw_story(story=published_story, user=amara.user)
        assert client.zcard(key) == 1  # where every app server looks
        assert edge_purge_in_flight() is True
        raise RuntimeError("the withdrawal's transaction fails")
    assert client.zcard(key) == 0
    assert edge_purge_in_flight() is False

    with committed(), transaction.atomic():
        services.withdraw_story(story=published_story, user=amara.user)
        assert edge_purge_in_flight() is True
        # A server that dies before clearing its mark leaves one that expires by itself.
        assert 0 < client.ttl(key) <= settings.SAYSO_EDGE_MARK_SECONDS + 1
    assert edge_purge_in_flight() is False
    assert client.exists(key) == 0  # cleared after commit: the only mark in it is gone


def test_with_redis_down_a_withdrawal_commits_and_no_page_is_kept_by_the_edge(
    edge, settings, published_story, amara, client, no_mark, committed
):
    settings.CACHES = redis_caches(CLOSED_PORT, key_prefix="sayso-test-edge")
    connection_marks = edge_purge_in_flight()
    assert connection_marks is True  # can't be told: the edge keeps nothing
    response = client.get(published_story.url)
    assert response.status_code == 200
    assert not _kept_by_edge(response)

    with committed():
        services.withdraw_story(story=published_story, user=amara.user)
    assert not StoryPage.objects.get(pk=published_story.pk).live
    assert "BAN" in edge.methods()
    assert EdgePurge.objects.count() == 0
    assert client.get(published_story.url).status_code == 410


# The expiry sweep takes stories down like a withdrawal does: the edge forgets them too.


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_story_taken_down_by_expiry_is_purged_at_the_edge_once_it_commits(
    edge, ending_today, next_day, no_mark, monkeypatch
):
    """Each story's expiry commits on its own: the sweep is run as in production."""
    from stories import edge as edge_module

    committed_when_sent = []
    send = edge_module.EdgeBackend.send_purge

    def send_after_checking(backend, url):
        committed_when_sent.append(not StoryPage.objects.get(pk=ending_today[0].pk).live)
        return send(backend, url)

    monkeypatch.setattr(edge_module.EdgeBackend, "send_purge", send_after_checking)
    edge.requests.clear()

    call_command("expire_consents", stdout=io.StringIO(), stderr=io.StringIO())

    assert not StoryPage.objects.get(pk=ending_today[0].pk).live
    assert ("PURGE", "/stories/ending-today/", "localhost") in edge.requests
    assert committed_when_sent and all(committed_when_sent)  # sent once the takedown was in
    assert edge.methods().count("BAN") >= 3  # before commit, after it, and once settled
    assert EdgePurge.objects.count() == 0
    assert edge_purge_in_flight() is False


@pytest.mark.parametrize("sweep", ["expire_consents_task", "check_takedowns_task"])
def test_a_sweep_task_is_retried_until_the_edge_acknowledges_its_takedowns(
    sweep, request, settings, committed
):
    """The expiry sweep and the take-down check, as the worker runs them: neither is done
    while the edge still has a story it took down, and each asks the edge itself rather
    than wait for another task to."""
    from stories import tasks

    task = getattr(tasks, sweep)
    configure_edges(settings, unreachable_url())
    if sweep == "expire_consents_task":
        story = request.getfixturevalue("ending_today")[0]
        request.getfixturevalue("next_day")  # the sweep takes it down
    else:
        story = request.getfixturevalue("published_story")
        with committed():
            services.withdraw_story(story=story, user=request.getfixturevalue("amara").user)
    with committed():
        result = task.enqueue()

    assert not StoryPage.objects.get(pk=story.pk).live  # the take-down itself committed
    urls = {url for purge in EdgePurge.objects.all() for url in purge.urls}
    path = f"/stories/{story.slug}/"
    assert f"http://localhost{path}" in urls  # owed ...
    assert result.status == TaskResultStatus.FAILED  # ... so the sweep is not done

    with answering_edge(settings) as edge:
        with committed():
            again = task.enqueue()
        assert again.status == TaskResultStatus.SUCCESSFUL
        assert ("PURGE", path, "localhost") in edge.requests
        assert "BAN" in edge.methods()
        assert EdgePurge.objects.count() == 0

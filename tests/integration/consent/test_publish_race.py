"""A publish and a withdrawal at the same moment (issue 10, item 8).

Two real database connections (one thread each), the interleaving forced with Events at
seams inside the publish and withdrawal paths, in both orders. Whatever the order, the
ledger never ends saying "withdrawn" while the page is live.
"""

import threading
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection

from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry
from stories import guard as story_guard
from stories.models import StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAIT = 20  # seconds; only reached if the code under test deadlocks


def run_in_thread(target, results, name):
    """Run target on its own database connection; keep what it returned or raised."""

    def body():
        try:
            results[name] = target()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[name] = error
        finally:
            from django.db import connection as own

            own.close()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


def wait_until_a_connection_waits_for_a_lock():
    """PostgreSQL: block until another backend is waiting for a lock (the publisher)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for _attempt in range(WAIT * 100):
            # pg_locks, not pg_stat_activity: the latter is a snapshot fixed for the rest
            # of this (the withdrawal's) transaction.
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)
    raise AssertionError("the publish never waited for the story's lock")


@contextmanager
def seam(target, before):
    """Call ``before`` (in whichever thread gets there) just before ``target`` runs."""
    module, name = target.rsplit(".", 1)
    original = getattr(__import__(module, fromlist=[name]), name)

    def wrapper(*args, **kwargs):
        before()
        return original(*args, **kwargs)

    with mock.patch(target, wrapper):
        yield


@pytest.fixture
def approved_story(make_story, amara):
    story = make_story(amara, slug="race")
    approve(story, amara)
    return StoryPage.objects.get(pk=story.pk)


def assert_never_withdrawn_and_live(story):
    latest = ConsentEntry.objects.filter(story_id=story.pk).order_by("-sequence").first()
    assert latest.decision == ConsentEntry.Decision.WITHDRAWN
    assert not StoryPage.objects.get(pk=story.pk).live


def test_publish_decided_first_then_withdrawal_takes_it_down(approved_story, amara):
    story = approved_story
    revision = story.get_latest_revision()
    stale = StoryPage.objects.get(pk=story.pk)  # the withdrawal's copy: not live yet
    publish_decided = threading.Event()
    withdrawal_started = threading.Event()
    results = {}

    def hold_publish_after_deciding():
        publish_decided.set()
        assert withdrawal_started.wait(WAIT)

    def publish():
        revision.publish()
        return "published"

    def withdraw():
        assert publish_decided.wait(WAIT)
        withdrawal_started.set()
        return services.withdraw_story(story=stale, user=amara.user)

    with mock.patch.object(
        story_guard, "before_publish_decision", lambda page: hold_publish_after_deciding()
    ):
        threads = [
            run_in_thread(publish, results, "publish"),
            run_in_thread(withdraw, results, "withdraw"),
        ]
        for thread in threads:
            thread.join(WAIT * 2)

    assert results["publish"] == "published"
    assert isinstance(results["withdraw"], ConsentEntry)
    assert_never_withdrawn_and_live(story)


def test_withdrawal_first_then_the_publish_is_refused(approved_story, amara):
    story = approved_story
    revision = story.get_latest_revision()
    withdrawal_recorded = threading.Event()
    publish_started = threading.Event()
    results = {}

    def hold_withdrawal_before_take_down():
        if threading.current_thread().name != "withdraw":
            return
        withdrawal_recorded.set()
        assert publish_started.wait(WAIT)
        wait_until_a_connection_waits_for_a_lock()

    def publish():
        assert withdrawal_recorded.wait(WAIT)
        publish_started.set()
        revision.publish()
        return "published"

    def withdraw():
        return services.withdraw_story(story=story, user=amara.user)

    with seam("consent.services.take_down", hold_withdrawal_before_take_down):
        threads = [
            run_in_thread(withdraw, results, "withdraw"),
            run_in_thread(publish, results, "publish"),
        ]
        for thread in threads:
            thread.join(WAIT * 2)

    assert isinstance(results["withdraw"], ConsentEntry)
    assert isinstance(results["publish"], ConsentRequired)
    assert "Amara withdrew this story" in str(results["publish"])
    assert_never_withdrawn_and_live(story)

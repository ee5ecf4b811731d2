"""The page cache never outlives consent: racing readers, a lost generation, Redis down,
an unwritable stamp file, and public files that refuse to be deleted.

Faults are caused, not mocked: Redis at a closed port, files made immutable (root ignores
permission bits, so as root the file system's immutable flag is used), and interleavings
forced with events inside the real withdrawal and the real serving of a page.
"""

import io
import os
import shutil
import subprocess
import threading
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from consent import services
from images.models import FileTakedown, SaysoRendition
from images.services import take_down_renditions
from stories import cache as page_cache
from stories.models import PendingPurge, StoryPage

from tests.caches import CLOSED_PORT, needs_redis, redis_caches
from tests.conftest import approve

CLOSED_PORT_REDIS = redis_caches(CLOSED_PORT)


@pytest.fixture
def live_story(make_published_story, amara, photo):
    return make_published_story(
        amara, slug="harbour", title="The harbour", image=photo, image_alt="A harbour wall."
    )


@pytest.fixture
def real_redis():
    with override_settings(CACHES=redis_caches()):
        cache.clear()
        yield
        cache.clear()


def withdraw_in_portal(storyteller, story, capture):
    client = Client()
    client.force_login(storyteller.user)
    with capture(execute=True):
        response = client.post(reverse("portal:withdraw", args=[story.pk]), {"where": "everywhere"})
    assert response.status_code == 302
    assert response["Location"].startswith("/my/")
    return response


def read(url):
    """What an anonymous reader gets: (status, where it came from)."""
    response = Client().get(url)
    return response.status_code, response.get("X-Sayso-Cache")


def change_flag(path, *, immutable):
    if os.geteuid() == 0:
        flag = "+i" if immutable else "-i"
        subprocess.run([shutil.which("chattr"), flag, str(path)], check=True)  # noqa: S603
    else:
        os.chmod(path, 0o555 if immutable else 0o755)


@contextmanager
def unwritable(path):
    """The path can't be written or have entries added or removed, even by root."""
    change_flag(path, immutable=True)
    try:
        yield
    finally:
        change_flag(path, immutable=False)


# Purge after commit: a reader racing a slow withdrawal


def _in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reader_during_a_slow_withdrawal_commit_gets_no_200_after_it(
    live_story, amara, monkeypatch
):
    url = live_story.url
    assert read(url) == (200, "miss")
    assert read(url) == (200, "hit")
    in_transaction, commit_now = threading.Event(), threading.Event()
    tell_editors = services._tell_editors

    def slow_commit(*args, **kwargs):
        # Runs inside the withdrawal's transaction, after the take-down and its purge.
        tell_editors(*args, **kwargs)
        in_transaction.set()
        assert commit_now.wait(10)

    monkeypatch.setattr(services, "_tell_editors", slow_commit)
    results = {}
    story = StoryPage.objects.get(pk=live_story.pk)
    withdrawal = _in_thread(
        lambda: services.withdraw_story(story=story, user=amara.user), results, "withdrawal"
    )
    assert in_transaction.wait(10)
    reader = _in_thread(lambda: read(url), results, "reader")
    reader.join(10)
    commit_now.set()
    withdrawal.join(10)

    # The reader, before the commit, still saw the story; it rendered it afresh (the purge
    # in the transaction) and could store it, but not where anyone will look after commit.
    assert results["reader"] == (200, "miss")
    assert not isinstance(results["withdrawal"], BaseException), results["withdrawal"]
    assert [read(url)[0] for _ in range(3)] == [410, 410, 410]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_rendered_across_a_withdrawal_is_not_stored(live_story, amara, monkeypatch):
    url = live_story.url
    rendered, go_on = threading.Event(), threading.Event()
    serve = StoryPage.serve

    def slow_render(self, request, *args, **kwargs):
        response = serve(self, request, *args, **kwargs)
        rendered.set()
        assert go_on.wait(10)
        return response

    monkeypatch.setattr(StoryPage, "serve", slow_render)
    results = {}
    reader = _in_thread(lambda: read(url), results, "reader")
    assert rendered.wait(10)
    monkeypatch.setattr(StoryPage, "serve", serve)
    story = StoryPage.objects.get(pk=live_story.pk)
    withdrawer = _in_thread(
        lambda: services.withdraw_story(story=story, user=amara.user), results, "withdrawal"
    )
    withdrawer.join(10)
    go_on.set()
    reader.join(10)

    assert not isinstance(results["withdrawal"], BaseException), results["withdrawal"]
    # Rendered before the withdrawal, answered after it: the generation moved, not stored.
    assert results["reader"] == (200, "off")
    assert [read(url)[0] for _ in range(3)] == [410, 410, 410]


def test_a_purge_happens_in_the_transaction_and_again_after_commit(
    live_story, amara, django_capture_on_commit_callbacks
):
    before = page_cache.generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.withdraw_story(story=live_story, user=amara.user)
    in_transaction = page_cache.generation()
    for callback in callbacks:
        callback()

    assert before < in_transaction < page_cache.generation()


# Forward-only generations


def test_a_lost_stamp_file_is_recreated_forward_and_no_old_copy_returns(
    live_story, amara, settings, django_capture_on_commit_callbacks
):
    url = live_story.url
    settings.SAYSO_PAGE_CACHE_STAMP.unlink(missing_ok=True)
    assert read(url) == (200, "miss")
    assert read(url) == (200, "hit")
    seen = page_cache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=live_story, user=amara.user)

    settings.SAYSO_PAGE_CACHE_STAMP.unlink()

    assert read(url)[0] == 410
    assert page_cache.generation() > seen


@needs_redis
def test_a_lost_generation_key_never_brings_an_old_copy_back(
    real_redis, live_story, amara, django_capture_on_commit_callbacks
):
    url = live_story.url
    # A site that started counting at 1, as before generations were made forward-only.
    cache.set(page_cache.GENERATION_KEY, 1, timeout=None)
    page_cache._seen["generation"] = 0
    assert read(url) == (200, "miss")
    assert read(url) == (200, "hit")
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=live_story, user=amara.user)

    cache.delete(page_cache.GENERATION_KEY)
    page_cache._seen["generation"] = 0  # a fresh worker that has seen nothing

    assert [read(url)[0] for _ in range(2)] == [410, 410]
    assert cache.get(page_cache.GENERATION_KEY) > 1_000_000_000_000_000_000


@needs_redis
def test_a_generation_that_goes_back_is_moved_forward(
    real_redis, live_story, amara, django_capture_on_commit_callbacks
):
    url = live_story.url
    assert read(url) == (200, "miss")
    old = cache.get(page_cache.GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=live_story, user=amara.user)
    assert read(url)[0] == 410

    cache.set(page_cache.GENERATION_KEY, old, timeout=None)  # a snapshot restored

    assert read(url)[0] == 410
    assert cache.get(page_cache.GENERATION_KEY) > old


# Redis down: open for reading, closed for consent


@override_settings(CACHES=CLOSED_PORT_REDIS)
def test_with_redis_unreachable_public_pages_are_served_uncached(live_story, home):
    for url in ["/", live_story.url, "/stories/", "/feed/", "/sitemap.xml", "/search/?q=x"]:
        assert read(url) == (200, "off"), url


@override_settings(CACHES=CLOSED_PORT_REDIS)
def test_with_redis_unreachable_a_withdrawal_commits_and_the_story_is_gone(
    live_story, amara, django_capture_on_commit_callbacks
):
    withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)

    assert read(live_story.url) == (410, "off")
    assert StoryPage.objects.get(pk=live_story.pk).live is False
    assert PendingPurge.objects.count() >= 1


@needs_redis
def test_when_redis_comes_back_the_old_copy_is_not_served_and_the_purge_is_done(
    live_story, amara, django_capture_on_commit_callbacks
):
    url = live_story.url
    with override_settings(CACHES=redis_caches()):
        cache.clear()
        assert read(url) == (200, "miss")
        assert read(url) == (200, "hit")
    with override_settings(CACHES=CLOSED_PORT_REDIS):
        withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)
        assert read(url)[0] == 410
    assert PendingPurge.objects.exists()

    with override_settings(CACHES=redis_caches()):
        assert [read(url)[0] for _ in range(2)] == [410, 410]
        assert not PendingPurge.objects.exists()
        cache.clear()


# An unwritable stamp file


def test_an_unwritable_stamp_file_does_not_block_a_withdrawal_nor_serve_an_old_copy(
    live_story, amara, settings, django_capture_on_commit_callbacks
):
    url = live_story.url
    assert read(url) == (200, "miss")
    assert read(url) == (200, "hit")
    stamp = settings.SAYSO_PAGE_CACHE_STAMP

    with unwritable(stamp):
        withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)
        assert PendingPurge.objects.exists()
        assert [read(url)[0] for _ in range(2)] == [410, 410]
        assert read("/") == (200, "off")  # nothing cached is served while it can't move

    # Writable again: the first reader carries out the owed purge before anything is served.
    assert read(url)[0] == 410
    assert not PendingPurge.objects.exists()


def test_the_expiry_sweep_retries_an_owed_purge(
    live_story, amara, settings, django_capture_on_commit_callbacks
):
    with unwritable(settings.SAYSO_PAGE_CACHE_STAMP):
        withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)
        call_command("expire_consents", stdout=io.StringIO(), stderr=io.StringIO())
        assert PendingPurge.objects.exists()

    call_command("expire_consents", stdout=io.StringIO())

    assert not PendingPurge.objects.exists()


# Public files: deleted after commit, retried until gone


def rendition_files(image):
    return [rendition.file.path for rendition in SaysoRendition.objects.filter(image=image)]


def test_an_undeletable_rendition_is_reported_and_deleted_once_it_can_be(
    live_story, amara, photo, capsys, django_capture_on_commit_callbacks
):
    assert read(live_story.url)[0] == 200  # the page makes its renditions
    files = rendition_files(photo)
    assert len(files) == 2
    folder = os.path.dirname(files[0])

    with unwritable(folder):
        withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)
        assert read(live_story.url)[0] == 410
        assert all(os.path.exists(path) for path in files)
        assert FileTakedown.objects.count() == 2
        with pytest.raises(CommandError, match="2 public file"):
            call_command("check_takedowns")
        reported = capsys.readouterr().err
        assert all(os.path.basename(path) in reported for path in files)

    call_command("expire_consents")

    assert not any(os.path.exists(path) for path in files)
    assert not FileTakedown.objects.exists()
    call_command("check_takedowns")
    assert "No public file of a withdrawn story is left." in capsys.readouterr().out


def test_the_task_after_commit_deletes_the_files_of_a_withdrawal(
    live_story, amara, photo, django_capture_on_commit_callbacks
):
    assert read(live_story.url)[0] == 200
    files = rendition_files(photo)

    withdraw_in_portal(amara, live_story, django_capture_on_commit_callbacks)

    assert files and not any(os.path.exists(path) for path in files)
    assert not FileTakedown.objects.exists()


def test_check_takedowns_finds_a_public_file_left_without_a_record(
    live_story, amara, photo, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_story(story=live_story, user=amara.user)
    # Left behind by a door that didn't record it (a rendition made from a stale page).
    stray = photo.get_rendition("width-800|format-webp")

    with pytest.raises(CommandError, match="1 public file"):
        call_command("check_takedowns")

    assert stray.file.name in capsys.readouterr().err


def test_recorded_takedowns_survive_a_delete_that_raises(photo, monkeypatch):
    rendition = photo.get_rendition("width-60")
    storage = rendition.file.storage
    path = rendition.file.path

    def refuse(name):
        raise OSError("storage refused")

    monkeypatch.setattr(storage, "delete", refuse)
    take_down_renditions([rendition], reason="test")
    from images.services import carry_out_file_takedowns

    assert carry_out_file_takedowns() == (0, 1)
    takedown = FileTakedown.objects.get()
    assert (takedown.attempts, takedown.last_error) == (1, "storage refused")
    assert os.path.exists(path)

    monkeypatch.undo()
    assert carry_out_file_takedowns() == (1, 0)
    assert not os.path.exists(path)


# Her current choice: renditions that no longer match it stop answering


def publish_version(story, storyteller, **changes):
    for name, value in changes.items():
        setattr(story, name, value)
    revision = story.save_revision()
    approve(story, storyteller, revision=revision, image_allowed=bool(story.image_id))
    revision.publish()
    return StoryPage.objects.get(pk=story.pk)


def test_a_version_that_blurs_the_photo_deletes_its_sharp_renditions(
    live_story, amara, photo, django_capture_on_commit_callbacks
):
    assert read(live_story.url)[0] == 200
    sharp = rendition_files(photo)

    with django_capture_on_commit_callbacks(execute=True):
        blurred = publish_version(live_story, amara, image_blurred=True)
    assert read(blurred.url)[0] == 200

    assert sharp and not any(os.path.exists(path) for path in sharp)
    left = SaysoRendition.objects.filter(image=photo)
    assert left.count() == 2
    assert all("blur" in rendition.filter_spec.split("|") for rendition in left)


def test_a_version_that_drops_the_photo_deletes_all_its_renditions(
    live_story, amara, photo, django_capture_on_commit_callbacks
):
    assert read(live_story.url)[0] == 200
    files = rendition_files(photo)

    with django_capture_on_commit_callbacks(execute=True):
        publish_version(live_story, amara, image=None, image_alt="")

    assert files and not any(os.path.exists(path) for path in files)
    assert not SaysoRendition.objects.filter(image=photo).exists()


# The other door that takes a story down: a private word added in the portal


def add_private_word_in_portal(storyteller, word, capture):
    client = Client()
    client.force_login(storyteller.user)
    with capture(execute=True):
        response = client.post(reverse("portal:private_words"), {"word": word})
    assert response.status_code == 302


def test_a_private_word_added_with_an_unwritable_stamp_leaves_no_cached_copy(
    live_story, amara, settings, django_capture_on_commit_callbacks
):
    url = live_story.url
    assert read(url) == (200, "miss")
    assert read(url) == (200, "hit")

    with unwritable(settings.SAYSO_PAGE_CACHE_STAMP):
        add_private_word_in_portal(amara, "harbour", django_capture_on_commit_callbacks)
        assert read(url)[0] == 404

    assert [read(url)[0] for _ in range(2)] == [404, 404]
    assert StoryPage.objects.get(pk=live_story.pk).live is False


@override_settings(CACHES=CLOSED_PORT_REDIS)
def test_a_private_word_added_with_redis_unreachable_takes_the_story_down(
    live_story, amara, django_capture_on_commit_callbacks
):
    add_private_word_in_portal(amara, "harbour", django_capture_on_commit_callbacks)

    assert read(live_story.url) == (404, "off")
    assert StoryPage.objects.get(pk=live_story.pk).live is False
    assert PendingPurge.objects.exists()

"""Background work: queued in the database, run by the worker, retried with backoff until it
succeeds or gives up, and every failure listed. The withdrawal itself never waits for it."""

import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.search.backends import get_search_backend

from consent.models import Storyteller
from consent.notifications import notify_storyteller_ready
from images.models import FileTakedown, SaysoRendition
from stories.models import StoryPage

from tests.conftest import approve
from tests.portal_flow import withdraw_in_portal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class FlakyEmailBackend(LocmemBackend):
    """An email server that refuses the next ``failures_left`` messages, then delivers."""

    failures_left = 0
    refused = 0

    def send_messages(self, messages):
        if FlakyEmailBackend.failures_left > 0:
            FlakyEmailBackend.failures_left -= 1
            FlakyEmailBackend.refused += 1
            raise smtplib.SMTPServerDisconnected("the server hung up")
        return super().send_messages(messages)


@pytest.fixture
def database_tasks(settings):
    """Tasks wait in the database for the worker, as in production; retries are due at once."""
    settings.TASKS = DATABASE_TASKS
    settings.SAYSO_TASK_RETRY_SECONDS = 0
    settings.SAYSO_TASK_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def flaky_email(settings):
    settings.EMAIL_BACKEND = "tests.integration.project.test_tasks.FlakyEmailBackend"
    FlakyEmailBackend.failures_left = 0
    FlakyEmailBackend.refused = 0
    yield FlakyEmailBackend
    FlakyEmailBackend.failures_left = 0


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def results(path_end):
    return list(DBTaskResult.objects.filter(task_path__endswith=path_end).order_by("enqueued_at"))


def failed_tasks(*args):
    out = io.StringIO()
    call_command("failed_tasks", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def live_story(database_tasks, make_published_story, amara, photo, editor):
    """Amara's published story with a photo; the work publishing queued is done."""
    editor.email = "editor@example.org"
    editor.save()
    story = make_published_story(
        amara, slug="the-harbour", title="The harbour", image=photo, image_alt="A harbour wall."
    )
    run_worker()
    DBTaskResult.objects.all().delete()
    mail.outbox.clear()
    return story


def test_withdrawal_takes_the_story_down_at_once_while_its_side_work_waits_for_the_worker(
    database_tasks, client, live_story, amara, photo
):
    rendition = photo.get_rendition("width-50")
    storage, name = rendition.file.storage, rendition.file.name
    reader = Client()
    assert reader.get(live_story.url).status_code == 200

    client.force_login(amara.user)
    response = withdraw_in_portal(client, live_story)

    assert response.status_code == 302
    # No worker has run: the story is gone from the website all the same.
    assert reader.get(live_story.url).status_code == 410
    assert not StoryPage.objects.get(pk=live_story.pk).live
    assert not SaysoRendition.objects.filter(image=photo).exists()
    # Only the side work waits: the file, the editors' email.
    assert storage.exists(name)
    assert FileTakedown.objects.filter(name=name).count() == 1
    assert mail.outbox == []
    # Wagtail's own tasks (its reference and search indexes) queue up alongside ours.
    waiting = sorted(
        path
        for path in DBTaskResult.objects.ready().values_list("task_path", flat=True)
        if not path.startswith(("wagtail.", "modelsearch."))
    )
    assert waiting == [
        "consent.notifications.email_users",
        "images.tasks.carry_out_file_takedowns_task",
    ]
    # Her files go before everything else queued (the worker takes the highest first).
    first = DBTaskResult.objects.ready().first()
    assert first.task_path == "images.tasks.carry_out_file_takedowns_task"
    assert first.priority == 50

    run_worker()

    assert not storage.exists(name)
    assert not FileTakedown.objects.exists()
    assert [message.to for message in mail.outbox] == [["editor@example.org"]]
    assert DBTaskResult.objects.exclude(status="SUCCESSFUL").count() == 0
    assert reader.get(live_story.url).status_code == 410
    # The search index update queued by the unpublish ran late: it must not bring it back.
    assert list(get_search_backend().search("harbour", StoryPage)) == []


def test_a_queued_email_holds_no_address(database_tasks, live_story, amara_by_email):

    notify_storyteller_ready(live_story)

    (queued,) = results("email_users")
    assert "@" not in str(queued.args_kwargs)
    assert queued.args_kwargs["args"][0] == [amara_by_email.user.pk]
    run_worker()
    assert [message.to for message in mail.outbox] == [["amara@example.org"]]


def test_a_storyteller_who_stopped_email_before_it_was_sent_gets_none(
    database_tasks, live_story, amara_by_email
):
    notify_storyteller_ready(live_story)

    amara_by_email.contact_preference = Storyteller.Contact.NONE
    amara_by_email.save()
    run_worker()

    assert mail.outbox == []
    (sent,) = results("email_users")
    assert sent.status == "SUCCESSFUL"
    assert sent.return_value == 0


def test_an_email_the_server_refuses_is_retried_until_it_goes_through(
    database_tasks, flaky_email, live_story, amara_by_email
):
    flaky_email.failures_left = 2

    notify_storyteller_ready(live_story)
    run_worker()

    assert flaky_email.refused == 2
    assert [message.to for message in mail.outbox] == [["amara@example.org"]]
    attempts = results("email_users")
    assert [result.status for result in attempts] == ["FAILED", "FAILED", "SUCCESSFUL"]
    assert [result.args_kwargs["kwargs"].get("attempt", 1) for result in attempts] == [1, 2, 3]
    assert attempts[0].exception_class_path == "core.tasks.RetryScheduled"
    # Retried, not lost: nothing failed for good, but the failed attempts can be listed.
    assert "No task has failed for good." in failed_tasks()
    listed = failed_tasks("--all")
    assert "SMTPServerDisconnected on attempt 1; attempt 2" in listed
    assert "SMTPServerDisconnected on attempt 2; attempt 3" in listed
    assert "amara@" not in listed


def test_retries_back_off(database_tasks, flaky_email, live_story, amara_by_email):
    database_tasks.SAYSO_TASK_RETRY_SECONDS = 30
    flaky_email.failures_left = 5

    notify_storyteller_ready(live_story)
    before = timezone.now()
    run_worker()

    # The worker ran the first attempt; the second is not due for 30 seconds, so it waits.
    first, second = results("email_users")
    assert (first.status, second.status) == ("FAILED", "READY")
    assert before + timedelta(seconds=29) < second.run_after < before + timedelta(seconds=40)
    assert flaky_email.refused == 1

    DBTaskResult.objects.filter(pk=second.pk).update(run_after=timezone.now())
    run_worker()
    third = results("email_users")[2]
    # Doubled: 60 seconds after the second attempt.
    assert third.status == "READY"
    assert third.run_after - timezone.now() > timedelta(seconds=55)


def test_an_email_that_never_goes_through_is_given_up_and_listed_without_any_address(
    database_tasks, flaky_email, live_story, amara_by_email
):
    flaky_email.failures_left = 100

    notify_storyteller_ready(live_story)
    run_worker()

    attempts = results("email_users")
    assert len(attempts) == 4  # SAYSO_TASK_MAX_ATTEMPTS
    assert {result.status for result in attempts} == {"FAILED"}
    assert attempts[-1].exception_class_path == "core.tasks.GaveUp"
    assert DBTaskResult.objects.ready().count() == 0

    report = io.StringIO()
    with pytest.raises(CommandError, match="1 task"):
        call_command("failed_tasks", stdout=report)
    assert "consent.notifications.email_users" in report.getvalue()
    assert "SMTPServerDisconnected on each of 4 attempt(s)" in report.getvalue()
    assert "@" not in report.getvalue()

    # Once the server is back, an operator queues it again from the report.
    flaky_email.failures_left = 0
    failed_tasks("--retry", str(attempts[-1].pk))
    run_worker()
    assert [message.to for message in mail.outbox] == [["amara@example.org"]]


def test_a_storage_that_refuses_to_delete_is_recorded_and_retried_by_the_task(
    database_tasks, client, live_story, amara, photo, monkeypatch
):
    rendition = photo.get_rendition("width-50")
    storage, name = rendition.file.storage, rendition.file.name
    real_delete = FileSystemStorage.delete

    def refuse(self, path):
        raise PermissionError("read-only file system")

    # On the class: Wagtail deletes a rendition's file too, from its own task, through a
    # storage object of its own.
    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    client.force_login(amara.user)
    withdraw_in_portal(client, live_story)
    assert Client().get(live_story.url).status_code == 410

    run_worker()

    # Every attempt failed: the file is still recorded, with its failures, and listed.
    (takedown,) = FileTakedown.objects.all()
    assert takedown.name == name
    assert takedown.attempts == 4
    assert "read-only" in takedown.last_error
    assert storage.exists(name)
    attempts = results("carry_out_file_takedowns_task")
    assert attempts[-1].exception_class_path == "core.tasks.GaveUp"
    with pytest.raises(CommandError):
        call_command("check_takedowns")

    # The storage recovers; the sweep's task retries what was recorded.
    monkeypatch.setattr(FileSystemStorage, "delete", real_delete)
    call_command("check_takedowns", "--enqueue")
    run_worker()

    assert not storage.exists(name)
    assert not FileTakedown.objects.exists()
    assert results("check_takedowns_task")[-1].status == "SUCCESSFUL"


def test_the_storage_recovering_between_retries_finishes_the_take_down(
    database_tasks, client, live_story, amara, photo, monkeypatch
):
    rendition = photo.get_rendition("width-50")
    storage, name = rendition.file.storage, rendition.file.name
    real_delete = FileSystemStorage.delete
    refusals = []

    def refuse_twice(self, path):
        # Take-downs run first (priority): the first two attempts are refused, the third works.
        if len(refusals) < 2:
            refusals.append(path)
            raise PermissionError("read-only file system")
        return real_delete(self, path)

    monkeypatch.setattr(FileSystemStorage, "delete", refuse_twice)
    client.force_login(amara.user)
    withdraw_in_portal(client, live_story)
    run_worker()

    assert refusals == [name, name]
    assert not storage.exists(name)
    assert not FileTakedown.objects.exists()
    statuses = [result.status for result in results("carry_out_file_takedowns_task")]
    assert statuses == ["FAILED", "FAILED", "SUCCESSFUL"]


def test_the_expiry_sweep_runs_as_a_task(database_tasks, make_story, amara, photo, monkeypatch):
    from consent.selectors import today

    story = make_story(amara, slug="ending-today", image=photo, image_alt="A wall.")
    approve(story, amara, image_allowed=True, valid_until=today())
    story.get_latest_revision().publish()
    name = photo.get_rendition("width-50").file.name
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(days=1))

    call_command("expire_consents", "--enqueue")
    (queued,) = results("expire_consents_task")
    assert queued.status == "READY"
    assert StoryPage.objects.get(pk=story.pk).live  # queued, not yet run
    run_worker()

    assert [result.status for result in results("expire_consents_task")] == ["SUCCESSFUL"]
    assert not StoryPage.objects.get(pk=story.pk).live
    assert not photo.renditions.model._meta.get_field("file").storage.exists(name)
    assert Client().get(story.url).status_code == 410


def test_the_report_says_so_when_tasks_run_at_once():
    assert "run at once" in failed_tasks()


def _database_url():
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_a_worker_in_its_own_process_sends_what_the_site_queued(
    database_tasks, live_story, amara_by_email, tmp_path
):
    import subprocess
    import sys

    from django.conf import settings

    notify_storyteller_ready(live_story)
    (queued,) = results("email_users")
    assert queued.status == "READY"

    outbox = tmp_path / "outbox"
    worker = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=settings.BASE_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "sayso.settings.dev",
            "DEBUG": "off",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": _database_url(),
            "SAYSO_TASKS_BACKEND": "database",
            "EMAIL_URL": f"filemail:///{outbox}",  # django-environ drops one slash
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SAYSO_PAGE_CACHE_STAMP": str(settings.SAYSO_PAGE_CACHE_STAMP),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert worker.returncode == 0, worker.stderr
    (sent,) = results("email_users")
    assert sent.status == "SUCCESSFUL"
    (message,) = outbox.iterdir()
    text = message.read_text()
    assert "To: amara@example.org" in text
    assert "Subject: Something is ready for you on Sayso" in text
    assert mail.outbox == []  # not sent by this process


class RefusingEmailBackend(LocmemBackend):
    """A server that refuses the recipient, naming her address in the error, as SMTP does."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {address: (550, b"mailbox unavailable") for m in messages for address in m.to}
        )


def test_the_worker_logs_a_refused_email_without_the_address(
    database_tasks, settings, live_story, amara_by_email
):
    import logging

    from sayso.logs import PrivateFormatter

    settings.EMAIL_BACKEND = "tests.integration.project.test_tasks.RefusingEmailBackend"
    settings.SAYSO_TASK_MAX_ATTEMPTS = 2
    notify_storyteller_ready(live_story)

    # The formatter every log line goes through in every environment (settings/base.py).
    assert settings.LOGGING["formatters"]["private"]["()"] == "sayso.logs.PrivateFormatter"
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(PrivateFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        run_worker()
    finally:
        root.removeHandler(handler)

    log = written.getvalue()
    assert "SMTPRecipientsRefused" in log  # the failure is logged…
    assert "giving up" in log
    assert "amara@" not in log and "example.org" not in log  # …without her address
    (gave_up,) = DBTaskResult.objects.filter(exception_class_path="core.tasks.GaveUp")
    assert gave_up.task_path == "consent.notifications.email_users"
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 task"):
        call_command("failed_tasks", "--all", stdout=out)
    assert "SMTPRecipientsRefused on each of 2 attempt(s)" in out.getvalue()
    assert "SMTPRecipientsRefused on attempt 1" in out.getvalue()
    assert "amara@" not in out.getvalue()

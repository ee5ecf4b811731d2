"""Logs and error pages: no storyteller's address, words or personal details, ever.

Every log record of a whole portal journey (sign in, read, approve, ask for changes, edit,
add a private word, change contacts, withdraw, receipts, sign out) is captured at DEBUG,
and so is what the project's own log handler writes; neither holds the storyteller's IP
address, a word of their story, a private word, their legal name or contact details.
"""

import io
import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from gunicorn.glogging import Logger as GunicornLogger

from consent import selectors
from consent.models import ConsentEntry, Storyteller
from core.text.diff import html_to_text
from stories.models import StoryPage

from tests.conftest import PASSWORD, make_storyteller
from tests.integration.portal.test_portal import form_data, sign_off_as_editor
from tests.portal_flow import approve_in_portal, ask_for_changes_in_portal

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.7"
BASE_DIR = Path(__file__).resolve().parents[3]

PERSONAL = {
    "legal_name": "Wanjiru Njeri Kamau",
    "phone": "+254 712 555 0123",
    "postal_address": "Plot 9, Kisumu Road\nBusia",
    "contact_notes": "Call after six; ask for Wanji.",
    "private_terms": "Kamau\nBusia",
}
EMAIL = "wanjiru.kamau@example.org"
NEW_PRIVATE_WORD = "Kisumu Road"


@pytest.fixture
def nadia(db):
    storyteller = make_storyteller("Nadia", "nk-4471")
    for name, value in PERSONAL.items():
        setattr(storyteller, name, value)
    storyteller.contact_preference = Storyteller.Contact.EMAIL
    storyteller.save()
    storyteller.user.email = EMAIL
    storyteller.user.save()
    return storyteller


@pytest.fixture
def nadias_story(make_story_in_review, nadia):
    return make_story_in_review(
        nadia,
        slug="crossing-at-malaba",
        title="Crossing at Malaba",
        summary="How the lorry driver hid me among sacks of maize.",
        body="<p>The checkpoint guards never opened the tarpaulin.</p>",
    )


def secrets_of(storyteller, story):
    """Everything about the storyteller and her story that no log line may hold."""
    words = set()
    for text in (story.title, story.summary, html_to_text(story.body)):
        words.update(word for word in re.findall(r"\w+", text) if len(word) >= 5)
    secrets = {CLIENT_IP, EMAIL, storyteller.user.username, NEW_PRIVATE_WORD, *words}
    secrets.update(value for value in PERSONAL.values())
    secrets.update(storyteller.private_term_list())
    secrets.update(line.strip() for line in PERSONAL["postal_address"].splitlines())
    secrets.add(re.sub(r"\D", "", PERSONAL["phone"]))
    return sorted(secrets)


@pytest.fixture
def log_output():
    """What the project's own log handler writes (the console, in production)."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def visitor():
    return Client(REMOTE_ADDR=CLIENT_IP, HTTP_X_FORWARDED_FOR=CLIENT_IP)


def post_form(client, page_url, action_url, **values):
    data = form_data(client.get(page_url), action_url)
    data.update({name: [value] for name, value in values.items()})
    response = client.post(action_url or page_url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def the_whole_portal_journey(story, nadia, editor, review_workflow):
    """Everything a storyteller does in the portal, and the public reading her story."""
    me, reader = visitor(), visitor()

    assert me.post(reverse("portal:login"), {"username": "nk-4471", "password": "wrong"})
    me.post(reverse("portal:login"), {"username": "nk-4471", "password": PASSWORD})
    assert me.get(reverse("portal:home")).status_code == 200
    approved = approve_in_portal(me, story, follow=False)
    assert approved.status_code == 302
    assert me.get(approved["Location"]).status_code == 200
    sign_off_as_editor(story, editor)
    assert reader.get(f"/stories/{story.slug}/").status_code == 200

    draft = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    draft.summary = "How the lorry driver hid me among sacks of maize at night."
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    asked = ask_for_changes_in_portal(
        me, story, "Please leave out the lorry driver's route through Busia.", follow=False
    )
    assert asked.status_code == 302
    current = StoryPage.objects.get(pk=story.pk)
    current.current_workflow_state.cancel(user=editor)
    review_workflow.start(current, editor)

    edit_url = reverse("portal:edit", args=[story.pk])
    post_form(
        me,
        edit_url,
        "",
        body_format="html",
        body="<p>The checkpoint guards never lifted the tarpaulin.</p>",
    )
    sign_off_as_editor(story, editor)
    assert reader.get(f"/stories/{story.slug}/").status_code == 200

    words = reverse("portal:private_words")
    assert me.post(words, {"word": NEW_PRIVATE_WORD}).status_code == 302
    assert me.get(words).status_code == 200
    contact = reverse("portal:contact")
    post_form(me, contact, "", contact_preference="email", email=EMAIL)
    withdrawn = post_form(me, reverse("portal:withdraw", args=[story.pk]), "", where="everywhere")
    assert me.get(withdrawn["Location"]).status_code == 200
    withdrawal = ConsentEntry.objects.filter(story_id=story.pk).latest("sequence")
    receipt = reverse("portal:receipt", args=[withdrawal.receipt_id])
    assert me.get(receipt).status_code == 200
    assert me.get(receipt.rstrip("/") + ".json").status_code == 200
    assert me.get(reverse("portal:history")).status_code == 200
    assert reader.get(f"/stories/{story.slug}/").status_code == 410
    assert me.get(reverse("portal:story", args=[story.pk + 999])).status_code == 404
    me.post(reverse("portal:logout"))


def test_the_portal_journey_leaves_no_address_story_or_personal_detail_in_the_logs(
    caplog, log_output, nadia, nadias_story, editor, review_workflow
):
    caplog.set_level(logging.DEBUG)

    the_whole_portal_journey(nadias_story, nadia, editor, review_workflow)

    story = StoryPage.objects.get(pk=nadias_story.pk)
    messages = [record.getMessage() for record in caplog.records]
    written = log_output.getvalue()
    # The journey was logged (so the scan below means something): the refused sign-in, the
    # story that is gone, the page that was not found — with the route, not the story.
    assert any(record.name.startswith("axes") for record in caplog.records)
    assert "Gone: /stories/[story]/" in messages
    assert f"Not Found: /my/stories/{story.pk + 999}/" in messages
    assert "Gone: /stories/[story]/" in written
    for secret in secrets_of(nadia, story):
        for message in messages:
            assert secret.lower() not in message.lower(), f"{secret!r} logged: {message!r}"
        assert secret.lower() not in written.lower(), f"{secret!r} written to the log"
        assert secret.lower() not in caplog.text.lower(), f"{secret!r} in a log record"


def test_a_server_error_shows_a_plain_page_and_logs_where_but_not_what(
    monkeypatch, caplog, log_output, nadia, nadias_story
):
    caplog.set_level(logging.DEBUG)

    def broken(story):
        raise RuntimeError(f"{story.title}: {PERSONAL['legal_name']} at {CLIENT_IP}")

    monkeypatch.setattr(selectors, "story_status", broken)
    client = Client(raise_request_exception=False, REMOTE_ADDR=CLIENT_IP)
    client.force_login(nadia.user)

    with override_settings(ADMINS=[("Operations", "ops@example.org")]):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    written = log_output.getvalue()
    assert "Internal Server Error: /my/" in written
    assert "builtins.RuntimeError (message withheld)" in written
    assert "portal/views/stories.py" in written  # where it happened is kept, for fixing it
    for secret in ("Crossing at Malaba", PERSONAL["legal_name"], CLIENT_IP, "nk-4471"):
        assert secret not in page
        assert secret not in written
    assert not settings.DEBUG
    # Django's default would have mailed the whole request (address, form fields) to ADMINS.
    assert mail.outbox == []


def test_any_ip_address_a_library_logs_is_removed_from_the_log(log_output):
    logging.getLogger("some.library").warning(
        "Connection from %s, forwarded for %s, at 12:30:45", CLIENT_IP, "2001:db8::7"
    )

    written = log_output.getvalue()
    assert "Connection from [address], forwarded for [address], at 12:30:45" in written
    assert CLIENT_IP not in written and "2001:db8::7" not in written


def test_wagtail_does_not_log_page_titles_even_at_debug(caplog, nadia, make_story, editor):
    caplog.set_level(logging.DEBUG)

    story = make_story(nadia, slug="titled", title="Maize sacks at the checkpoint")
    story.save_revision(user=editor)

    assert "Maize sacks" not in caplog.text


def test_gunicorn_keeps_no_access_log_and_a_switched_on_one_has_no_address(monkeypatch):
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert config["accesslog"] is None
    assert config["loglevel"] == "info"  # "Invalid request from ip=..." is a debug line

    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "-")
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    environ = {
        "REMOTE_ADDR": CLIENT_IP,
        "HTTP_X_FORWARDED_FOR": CLIENT_IP,
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/search/?q=Busia",
        "PATH_INFO": "/search/",
        "QUERY_STRING": "q=Busia",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", CLIENT_IP)])
    logger = GunicornLogger.__new__(GunicornLogger)
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))

    line = config["access_log_format"] % atoms

    assert config["accesslog"] == "-"
    assert '"GET /search/" 200 512 12ms' in line
    assert CLIENT_IP not in line and "Busia" not in line

"""Development email prints messages without a single readable address."""

import pytest
from django.core.mail import EmailMessage
from sayso.mail import MaskedConsoleBackend, mask_address, mask_addresses

from consent.models import Storyteller
from consent.notifications import notify_storyteller_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_email(settings):
    settings.EMAIL_BACKEND = "sayso.mail.MaskedConsoleBackend"


def test_an_address_keeps_only_its_first_letters_and_ending():
    assert mask_address("amara@example.org") == "a•••@e•••.org"
    assert mask_address("a.b+tag@mail.example.co.uk") == "a•••@m•••.uk"
    assert mask_addresses("write to amara@example.org or l.d@x.net.") == (
        "write to a•••@e•••.org or l•••@x•••.net."
    )


def test_a_storyteller_notification_is_printed_with_her_address_masked(
    console_email, capsys, make_story, amara, django_capture_on_commit_callbacks
):
    amara.user.email = "amara.okafor@example.org"
    amara.user.save()
    amara.contact_preference = Storyteller.Contact.EMAIL
    amara.save()
    story = make_story(amara, slug="ready")

    with django_capture_on_commit_callbacks(execute=True):
        notify_storyteller_ready(story)

    printed = capsys.readouterr().out
    assert "Subject: Something is ready for you on Sayso" in printed
    assert "To: a•••@e•••.org" in printed
    assert "/my/" in printed  # the body, with its link, is there to read
    assert "amara.okafor" not in printed
    assert "example.org" not in printed
    assert "@" not in printed.replace("•••@", "")


def test_display_names_and_every_header_are_masked(console_email, capsys):
    message = EmailMessage(
        "Hello",
        "Reply to lucia@example.net if you can.",
        "Sayso <no-reply@sayso.example>",
        ["Amara Okafor <amara@example.org>"],
        cc=["editor@example.org"],
        bcc=["boss@example.org"],
        reply_to=["Lucia Diaz <lucia@example.net>"],
        headers={"X-Contact": "someone@example.com"},
    )

    assert MaskedConsoleBackend().send_messages([message]) == 1

    printed = capsys.readouterr().out
    for readable in ("amara", "Okafor", "Lucia", "lucia@", "editor@", "boss@", "someone@"):
        assert readable not in printed
    assert "To: a•••@e•••.org" in printed
    assert "Cc: e•••@e•••.org" in printed
    assert "Bcc: b•••@e•••.org" in printed
    assert "Reply to l•••@e•••.net if you can." in printed


def test_development_settings_use_the_masked_console(settings):
    # Test settings keep messages in memory; development prints them, masked.
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.EMAIL_BACKEND)",
        ],
        env={"DJANGO_SETTINGS_MODULE": "sayso.settings.dev", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.stdout.strip() == "sayso.mail.MaskedConsoleBackend", result.stderr


def test_an_explicit_console_url_still_masks(settings):
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.EMAIL_BACKEND)",
        ],
        env={
            "DJANGO_SETTINGS_MODULE": "sayso.settings.dev",
            "EMAIL_URL": "consolemail://",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.stdout.strip() == "sayso.mail.MaskedConsoleBackend", result.stderr

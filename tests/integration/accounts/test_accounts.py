"""Editors' accounts: two-step sign-in for the admin, and throttled admin sign-in.

Any editor can add an authenticator app; from then on the admin asks for its code after
the password. An organisation can require it of every editor. Storytellers never meet it.
Repeated wrong passwords lock the account at the admin's door as at the portal's.
"""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMIN_HOME = reverse("wagtailadmin_home")
ADMIN_LOGIN = reverse("wagtailadmin_login")
TWO_FACTOR = reverse("accounts_two_factor")
VERIFY = reverse("accounts_two_factor_verify")


@pytest.fixture
def editor(db):
    user = get_user_model().objects.create_user(username="nkechi", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def code_for(device, steps_ahead=0):
    """What the editor's authenticator app shows now (or that many 30-second steps on)."""
    device = TOTPDevice.objects.get(pk=device.pk)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in_at_admin(client, username, password=PASSWORD):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": ""})


def enrol(client, user):
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(TWO_FACTOR, {"code": code_for(device), "password": PASSWORD})
    return page, response, device


def assert_sent_to_the_second_step(response):
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


# Adding an authenticator, then signing in with it


def test_an_editor_adds_an_authenticator_and_is_then_asked_for_its_code(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")

    page, added, device = enrol(client, editor)

    html = page.content.decode()
    assert "data:image/svg+xml;base64," in html  # the QR code, drawn on the server
    assert device.config_url.startswith("otpauth://totp/Sayso")
    assert added.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(ADMIN_HOME).status_code == 200  # this session already gave a code

    client.post(reverse("wagtailadmin_logout"))
    signed_in = sign_in_at_admin(client, "nkechi")
    assert signed_in.status_code == 302
    assert_sent_to_the_second_step(client.get(ADMIN_HOME))
    assert_sent_to_the_second_step(client.get(reverse("wagtailadmin_explore_root")))

    verified = client.post(
        f"{VERIFY}?next={ADMIN_HOME}", {"code": code_for(device, 1), "next": ADMIN_HOME}
    )

    assert verified.status_code == 302 and verified["Location"] == ADMIN_HOME
    assert client.get(ADMIN_HOME).status_code == 200
    assert client.get(reverse("wagtailadmin_explore_root")).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed_and_repeated_ones_are_slowed_down(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")
    _page, _added, device = enrol(client, editor)
    client.post(reverse("wagtailadmin_logout"))
    sign_in_at_admin(client, "nkechi")
    right = code_for(device, 1)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    refused = client.post(VERIFY, {"code": wrong})
    too_soon = client.post(VERIFY, {"code": right})

    assert refused.status_code == 200
    assert "That code didn&#x27;t work" in refused.content.decode()
    assert "Too many wrong codes" in too_soon.content.decode()
    assert_sent_to_the_second_step(client.get(ADMIN_HOME))
    # A minute later the right code works.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    assert client.post(VERIFY, {"code": right}).status_code == 302
    assert client.get(ADMIN_HOME).status_code == 200


def test_the_code_used_to_add_the_authenticator_cannot_be_used_again(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=editor)
    code = code_for(device)
    client.post(TWO_FACTOR, {"code": code, "password": PASSWORD})
    client.post(reverse("wagtailadmin_logout"))
    sign_in_at_admin(client, "nkechi")

    replayed = client.post(VERIFY, {"code": code})

    assert replayed.status_code == 200
    assert_sent_to_the_second_step(client.get(ADMIN_HOME))


def test_adding_an_authenticator_needs_a_right_code_and_the_password(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=editor)
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 10**6:06d}"

    wrong_code = client.post(TWO_FACTOR, {"code": wrong, "password": PASSWORD})
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    wrong_password = client.post(TWO_FACTOR, {"code": right, "password": "not-it"})

    assert wrong_code.status_code == 200 and wrong_password.status_code == 200
    assert "That password isn&#x27;t right." in wrong_password.content.decode()
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()


def test_turning_it_off_needs_a_code_and_the_password(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")
    _page, _added, device = enrol(client, editor)

    refused = client.post(TWO_FACTOR, {"code": code_for(device, 1), "password": "not-it"})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=editor).exists()
    turned_off = client.post(TWO_FACTOR, {"code": code_for(device, 1), "password": PASSWORD})

    assert turned_off.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    client.post(reverse("wagtailadmin_logout"))
    sign_in_at_admin(client, "nkechi")
    assert client.get(ADMIN_HOME).status_code == 200  # the password alone again


def test_the_account_page_offers_two_step_sign_in(editor):
    client = Client()
    client.force_login(editor)

    account = client.get(reverse("wagtailadmin_account"))

    assert account.status_code == 200
    assert TWO_FACTOR in account.content.decode()


def test_a_lost_phone_is_handled_by_removing_the_authenticator(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")
    enrol(client, editor)

    call_command("reset_two_factor", "nkechi")

    assert not TOTPDevice.objects.filter(user=editor).exists()
    with pytest.raises(CommandError):
        call_command("reset_two_factor", "nobody-by-that-name")


# Available by default, required when the organisation says so


def test_an_editor_without_an_authenticator_signs_in_with_the_password(editor):
    client = Client()

    sign_in_at_admin(client, "nkechi")

    assert client.get(ADMIN_HOME).status_code == 200
    assert not TOTPDevice.objects.filter(user=editor, confirmed=True).exists()


@override_settings(SAYSO_ADMIN_2FA_REQUIRED=True)
def test_when_required_an_editor_must_add_an_authenticator_first(editor):
    client = Client()
    sign_in_at_admin(client, "nkechi")

    sent = client.get(reverse("wagtailadmin_explore_root"))

    assert sent.status_code == 302 and sent["Location"].startswith(TWO_FACTOR)
    page, added, _device = enrol(client, editor)
    assert "asks every editor to use two-step sign-in" in page.content.decode()
    assert added.status_code == 302
    assert client.get(reverse("wagtailadmin_explore_root")).status_code == 200


@override_settings(SAYSO_ADMIN_2FA_REQUIRED=True)
def test_storytellers_never_meet_two_step_sign_in(amara, published_story):
    client = Client()
    client.post(reverse("portal:login"), {"username": "amara", "password": PASSWORD})

    portal = client.get(reverse("portal:home"))
    two_factor_page = client.get(TWO_FACTOR)

    assert portal.status_code == 200
    assert "authenticator" not in portal.content.decode().lower()
    assert two_factor_page.status_code == 302
    assert two_factor_page["Location"] == reverse("portal:home")
    assert not TOTPDevice.objects.filter(user=amara.user).exists()


@override_settings(SAYSO_ADMIN_2FA_REQUIRED=True)
def test_public_pages_are_untouched_by_two_step_sign_in(published_story):
    response = Client().get(published_story.url)

    assert response.status_code == 200
    assert not response.cookies


# Throttling at the admin's door


def test_the_admin_login_locks_an_account_after_repeated_failures(editor, superuser):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in_at_admin(client, "nkechi", "not-my-password")

    locked = sign_in_at_admin(client, "nkechi")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN_HOME).status_code == 302  # still sent to the login page
    attempt = AccessAttempt.objects.get(username="nkechi")
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
    # The lock is on the account: the portal's door is shut to it too, others get in.
    portal = Client().post(reverse("portal:login"), {"username": "nkechi", "password": PASSWORD})
    assert portal.status_code == 429
    other = Client()
    sign_in_at_admin(other, "admin")
    assert other.session["_auth_user_id"] == str(superuser.pk)


def test_fewer_failures_than_the_limit_do_not_lock_the_admin_login(editor):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in_at_admin(client, "nkechi", "not-my-password")

    signed_in = sign_in_at_admin(client, "nkechi")

    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)

"""Getting back in: the sign-in name she chose at welcome (or her email), a password reset
that leads back in, and a pause after wrong tries that counts the account, not the spelling.

Before this, invited storytellers got a random user name nobody showed them, so after a
sign-out, a quick exit or the idle timeout they were locked out for good.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from sayso.bad_input import axes_username

from consent import services
from consent.models import Invitation
from core.sign_in_names import MAX_LENGTH, find_account, skeleton, validate_sign_in_name

from tests.conftest import PASSWORD
from tests.portal_flow import PortalClient, text_of

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lanterns over the quiet river"
DJANGO_WORDS = (
    "This field is required",
    "Your password can’t be too similar",
    "Your password must contain at least",
    "Enter a valid email",
    "Please enter a correct",
    "username",
)


def no_django_words(response):
    text = text_of(response)
    for words in DJANGO_WORDS:
        assert words not in text, words
    return text


@pytest.fixture
def nightingale(editor):
    """An invited storyteller who hasn't opened her link yet, and the link."""
    storyteller = services.create_storyteller(pseudonym="Nightingale")
    _invitation, token = services.create_invitation(storyteller=storyteller, created_by=editor)
    return storyteller, reverse("portal:welcome", args=[token])


def welcome_data(**overrides):
    data = {
        "sign_in_name": "Rose-of-Kyiv",
        "pseudonym": "Nightingale",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def sign_in(client, name, password=PASSWORD):
    return client.post(reverse("portal:login"), {"username": name, "password": password})


# The rules for a sign-in name


@pytest.mark.parametrize(
    ("chosen", "existing"),
    [
        ("AMARA", "amara"),  # capitals
        ("Аmara", "amara"),  # a Cyrillic "А" in front
        ("ΑΜΑΡΑ", "amapa"),  # all Greek capitals, read as Latin ones
        ("Ａｍａｒａ", "amara"),  # full-width letters
        ("am4ra", None),  # (a control: a different name)
        ("amar0", "amaro"),  # zero for o
        ("Lucía", "lucia"),  # an accent
        ("rnary", "mary"),  # r-n for m
    ],
)
def test_names_that_read_the_same_are_one_name(chosen, existing):
    if existing is None:
        assert skeleton(chosen) != skeleton("amara")
    else:
        assert skeleton(chosen) == skeleton(existing)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "between 2 and 30"),
        ("a", "between 2 and 30"),
        ("a" * (MAX_LENGTH + 1), "between 2 and 30"),
        ("a" * 300, "between 2 and 30"),
        ("rose of kyiv", "spaces and @ are not"),
        ("rose@kyiv", "spaces and @ are not"),
        ("<script>", "spaces and @ are not"),
        ("rose\u200bkyiv", "spaces and @ are not"),  # a zero-width space
        ("__init__", "spaces and @ are not"),
        ("Rоse", "one alphabet only"),  # a Cyrillic "о" among Latin letters
        ("AMARA", "looks just like it"),
        ("amara", "looks just like it"),
        ("ЕDITOR", "one alphabet only"),
        ("EDlTOR", "looks just like it"),  # an editor's name counts too
    ],
)
def test_a_sign_in_name_is_refused_in_plain_words(name, problem, amara, editor):
    with pytest.raises(ValidationError) as refused:
        validate_sign_in_name(name)
    assert problem in " ".join(refused.value.messages)


@pytest.mark.parametrize("name", ["Rose-of-Kyiv", "lucía_k", "Наташа", "小红", "n.k.9"])
def test_sign_in_names_in_any_one_alphabet_are_welcome(name, amara, editor):
    assert validate_sign_in_name(f" {name} ") == name


def test_her_own_name_is_not_taken_from_her(amara):
    assert validate_sign_in_name("Amara", exclude_user=amara.user) == "Amara"


# Finding the account: sign-in name in any capitals, or her email


def test_an_account_is_found_by_its_name_in_any_capitals_or_by_its_email(amara, lucia):
    amara.user.email = "amara@example.org"
    amara.user.save()

    for typed in ("amara", "AMARA", " Amara ", "amara@example.org", "AMARA@Example.org"):
        assert find_account(typed) == amara.user, typed
    for typed in ("amar", "amara@example.com", "", "a" * 400, "@"):
        assert find_account(typed) is None, typed


def test_an_older_user_name_with_an_at_sign_still_signs_in(db):
    user = get_user_model().objects.create_user(
        username="nkechi@office", email="nkechi@example.org", password=PASSWORD
    )

    assert find_account("nkechi@office") == user
    assert find_account("nkechi@example.org") == user
    assert sign_in(PortalClient(), "nkechi@office").status_code == 302


def test_an_email_address_shared_by_two_accounts_opens_neither(amara, lucia):
    for storyteller in (amara, lucia):
        storyteller.user.email = "family@example.org"
        storyteller.user.save()

    assert find_account("family@example.org") is None
    assert (
        authenticate(RequestFactory().post("/"), username="family@example.org", password=PASSWORD)
        is None
    )


def test_failed_tries_count_against_the_account_however_it_is_typed(amara):
    amara.user.email = "amara@example.org"
    amara.user.save()
    request = RequestFactory().post("/")

    names = {
        axes_username(request, {"username": typed})
        for typed in ("amara", "AMARA", "Amara", "amara@example.org", "AMARA@example.org")
    }

    assert names == {"amara"}
    # A name with no account is still counted, under one spelling.
    assert axes_username(request, {"username": "NoSuchPerson"}) == "nosuchperson"


# Through the portal's doors: welcome, sign in, sign out, forgot password, sign in again


def shown_sign_in_name(response):
    (name,) = BeautifulSoup(response.content, "html.parser").select(".sign-in-name__name")
    return name.get_text()


def reset_link_in(message):
    return urlsplit(re.search(r"https?://\S+", message.body).group(0)).path


def test_she_chooses_a_sign_in_name_at_welcome_and_can_always_get_back_in(nightingale):
    storyteller, welcome = nightingale
    client = PortalClient()

    page = client.get(welcome)
    assert "Choose a sign-in name" in no_django_words(page)
    arrived = client.post(welcome, welcome_data(), follow=True)

    assert arrived.redirect_chain[-1][0] == reverse("portal:home")
    text = no_django_words(arrived)
    assert "Next time, sign in with it and your password." in text
    assert shown_sign_in_name(arrived) == "Rose-of-Kyiv"
    storyteller.user.refresh_from_db()
    assert storyteller.user.username == "Rose-of-Kyiv"
    # Every later visit to her stories still says it.
    later = client.get(reverse("portal:home"))
    assert "You sign in as" in text_of(later) and shown_sign_in_name(later) == "Rose-of-Kyiv"

    # Signed out (or a quick exit, or the idle timeout): back in with her name, any capitals.
    client.post(reverse("portal:logout"))
    back = sign_in(client, "rose-of-kyiv")
    assert back.status_code == 302 and back["Location"] == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(storyteller.user.pk)

    # She gives an email address; it works for signing in too.
    saved = client.post(
        reverse("portal:contact"),
        {"contact_preference": "email", "email": "rose@example.org"},
    )
    assert saved.status_code == 302
    client.post(reverse("portal:logout"))
    assert sign_in(client, "Rose@Example.org").status_code == 302
    assert client.session["_auth_user_id"] == str(storyteller.user.pk)
    client.post(reverse("portal:logout"))

    # She forgets the password: asks by her sign-in name; the email names it.
    asked = client.post(reverse("portal:password_reset"), {"name_or_email": "ROSE-OF-KYIV"})
    assert asked.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["rose@example.org"]
    assert message.subject == "Something is ready for you on Sayso"
    assert "Your sign-in name is: Rose-of-Kyiv" in message.body
    assert "Nightingale" not in message.body

    form_page = client.get(reset_link_in(message), follow=True)
    assert "Your sign-in name is Rose-of-Kyiv ." in no_django_words(form_page)
    assert "At least 10 characters. A few words you'll remember works well." in text_of(form_page)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("portal:login")
    assert "Your new password is set." in text_of(done)

    assert sign_in(client, "Rose-of-Kyiv", PASSWORD).status_code == 200  # the old one is gone
    assert sign_in(client, "Rose-of-Kyiv", NEW_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(storyteller.user.pk)


def test_an_existing_storyteller_signs_in_with_the_user_name_she_always_had(amara):
    client = PortalClient()
    assert sign_in(client, "amara").status_code == 302
    assert shown_sign_in_name(client.get(reverse("portal:home"))) == "amara"


@pytest.mark.parametrize(
    ("chosen", "problem"),
    [
        ("amara", "Someone already has that sign-in name, or one that looks just like it."),
        ("AMARA", "Someone already has that sign-in name, or one that looks just like it."),
        ("Аmara", "Use letters from one alphabet only"),
        ("ΑΜΑRΑ", "Use letters from one alphabet only"),
        ("Ａｍａｒａ", "Someone already has that sign-in name, or one that looks just like it."),
        ("editor", "Someone already has that sign-in name, or one that looks just like it."),
        ("r" * 31, "Use between 2 and 30 letters or numbers."),
        ("r" * 5000, "Use between 2 and 30 letters or numbers."),
        ("", "Choose a sign-in name."),
        ('"><script>alert(1)</script>', "Use only letters and numbers."),
    ],
)
def test_welcome_refuses_a_name_that_is_taken_looks_taken_or_is_too_long(
    chosen, problem, nightingale, amara
):
    storyteller, welcome = nightingale
    client = PortalClient()

    refused = client.post(welcome, welcome_data(sign_in_name=chosen))

    assert refused.status_code == 200
    assert problem in no_django_words(refused)
    assert "<script>alert" not in refused.content.decode()
    assert "_auth_user_id" not in client.session
    storyteller.user.refresh_from_db()
    assert storyteller.user.username.startswith("storyteller-")
    assert not storyteller.user.has_usable_password()
    assert Invitation.objects.get(storyteller=storyteller).is_usable  # nothing lost
    amara.user.refresh_from_db()
    assert amara.user.username == "amara"


def test_a_name_taken_between_her_form_and_her_save_is_refused_not_doubled(nightingale, editor):
    storyteller, _welcome = nightingale
    invitation = Invitation.objects.get(storyteller=storyteller)
    other = services.create_storyteller(pseudonym="Other")
    other_invitation, _token = services.create_invitation(storyteller=other, created_by=editor)
    services.accept_invitation(
        invitation=other_invitation, pseudonym="Other", password=PASSWORD, sign_in_name="Rose"
    )

    with pytest.raises(ValidationError):
        services.accept_invitation(
            invitation=invitation, pseudonym="Nightingale", password=PASSWORD, sign_in_name="rOSE"
        )

    assert get_user_model().objects.filter(username__iexact="rose").count() == 1
    assert Invitation.objects.get(pk=invitation.pk).is_usable


def test_empty_forms_are_answered_in_her_words(nightingale):
    _storyteller, welcome = nightingale
    client = PortalClient()

    sign_in_page = client.post(reverse("portal:login"), {})
    welcome_page = client.post(welcome, {})
    reset_page = client.post(reverse("portal:password_reset"), {})

    assert "Write your sign-in name or your email address." in no_django_words(sign_in_page)
    assert "Write your password." in text_of(sign_in_page)
    welcome_text = no_django_words(welcome_page)
    for words in (
        "Choose a sign-in name.",
        "Write a name for the editors to use.",
        "Choose a password.",
        "Type your password again.",
    ):
        assert words in welcome_text
    assert "Write your sign-in name or your email address." in no_django_words(reset_page)


def test_password_help_is_one_plain_sentence_not_four_rules(amara):
    token = default_token_generator.make_token(amara.user)
    uid = urlsafe_base64_encode(force_bytes(amara.user.pk))
    client = PortalClient()
    page = client.get(reverse("portal:password_reset_confirm", args=[uid, token]), follow=True)

    text = no_django_words(page)
    assert "At least 10 characters. A few words you'll remember works well." in text
    assert "<ul" not in page.content.decode().split('id="id_new_password1_helptext"')[1][:80]

    weak = client.post(
        page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    weak_text = no_django_words(weak)
    assert "Use at least 10 characters." in weak_text
    assert "Use some letters too, not only numbers." in weak_text
    assert "Many people use that password" in weak_text
    mismatch = client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": "other"}
    )
    assert "The two don't match. Try again." in no_django_words(mismatch)
    amara.user.refresh_from_db()
    assert amara.user.check_password(PASSWORD)


def test_a_used_reset_link_and_an_expired_one_say_so_and_change_nothing(amara):
    amara.user.email = "amara@example.org"
    amara.user.save()
    client = PortalClient()
    client.post(reverse("portal:password_reset"), {"name_or_email": "amara"})
    link = reset_link_in(mail.outbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    used = PortalClient().get(link, follow=True)
    generator = default_token_generator
    old = generator._make_token_with_timestamp(
        amara.user,
        generator._num_seconds(generator._now())
        - int(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60).total_seconds()),
        generator.secret,
    )
    uid = urlsafe_base64_encode(force_bytes(amara.user.pk))
    expired = PortalClient().get(reverse("portal:password_reset_confirm", args=[uid, old]))
    posted = PortalClient().post(
        reverse("portal:password_reset_confirm", args=[uid, old]),
        {"new_password1": "someone else's words", "new_password2": "someone else's words"},
    )

    for answer in (used, expired, posted):
        assert answer.status_code == 200
        assert "This link no longer works: each link works once, for a few days." in text_of(answer)
        assert 'name="new_password1"' not in answer.content.decode()
    amara.user.refresh_from_db()
    assert amara.user.check_password(NEW_PASSWORD)


def test_an_editor_cannot_reset_through_the_portal(editor):
    editor.email = "editor@example.org"
    editor.save()

    PortalClient().post(reverse("portal:password_reset"), {"name_or_email": "editor"})

    assert mail.outbox == []


# The pause after wrong tries: one account, however it is typed


def test_wrong_tries_by_name_in_any_capitals_or_by_email_pause_the_one_account(amara, lucia):
    amara.user.email = "amara@example.org"
    amara.user.save()
    typed = ["amara", "AMARA", "Amara", "amara@example.org", "AMARA@EXAMPLE.ORG"]
    assert len(typed) == settings.AXES_FAILURE_LIMIT
    answers = [sign_in(PortalClient(), name, "not-her-password").status_code for name in typed]

    # The fifth wrong try, in whichever spelling, is the one that pauses the account.
    assert answers == [200, 200, 200, 200, 429]

    client = PortalClient()
    locked = sign_in(client, "amara")

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["amara"]
    # Lucía's account is hers alone, and still opens.
    assert sign_in(PortalClient(), "lucia").status_code == 302


def test_the_pause_page_says_when_to_try_again_and_who_can_help(amara, settings):
    settings.SAYSO_ORGANISATION = {
        **settings.SAYSO_ORGANISATION,
        "email": "help@org.example",
        "phone": "+44 20 7946 0000",
    }
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(PortalClient(), "amara", "not-her-password")

    client = PortalClient()
    locked = sign_in(client, "amara")

    assert locked.status_code == 429
    text = no_django_words(locked)
    assert "we paused it for 15 minutes to keep it safe. Nothing is lost." in text
    assert "Try again in 15 minutes, with your sign-in name or your email address." in text
    assert "help@org.example" in text and "+44 20 7946 0000" in text
    soup = BeautifulSoup(locked.content, "html.parser")
    assert soup.select_one("#quick-exit")["href"] == reverse("portal:exit")
    assert soup.find("a", href=reverse("portal:password_reset"))
    assert soup.title.get_text() == "Sayso"
    assert "no-store" in locked["Cache-Control"]


def test_a_new_password_from_the_emailed_link_ends_the_pause(amara):
    amara.user.email = "amara@example.org"
    amara.user.save()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(PortalClient(), "amara", "not-her-password")
    assert sign_in(PortalClient(), "amara").status_code == 429

    client = PortalClient()
    client.post(reverse("portal:password_reset"), {"name_or_email": "amara@example.org"})
    form_page = client.get(reset_link_in(mail.outbox[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert sign_in(client, "amara", NEW_PASSWORD).status_code == 302


# Two welcomes at once


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_choosing_rose_and_rose_at_the_same_moment_get_one_name(editor, monkeypatch):
    """The second welcome waits for the first to finish choosing, then sees the name taken.

    Forced interleaving: the first welcome, having checked the name, holds on for a moment
    before saving; the second starts inside that moment. Without the lock both would pass
    the check ("Rose" and "rose" are different strings to the database's unique index).
    """
    import threading
    import time

    from django.db import connection

    from core import sign_in_names

    first = services.create_storyteller(pseudonym="First")
    second = services.create_storyteller(pseudonym="Second")
    invitations = [
        services.create_invitation(storyteller=person, created_by=editor)[0]
        for person in (first, second)
    ]
    checked = threading.Event()
    real_validate = sign_in_names.validate_sign_in_name

    def slow_first_validate(name, **kwargs):
        result = real_validate(name, **kwargs)
        if threading.current_thread().name == "first":
            checked.set()
            time.sleep(0.5)
        return result

    monkeypatch.setattr(sign_in_names, "validate_sign_in_name", slow_first_validate)
    outcomes = {}

    def welcome(invitation, name):
        try:
            if threading.current_thread().name == "second":
                assert checked.wait(10)
            services.accept_invitation(
                invitation=invitation,
                pseudonym=threading.current_thread().name,
                password=PASSWORD,
                sign_in_name=name,
            )
            outcomes[threading.current_thread().name] = "accepted"
        except ValidationError as refused:
            outcomes[threading.current_thread().name] = refused.messages[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=welcome, args=(invitations[0], "Rose"), name="first"),
        threading.Thread(target=welcome, args=(invitations[1], "rose"), name="second"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes["first"] == "accepted"
    assert outcomes["second"].startswith("Someone already has that sign-in name")
    assert list(
        get_user_model().objects.filter(username__iexact="rose").values_list("username", flat=True)
    ) == ["Rose"]
    second.user.refresh_from_db()
    assert not second.user.has_usable_password()

"""The storyteller portal at /my/: the storyteller's own space, and only theirs.

They get in with a link handed over once, read exactly what the public would see, decide
(approve within a scope, ask for changes, edit it themselves, withdraw), and keep a receipt
for every decision. Nobody else sees anything of theirs, nothing they type can run in a
browser, messages to them never carry their story, and no page talks to them in jargon.
"""

import hashlib
import json
import re
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.test import override_settings
from django.urls import URLPattern, reverse
from django.utils import formats, timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import Revision, TaskState

from accounts.middleware import LAST_SEEN
from compensation.models import Agreement, CompensationResponse
from compensation.services import record_payment
from consent import services
from consent.exceptions import ConsentRequired
from consent.models import (
    ConsentEntry,
    Invitation,
    Notification,
    Storyteller,
    StorytellerReviewTask,
)
from consent.selectors import revision_content_hash, today
from core.text.diff import html_to_text
from portal.urls import urlpatterns as PORTAL_URLPATTERNS
from stories.models import StoryPage

from tests import portal_flow as flow
from tests.conftest import PASSWORD, approve, user_of
from tests.portal_flow import PortalClient, current_review_step, signed_in, text_of

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "lanterns over the quiet river"


def is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def story_text(story):
    """Distinctive words of a story a message must never carry."""
    words = set()
    for text in (story.title, story.summary, html_to_text(story.body)):
        words.update(word for word in re.findall(r"\w+", text) if len(word) >= 5)
    return [story.title, story.summary, *sorted(words)]


# 1. Nobody else gets anything of the storyteller's, on any portal route.

# Routes anyone may open, and why that is safe. Every other route is the storyteller's own.
PUBLIC_ROUTES = {
    "login": "signing in must work before anyone is signed in; it shows no one's things",
    "logout": "signing out only ends the visitor's own session",
    "exit": "the quick exit must work for anyone at once; it only ends the visitor's session",
    "password_reset": "asking for a reset link works signed out and never says who exists",
    "password_reset_done": "a fixed 'check your email' page",
    "password_reset_confirm": "the emailed link is its own proof; a wrong one shows nothing",
    "welcome": "the invitation link is a storyteller's only key before they have a password",
    "staying_safe": "advice on using the site safely; it shows no one's things",
}
# The storyteller's own pages that name no one in their address: another storyteller sees
# their own things there; anyone else is refused.
OWN_SPACE_ROUTES = {"home", "history", "contact", "export", "private_words"}
# Everything held about her, with its warning, and to read or print.
OWN_SPACE_ROUTES |= {"my_data", "my_data_readable"}
# The advisory group's list of campaigns to read: a storyteller outside the group sees it empty.
OWN_SPACE_ROUTES |= {"advisory_campaigns"}
# Pages whose address names one of the storyteller's things (a story, a receipt).
OWNED_THING_ROUTES = {
    "story",
    "what_changed",
    "decide_start",
    "decide",
    "approve_places",
    "approve_name",
    "approve_photo",
    "approve_until",
    "approve_check",
    "request_changes",
    "edit",
    "withdraw",
    "withdraw_places",
    "decided",
    "erase",
    "receipt",
    "receipt_json",
}
# A campaign waiting for the advisory group: nobody outside the group finds it.
OWNED_THING_ROUTES |= {"advisory_campaign", "advisory_approve", "advisory_changes"}
# "My payments": her own page, and each of her agreements and payments by its address.
OWN_SPACE_ROUTES |= {"payments"}
OWNED_THING_ROUTES |= {
    "payments_confirm_agreement",
    "payments_agreement_choice",
    "payments_story_choice",
    "payments_received",
    "payments_problem",
}
ROUTES = {pattern.name: pattern for pattern in PORTAL_URLPATTERNS}


@pytest.fixture
def amaras_things(make_story, amara, lucia, review_workflow, editor):
    """Amara's published story, with a newer version waiting for her, and her receipts."""
    story = make_story(
        amara,
        slug="amaras-story",
        title="Amara crosses the river at night",
        summary="Amara tells how she found her way home.",
        body="<p>Only Amara has read these particular words.</p>",
    )
    first = approve(story, amara)
    story.get_latest_revision().publish()
    draft = story.get_latest_revision_as_object()
    draft.body = "<p>Only Amara has read these particular words, and these new ones.</p>"
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    invitation, token = services.create_invitation(storyteller=amara, created_by=editor)
    services.accept_invitation(invitation=invitation, pseudonym="Amara", password=PASSWORD)
    make_story(lucia, slug="lucias-story", title="Lucía at the market")
    story = StoryPage.objects.get(pk=story.pk)
    revision = story.get_latest_revision()
    payment = record_payment(
        agreement=story.agreements.get(),
        amount=Decimal("75.00"),
        paid_on=today(),
        method="mobile_money",
        reference="AMARA-TRANSFER-3141",
        recorded_by=editor,
    )
    return {
        "story": story,
        "revision": revision,
        "receipt": first,
        "agreement": payment.agreement,
        "payment": payment,
        "used_token": token,
        "secrets": [
            story.title,
            story.summary,
            "particular words",
            str(first.receipt_id),
            "AMARA-TRANSFER-3141",
        ],
    }


def fill(parameter, things, amara):
    """A value for a route's URL parameter that points at something of Amara's."""
    values = {
        "pk": things["story"].pk,
        "receipt_id": things["receipt"].receipt_id,
        # Her invitation, already used: a bearer link still working would be its own bug.
        "token": things["used_token"],
        "uidb64": urlsafe_base64_encode(force_bytes(amara.user.pk)),
        "agreement_id": things["agreement"].public_id,
        "payment_id": things["payment"].receipt_id,
    }
    if parameter not in values:
        pytest.fail(f"Teach this test which of Amara's things fills <{parameter}>.")
    return values[parameter]


def everything_a_visitor_could_post(things):
    """A form body that would do damage on any route, if the route let it through."""
    return {
        "revision": things["revision"].pk,
        "content_hash": revision_content_hash(things["revision"]),
        "channels": ["website", "press"],
        "byline": "anonymous",
        "image_allowed": "yes",
        "until": "withdrawn",
        "message": "Take it all down.",
        "title": "Taken over",
        "summary": "Taken over",
        "body": "<p>Taken over</p>",
        "confirm": "on",
        "decision": "withdraw",
        "photo": "hidden",
        "where": "everywhere",
        "stop": ["website"],
        "contact_preference": "email",
        "email": "someone-else@example.com",
        "pseudonym": "Not Amara",
        "sign_in_name": "not-amara",
        "name_or_email": "amara",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "username": "amara",
        "password": "not-her-password",
        "new_password1": STRONG_PASSWORD,
        "new_password2": STRONG_PASSWORD,
        "paid": "no",
    }


def ledger_and_story_state(things, amara):
    story = StoryPage.objects.get(pk=things["story"].pk)
    amara.user.refresh_from_db()
    return (
        list(ConsentEntry.objects.filter(story=story).values_list("pk", flat=True)),
        story.live,
        story.latest_revision_id,
        amara.user.password,
        amara.user.email,
        Storyteller.objects.get(pk=amara.pk).pseudonym,
        list(CompensationResponse.objects.filter(storyteller=amara).values_list("pk", flat=True)),
    )


# What each visitor gets from each route: one exact outcome per route, visitor and method.
# Routes that only take a form: following a link to them (a GET) is not allowed, for anyone.
POST_ONLY_ROUTES = {
    "logout",
    "decide_start",
    "advisory_approve",
    "advisory_changes",
    "payments_confirm_agreement",
    "payments_received",
}
# What another storyteller finds on each page of her own space (she sees her own things).
OWN_SPACE_SHOWS = {
    "home": "My stories",
    "history": "My decisions",
    "contact": "How we contact you",
    "my_data": "Everything we hold about you",
    "my_data_readable": "Everything we hold about you",
    "payments": "My payments",
    "private_words": "Words that must never appear",
    "advisory_campaigns": "Campaigns to read",
}
NOT_YOURS = "You can't open this page"  # the portal's 403 page
NOT_FOUND = "We can't find that page"  # the portal's 404 page: it never says whose it is
LINK_GONE = "This link no longer works"


def redirect(route):
    return ("redirect", reverse(f"portal:{route}"))


def public_route_outcome(route, visitor, method):
    signed_in = visitor != "anonymous"
    return {
        "login": redirect("home") if signed_in else ("shows", "Sign in"),
        "logout": redirect("login"),
        "exit": ("redirect", settings.SAYSO_QUICK_EXIT_URL),
        "password_reset": (
            redirect("password_reset_done") if method == "post" else ("shows", "Forgot your")
        ),
        "password_reset_done": ("shows", "Check your email"),
        "password_reset_confirm": ("shows", LINK_GONE),  # her used invitation is no reset token
        "welcome": ("gone", LINK_GONE),  # her invitation, already used
        "staying_safe": ("shows", "Staying safe when you use Sayso"),
    }[route]


def expected_outcome(route, visitor, method, url):
    """(what happens, where to or what it says) when this visitor opens or posts to url."""
    if method == "get" and route in POST_ONLY_ROUTES:
        # Django's LogoutView, a class-based view, answers OPTIONS too.
        return ("not allowed", "POST, OPTIONS" if route == "logout" else "POST")
    if route in PUBLIC_ROUTES:
        return public_route_outcome(route, visitor, method)
    if visitor == "anonymous":
        return ("redirect", f"{reverse('portal:login')}?next={url}")
    if visitor in ("editor", "superuser"):  # staff have no storyteller's space
        return ("forbidden", NOT_YOURS)
    if route in OWNED_THING_ROUTES:
        return ("not found", NOT_FOUND)
    # Lucía in her own space: her own page (her contact choices saved, back to her stories).
    if route == "contact" and method == "post":
        return redirect("home")
    if route == "export":
        return ("her data", "Lucía")
    return ("shows", OWN_SPACE_SHOWS[route])


def outcome_of(response):
    """(what happened, where to or what it says), in the terms of expected_outcome."""
    status = response.status_code
    if status == 302:
        return ("redirect", response["Location"])
    if status == 405:
        return ("not allowed", response["Allow"])
    if response["Content-Type"].startswith("application/json"):
        return ("her data", json.loads(response.content)["profile"]["pseudonym"])
    kind = {200: "shows", 403: "forbidden", 404: "not found", 410: "gone"}[status]
    return (kind, text_of(response))


@pytest.mark.parametrize("visitor", ["lucia", "editor", "superuser", "anonymous"])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_portal_route_gives_anything_of_one_storyteller_to_anyone_else(
    route, visitor, amaras_things, amara, request
):
    pattern = ROUTES[route]
    assert isinstance(pattern, URLPattern), f"{route}: include()d routes need covering too"
    classified = [PUBLIC_ROUTES, OWN_SPACE_ROUTES, OWNED_THING_ROUTES]
    if sum(route in group for group in classified) != 1:
        pytest.fail(
            f"The portal route {route!r} is not classified: add it to exactly one of "
            "PUBLIC_ROUTES (with the reason), OWN_SPACE_ROUTES or OWNED_THING_ROUTES."
        )
    parameters = pattern.pattern.regex.groupindex
    url = reverse(
        f"portal:{route}", kwargs={name: fill(name, amaras_things, amara) for name in parameters}
    )
    before = ledger_and_story_state(amaras_things, amara)

    for method in ("get", "post"):
        client = PortalClient()
        if visitor != "anonymous":
            client.force_login(user_of(request.getfixturevalue(visitor)))
        data = everything_a_visitor_could_post(amaras_things) if method == "post" else None
        response = getattr(client, method)(url, data)

        body = response.content.decode()
        for secret in amaras_things["secrets"]:
            assert secret not in body, f"{method.upper()} {url} as {visitor} shows {secret!r}"
        kind, detail = expected_outcome(route, visitor, method, url)
        got_kind, got_detail = outcome_of(response)
        assert got_kind == kind, f"{method.upper()} {url} as {visitor}: {response.status_code}"
        if kind in ("redirect", "not allowed", "her data"):
            assert got_detail == detail, f"{method.upper()} {url} as {visitor}"
        else:
            assert detail in got_detail, f"{method.upper()} {url} as {visitor}: {got_detail}"

    assert ledger_and_story_state(amaras_things, amara) == before


# 2. Getting in: an invitation link handed over once, a password, and a short, safe session.


def invitation_link_from(response):
    field = BeautifulSoup(response.content, "html.parser").select_one("[data-invitation-link]")
    return field["value"] if field else None


def test_an_editor_creates_a_storyteller_whose_link_works_once_and_signs_them_in(
    portal_client, editor
):
    portal_client.force_login(editor)

    created = portal_client.post(
        reverse("storytellers:add"), {"pseudonym": "Nadia", "contact_preference": "none"}
    )

    storyteller = Storyteller.objects.get(pseudonym="Nadia")
    invite_url = reverse("consent_invite", args=[storyteller.pk])
    assert created.status_code == 302 and created["Location"] == invite_url
    assert not storyteller.user.is_staff and not storyteller.user.has_usable_password()
    assert invitation_link_from(portal_client.get(invite_url)) is None
    made = portal_client.post(invite_url)
    link = invitation_link_from(made)
    assert link is not None
    assert "no-store" in made["Cache-Control"]  # not kept in any browser cache
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]

    # Shown once: the page never shows it again, and the database holds only its hash.
    again = portal_client.get(invite_url)
    assert invitation_link_from(again) is None and token not in again.content.decode()
    invitation = Invitation.objects.get(storyteller=storyteller)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in Invitation.objects.values_list(flat=False).get()]
    assert not any(token in value for value in stored)

    visitor = PortalClient()
    path = urlsplit(link).path
    welcome = visitor.get(path)
    assert welcome.status_code == 200
    assert "Choose a password or a passphrase" in text_of(welcome)
    arrived = visitor.post(
        path,
        {
            "sign_in_name": "nadia_s",
            "pseudonym": "Nadia S.",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
        follow=True,
    )

    assert arrived.redirect_chain[-1][0] == reverse("portal:home")
    assert "Welcome. This is your own space on Sayso." in text_of(arrived)
    assert "My stories" in text_of(arrived)
    storyteller.refresh_from_db()
    assert storyteller.pseudonym == "Nadia S."
    assert storyteller.user.username == "nadia_s"
    assert storyteller.user.check_password(STRONG_PASSWORD)

    reused = PortalClient().get(path)
    assert reused.status_code == 410
    assert "This link no longer works" in text_of(reused)
    assert PortalClient().post(path, {"pseudonym": "Someone"}).status_code == 410


def test_an_expired_invitation_link_answers_gone_and_changes_nothing(portal_client, amara, editor):
    invitation, token = services.create_invitation(storyteller=amara, created_by=editor)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    url = reverse("portal:welcome", args=[token])

    opened = portal_client.get(url)
    posted = portal_client.post(
        url,
        {
            "sign_in_name": "amara-new",
            "pseudonym": "Amara",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )

    assert opened.status_code == 410 and posted.status_code == 410
    assert "Ask the person who gave it to you for a new one" in text_of(opened)
    amara.user.refresh_from_db()
    assert not amara.user.check_password(STRONG_PASSWORD)
    assert "_auth_user_id" not in portal_client.session


def test_a_weak_password_is_refused_with_a_clear_message(portal_client, amara, editor):
    invitation, token = services.create_invitation(storyteller=amara, created_by=editor)
    url = reverse("portal:welcome", args=[token])

    response = portal_client.post(
        url,
        {"sign_in_name": "amara", "pseudonym": "Amara", "password1": "amara", "password2": "amara"},
    )

    assert response.status_code == 200
    text = text_of(response)
    assert "Use at least 10 characters. A few words you'll remember works well." in text
    assert "It is too close to your name. Choose something else." in text
    assert "_auth_user_id" not in portal_client.session
    invitation.refresh_from_db()
    assert invitation.is_usable  # nothing lost: the link still works for a better password


def test_a_storyteller_signs_in_at_my_login_and_signs_out(portal_client, amara):
    signed_in_page = portal_client.post(
        reverse("portal:login"), {"username": "amara", "password": PASSWORD}, follow=True
    )

    assert signed_in_page.redirect_chain[-1][0] == reverse("portal:home")
    assert "My stories" in text_of(signed_in_page)

    signed_out = portal_client.post(reverse("portal:logout"))

    assert signed_out.status_code == 302 and signed_out["Location"] == reverse("portal:login")
    assert is_login_redirect(portal_client.get(reverse("portal:home")))


def test_a_wrong_password_is_refused_in_plain_words(portal_client, amara):
    response = portal_client.post(
        reverse("portal:login"), {"username": "amara", "password": "nope"}
    )

    assert response.status_code == 200
    assert (
        "That sign-in name or email and that password don't go together. Check both and try "
        "again: capital letters matter in the password." in text_of(response)
    )
    assert "_auth_user_id" not in portal_client.session


def test_a_storyteller_who_gave_an_email_can_choose_a_new_password(portal_client, amara):
    amara.user.email = "amara@example.org"
    amara.user.save()

    sent = portal_client.post(
        reverse("portal:password_reset"), {"name_or_email": "amara@example.org"}
    )

    assert sent["Location"] == reverse("portal:password_reset_done")
    (message,) = mail.outbox
    assert message.subject == "Something is ready for you on Sayso"
    link = re.search(r"https?://\S+", message.body).group(0)
    form_page = portal_client.get(urlsplit(link).path, follow=True)
    assert "Choose a new password" in text_of(form_page)
    done = portal_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
        follow=True,
    )
    assert "Your new password is set. Sign in with your sign-in name or email and it." in text_of(
        done
    )
    amara.user.refresh_from_db()
    assert amara.user.check_password(STRONG_PASSWORD)


def test_a_storyteller_without_an_email_gets_no_reset_mail_and_no_hint_who_exists(
    portal_client, amara
):
    response = portal_client.post(
        reverse("portal:password_reset"), {"name_or_email": "someone@example.org"}, follow=True
    )
    by_name = portal_client.post(
        reverse("portal:password_reset"), {"name_or_email": "amara"}, follow=True
    )

    assert mail.outbox == []
    for answer in (response, by_name):
        assert (
            "If that name or address belongs to an account with an email address, a link is on "
            "its way." in text_of(answer)
        )


@pytest.mark.parametrize(
    "admin_url",
    [
        lambda story: reverse("wagtailadmin_home"),
        lambda story: reverse("wagtailadmin_explore_root"),
        lambda story: reverse("wagtailadmin_pages:edit", args=[story.pk]),
        lambda story: reverse("storytellers:index"),
        lambda story: reverse("consent_invite", args=[story.storyteller_id]),
    ],
    ids=["dashboard", "pages", "edit-her-story", "storytellers", "invitations"],
)
def test_a_storyteller_is_sent_away_from_the_admin(portal_client, published_story, admin_url):
    portal_client.post(reverse("portal:login"), {"username": "amara", "password": PASSWORD})
    assert "_auth_user_id" in portal_client.session

    response = portal_client.get(admin_url(published_story))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_five_failed_sign_ins_lock_the_account_and_keep_no_ip_address(portal_client, amara, lucia):
    login = reverse("portal:login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        portal_client.post(login, {"username": "amara", "password": "not-my-password"})

    locked = portal_client.post(login, {"username": "amara", "password": PASSWORD})

    assert "_auth_user_id" not in portal_client.session
    assert locked.status_code == 429
    assert "too many tries to sign in to this account" in text_of(locked)
    addresses = [
        *AccessAttempt.objects.values_list("ip_address", flat=True),
        *AccessFailureLog.objects.values_list("ip_address", flat=True),
        *AccessLog.objects.values_list("ip_address", flat=True),
    ]
    assert addresses, "the failed attempts were recorded"
    assert set(addresses) <= {"0.0.0.0", "", None}  # noqa: S104 (an address, not a bind)
    # The lock is on Amara's account, not on the place the attempts came from.
    other = PortalClient()
    other.post(login, {"username": "lucia", "password": PASSWORD})
    assert other.session["_auth_user_id"] == str(lucia.user.pk)


@override_settings(SAYSO_PORTAL_IDLE_SECONDS=60)
def test_an_idle_storyteller_is_signed_out_with_a_gentle_message(portal_client, amara):
    portal_client.force_login(amara.user)
    session = portal_client.session
    session[LAST_SEEN] = int(time.time()) - 30
    session.save()
    assert portal_client.get(reverse("portal:home")).status_code == 200  # still within the minute

    session = portal_client.session
    session[LAST_SEEN] = int(time.time()) - 61
    session.save()
    response = portal_client.get(reverse("portal:home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?timeout=1"
    assert "_auth_user_id" not in portal_client.session
    login_page = portal_client.get(response["Location"])
    assert "You were signed out after a while without activity" in text_of(login_page)
    assert "to keep your stories safe" in text_of(login_page)


# 3. My stories: where each story stands, in plain words.


@pytest.fixture
def stories_in_every_state(story_in_state, amara):
    """One of Amara's stories in each state she can find it in, keyed by its title."""
    for title, slug, state in [
        ("The night train", "ready", "waiting"),
        ("The letter home", "changes", "changes"),
        ("The garden", "published", "published"),
        ("The bakery", "withdrawn", "withdrawn"),
        ("The harbour", "ended", "ended"),
    ]:
        story_in_state(amara, state, title=title, slug=slug)
    return {
        "The night train": "Ready for you to read",
        "The letter home": "You asked for changes",
        "The garden": "Published — on the website",
        "The bakery": "Withdrawn by you",
        "The harbour": f"Ended on {formats.date_format(today(), 'j F Y')}",
    }


def test_my_stories_says_where_each_story_stands(portal_client, amara, stories_in_every_state):
    portal_client.force_login(amara.user)

    response = portal_client.get(reverse("portal:home"))

    soup = BeautifulSoup(response.content, "html.parser")
    shown = {
        item.find("h2").get_text(strip=True): item.select_one(".status").get_text(strip=True)
        for item in soup.select(".story-item")
    }
    assert shown == stories_in_every_state


def test_my_stories_says_what_happens_next(portal_client, amara, stories_in_every_state):
    portal_client.force_login(amara.user)

    text = text_of(portal_client.get(reverse("portal:home")))

    assert "Read it and decide: approve it, ask for changes, or edit it yourself." in text
    assert (
        "The website shows exactly the version you approved. You can withdraw it at any time."
        in text
    )
    assert "Only you can bring it back, by approving it again." in text


def test_no_portal_page_speaks_of_revisions_workflows_or_tasks(
    amara, editor, stories_in_every_state, photo, make_story, review_workflow
):
    """Every route, as the storyteller, in every state; PortalClient reads each page."""
    # A story with a photo and a change since she approved it, so the comparison shows too.
    story = make_story(amara, slug="with-photo", image=photo, image_alt="A field at dawn")
    approve(story, amara, image_allowed=True)
    draft = story.get_latest_revision_as_object()
    draft.body = "<p>The words the editor changed.</p>"
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    stories = StoryPage.objects.filter(storyteller=amara)
    receipts = ConsentEntry.objects.filter(storyteller=amara)
    invitation, token = services.create_invitation(
        storyteller=services.create_storyteller(pseudonym="Newcomer"), created_by=editor
    )
    values = {
        "pk": [s.pk for s in stories],
        "receipt_id": [e.receipt_id for e in receipts],
        "token": [token, "an-old-link"],
        "uidb64": [urlsafe_base64_encode(force_bytes(amara.user.pk))],
    }
    # Her payments too: one paid (so "I received this" and "Something's wrong" show).
    agreements = list(Agreement.objects.filter(storyteller=amara))
    payment = record_payment(
        agreement=agreements[0],
        amount=Decimal("20.00"),
        paid_on=today(),
        method="cash",
        recorded_by=editor,
    )
    values["agreement_id"] = [agreement.public_id for agreement in agreements]
    values["payment_id"] = [payment.receipt_id]
    reset_token = default_token_generator.make_token(amara.user)
    pages_read = []

    for route, pattern in ROUTES.items():
        names = list(pattern.pattern.regex.groupindex)
        if route == "password_reset_confirm":
            urls = [reverse(f"portal:{route}", args=[values["uidb64"][0], reset_token])]
        elif names == ["pk", "receipt_id"]:
            # A decision's "done" page: each of her decisions, under its own story.
            urls = [
                reverse(f"portal:{route}", args=[entry.story_id, entry.receipt_id])
                for entry in receipts
            ]
        elif names:
            (name,) = names
            urls = [reverse(f"portal:{route}", kwargs={name: value}) for value in values[name]]
        else:
            urls = [reverse(f"portal:{route}")]
        for url in urls:
            for method, data in (("get", None), ("post", {}), ("get", {"timeout": "1"})):
                client = signed_in(amara) if route not in PUBLIC_ROUTES else PortalClient()
                response = getattr(client, method)(url, data, follow=True)
                assert response.status_code < 500, url
                pages_read.extend(client.portal_pages_read)

    # The locked-out page and a sign-in with the wrong password are pages too.
    locked = PortalClient()
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        locked.post(reverse("portal:login"), {"username": "amara", "password": "wrong"})
    pages_read.extend(locked.portal_pages_read)

    assert {reverse(f"portal:{route}") for route in ("home", "history", "contact", "login")} <= set(
        pages_read
    )
    for story in stories:
        for route in ("story", "edit", "withdraw"):
            assert reverse(f"portal:{route}", args=[story.pk]) in pages_read
    for entry in receipts:
        assert reverse("portal:receipt", args=[entry.receipt_id]) in pages_read
        assert reverse("portal:decided", args=[entry.story_id, entry.receipt_id]) in pages_read
    assert reverse("portal:payments") in pages_read
    assert reverse("portal:payments_problem", args=[payment.receipt_id]) in pages_read


# 4. Reading before deciding: exactly what the public will see, and what changed.


def article_in(response, container="body"):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one(f"{container} article.story")


def test_the_story_reads_exactly_as_the_public_will_see_it(portal_client, make_story, amara, photo):
    story = make_story(
        amara,
        slug="with-photo",
        title="The orchard in winter",
        image=photo,
        image_alt="Bare trees in a field",
        body="<p>I worked there <b>three</b> winters.</p>",
    )
    approve(story, amara, image_allowed=True)
    story.get_latest_revision().publish()
    portal_client.force_login(amara.user)

    portal = article_in(
        portal_client.get(reverse("portal:story", args=[story.pk])), ".preview-frame"
    )
    public = article_in(PortalClient().get(StoryPage.objects.get(pk=story.pk).url))

    assert portal is not None and public is not None
    assert str(portal) == str(public)
    assert portal.find("h1").get_text() == "The orchard in winter"
    assert portal.select_one(".byline").get_text() == "Told by Amara"
    assert "I worked there three winters." in portal.get_text()
    image = portal.find("img")
    assert image["alt"] == "Bare trees in a field"
    assert image["src"] != photo.file.url  # a rendition, never the original file
    assert photo.renditions.filter(file=image["src"].split("/media/", 1)[-1]).exists()


def test_a_new_version_is_shown_with_its_changes_against_the_version_last_approved(
    portal_client, make_story, amara, editor, review_workflow
):
    story = make_story(amara, slug="three-versions", body="<p>I left home in the spring.</p>")
    approve(story, amara)
    second = story.get_latest_revision_as_object()
    second.body = "<p>I left home in the early spring.</p>"
    approve(story, amara, revision=second.save_revision(user=editor))
    third = story.get_latest_revision_as_object()
    third.body = "<p>I left my home in the early autumn.</p>"
    third.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    portal_client.force_login(amara.user)

    response = portal_client.get(reverse("portal:story", args=[story.pk]))

    soup = BeautifulSoup(response.content, "html.parser")
    for hint in soup.select(".changes .visually-hidden"):
        hint.decompose()
    removed = [tag.get_text().strip() for tag in soup.select(".changes del")]
    added = [tag.get_text().strip() for tag in soup.select(".changes ins")]
    assert removed == ["spring."]
    assert added == ["my", "autumn."]
    # "early" was in the version she approved last, so it is not news to her.
    assert "What changed since you last approved it" in text_of(response)
    preview = soup.select_one(".preview-frame")
    assert "I left my home in the early autumn." in preview.get_text()


# 5. Deciding: each decision recorded exactly, with a receipt.


def test_an_approval_is_refused_when_the_story_changed_while_she_was_reading(
    portal_client, amara, in_review
):
    portal_client.force_login(amara.user)
    flow.start_deciding(portal_client, in_review)
    flow.choose(portal_client, in_review, "approve")
    for step in ("places", "name", "until"):
        flow.answer(portal_client, reverse(f"portal:approve_{step}", args=[in_review.pk]))
    check_url = reverse("portal:approve_check", args=[in_review.pk])
    data = flow.page_form(portal_client.get(check_url))
    # Meanwhile an autosave rewrites the version she is reading, under the same id.
    waiting = current_review_step(in_review).revision
    waiting.content["body"] = "<p>Words she never saw.</p>"
    waiting.save(update_fields=["content"])

    response = portal_client.post(check_url, data, follow=True)

    assert not ConsentEntry.objects.filter(story_id=in_review.pk).exists()
    assert current_review_step(in_review).status == TaskState.STATUS_IN_PROGRESS
    text = text_of(response)
    assert "Your story changed while you were deciding" in text
    assert "Please read it again, then decide." in text
    assert "Words she never saw." in text  # what she reads now is what she would approve


def test_asking_for_changes_records_the_message_for_the_editors(portal_client, amara, in_review):
    waiting = current_review_step(in_review)
    portal_client.force_login(amara.user)

    response = flow.ask_for_changes_in_portal(
        portal_client, in_review, "Please leave out the name of the orchard.\nAnd my age."
    )

    entry = ConsentEntry.objects.get(story_id=in_review.pk)
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert entry.message == "Please leave out the name of the orchard.\nAnd my age."
    assert entry.revision_id == waiting.revision_id
    assert "Your answers were sent to the editors" in text_of(response)
    assert "Please leave out the name of the orchard." in text_of(response)
    receipt = portal_client.get(reverse("portal:receipt", args=[entry.receipt_id]))
    assert "Please leave out the name of the orchard." in text_of(receipt)
    waiting.refresh_from_db()
    assert waiting.status == TaskState.STATUS_REJECTED
    assert "You asked for changes" in text_of(portal_client.get(reverse("portal:home")))
    assert not StoryPage.objects.get(pk=in_review.pk).live


def sign_off_as_editor(story, editor):
    """The editors' own step after the storyteller's: approving it publishes her words."""
    state = current_review_step(story).specific
    assert not isinstance(state.task.specific, StorytellerReviewTask)
    state.approve(user=editor)


def test_editing_it_herself_counts_as_her_approval_of_exactly_her_words(
    portal_client, amara, editor, in_review
):
    portal_client.force_login(amara.user)
    edit_url = reverse("portal:edit", args=[in_review.pk])
    data = flow.page_form(portal_client.get(edit_url))
    data.update(
        title=["My own title"],
        summary=["In my own words."],
        # What the formatting editor sends (without it, the box holds plain paragraphs).
        body_format=["html"],
        body=['<p>I <strong>chose</strong> these words.</p><p onclick="x()">Every one.</p>'],
    )

    response = portal_client.post(edit_url, data, follow=True)

    grant = ConsentEntry.objects.get(story_id=in_review.pk)
    mine = Revision.objects.get(pk=grant.revision_id)
    assert grant.decision == ConsentEntry.Decision.GRANTED
    assert mine.user == amara.user
    assert mine.pk == StoryPage.objects.get(pk=in_review.pk).latest_revision_id
    version = mine.as_object()
    assert version.title == "My own title"
    assert version.summary == "In my own words."
    # Stored the way Wagtail's editor stores it: the same words, with its paragraph ids.
    assert re.sub(r' data-block-key="\w+"', "", version.body) == (
        "<p>I <b>chose</b> these words.</p><p>Every one.</p>"
    )
    assert grant.content_hash == revision_content_hash(mine)
    assert "Your changes are saved. The editors will see your new version." in text_of(response)
    assert str(grant.receipt_id) in text_of(response)

    # The editors sign off, and exactly her words go live.
    sign_off_as_editor(in_review, editor)
    live = StoryPage.objects.get(pk=in_review.pk)
    assert live.live and live.body == version.body

    # An editor's change afterwards needs her approval again.
    draft = live.get_latest_revision_as_object()
    draft.body = "<p>I chose these words, said the editor.</p>"
    theirs = draft.save_revision(user=editor)
    with pytest.raises(ConsentRequired):
        theirs.publish(user=editor)
    assert StoryPage.objects.get(pk=in_review.pk).body == version.body


def test_after_an_editor_changes_her_words_only_her_new_approval_lets_them_live(
    portal_client, amara, editor, published_story, review_workflow
):
    draft = published_story.get_latest_revision_as_object()
    draft.body = "<p>The editor's tidier words.</p>"
    theirs = draft.save_revision(user=editor)
    with pytest.raises(ConsentRequired):
        theirs.publish(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=published_story.pk), editor)
    portal_client.force_login(amara.user)

    approve_in_portal(portal_client, published_story)
    sign_off_as_editor(published_story, editor)

    assert StoryPage.objects.get(pk=published_story.pk).body == "<p>The editor's tidier words.</p>"


def test_withdrawing_needs_the_tick_then_takes_the_story_down_at_once(
    portal_client, amara, published_story
):
    public_url = published_story.url
    assert PortalClient().get(public_url).status_code == 200
    portal_client.force_login(amara.user)
    withdraw_url = reverse("portal:withdraw", args=[published_story.pk])

    explained = text_of(portal_client.get(withdraw_url))
    unticked = portal_client.post(withdraw_url, {})

    assert "it disappears from the website now" in explained
    assert "Copies that were already printed or shared elsewhere can't be recalled." in explained
    assert "Any payment you are owed is still owed to you." in explained
    assert unticked.status_code == 200
    assert "Choose whether to take it down everywhere or only some places." in text_of(unticked)
    assert not ConsentEntry.objects.filter(
        story=published_story, decision=ConsentEntry.Decision.WITHDRAWN
    ).exists()
    assert PortalClient().get(public_url).status_code == 200

    done = portal_client.post(withdraw_url, {"where": "everywhere"}, follow=True)

    withdrawal = ConsentEntry.objects.get(
        story=published_story, decision=ConsentEntry.Decision.WITHDRAWN
    )
    assert done.redirect_chain[-1][0] == reverse(
        "portal:decided", args=[published_story.pk, withdrawal.receipt_id]
    )
    assert "Your story is withdrawn" in text_of(done)
    assert "It is no longer on the website" in text_of(done)
    receipt = portal_client.get(reverse("portal:receipt", args=[withdrawal.receipt_id]))
    assert str(withdrawal.receipt_id) in text_of(receipt)
    gone = PortalClient().get(public_url)
    assert gone.status_code == 410
    assert published_story.title not in gone.content.decode()
    assert "Amara" not in gone.content.decode()
    assert "Withdrawn by you" in text_of(portal_client.get(reverse("portal:home")))


# 6. My decisions: every one with a receipt to keep, as a page and as a Kantara receipt.


@pytest.fixture
def three_decisions(make_story, amara, editor, review_workflow):
    """Amara approved one story, asked for changes to another and withdrew the first."""
    kept = make_story(amara, slug="kept", title="The long walk")
    granted = approve(
        kept, amara, channels=("website", "press"), valid_until=today() + timedelta(days=30)
    )
    kept.get_latest_revision().publish()
    other = make_story(amara, slug="other", title="The second story")
    asked = services.request_changes(
        story=other,
        revision=other.get_latest_revision(),
        user=amara.user,
        message="Not yet, please.",
    )
    withdrawn = services.withdraw_story(story=kept, user=amara.user)
    return [granted, asked, withdrawn]


def test_my_decisions_lists_every_decision_with_its_receipt(
    portal_client, amara, lucia, make_story, three_decisions
):
    hers = make_story(lucia, slug="hers", title="Lucía's own story")
    approve(hers, lucia)
    portal_client.force_login(amara.user)

    response = portal_client.get(reverse("portal:history"))

    soup = BeautifulSoup(response.content, "html.parser")
    links = [a["href"] for a in soup.select(".history a")]
    newest_first = list(reversed(three_decisions))
    assert links == [reverse("portal:receipt", args=[e.receipt_id]) for e in newest_first]
    text = text_of(response)
    for label in ("Approved — The long walk", "Asked for changes — The second story"):
        assert label in text
    assert "Withdrawn — The long walk" in text
    assert "Lucía's own story" not in text


def test_a_receipt_page_shows_what_was_decided(portal_client, amara, three_decisions):
    granted = three_decisions[0]
    portal_client.force_login(amara.user)

    text = text_of(portal_client.get(reverse("portal:receipt", args=[granted.receipt_id])))

    assert "Your receipt" in text
    assert "You approved your story." in text and "The long walk" in text
    assert str(granted.receipt_id) in text  # under "Technical details"
    assert granted.content_hash in text
    assert formats.date_format(granted.valid_until, "j F Y") in text
    assert "Save this receipt as a file that other services and computers can read" in text


def test_the_json_receipt_follows_the_kantara_consent_receipt_fields(
    portal_client, amara, three_decisions
):
    granted = three_decisions[0]
    portal_client.force_login(amara.user)

    response = portal_client.get(reverse("portal:receipt_json", args=[granted.receipt_id]))

    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert str(granted.receipt_id) in response["Content-Disposition"]
    receipt = json.loads(response.content)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["jurisdiction"] == settings.SAYSO_ORGANISATION["jurisdiction"]
    assert receipt["consentTimestamp"] == int(granted.created_at.timestamp())
    assert receipt["collectionMethod"]
    assert receipt["consentReceiptID"] == str(granted.receipt_id)
    assert receipt["piiPrincipalId"] == "Amara"
    (controller,) = receipt["piiControllers"]
    assert controller["piiController"] == settings.SAYSO_ORGANISATION["name"]
    for field in ("contact", "address", "email", "phone"):
        assert field in controller
    assert receipt["policyUrl"] == settings.SAYSO_ORGANISATION["policy_url"]
    assert receipt["sensitive"] is True
    assert isinstance(receipt["spiCat"], list) and receipt["spiCat"]
    (service,) = receipt["services"]
    assert service["service"]
    purposes = service["purposes"]
    assert len(purposes) == 2  # one per place she agreed to: the website and the press
    for purpose in purposes:
        for field in ("purpose", "purposeCategory", "consentType", "piiCategory", "termination"):
            assert purpose[field]
        assert granted.valid_until.isoformat() in purpose["termination"]
    shared_with = {p["thirdPartyName"]: p["thirdPartyDisclosure"] for p in purposes}
    assert shared_with == {"": False, "Press": True}


def test_every_receipt_downloads_with_the_kantara_top_level_fields(
    portal_client, amara, three_decisions
):
    portal_client.force_login(amara.user)
    required = {
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "piiPrincipalId",
        "piiControllers",
        "services",
        "policyUrl",
        "sensitive",
        "spiCat",
    }

    for entry in three_decisions:
        response = portal_client.get(reverse("portal:receipt_json", args=[entry.receipt_id]))
        receipt = json.loads(response.content)
        assert required <= set(receipt), entry.get_decision_display()
        assert receipt["consentReceiptID"] == str(entry.receipt_id)
        assert all("purposes" in service for service in receipt["services"])


# 7. Hostile input: whatever is typed into a portal field is stored clean and never runs.

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<p onclick="alert(1)" onmouseover="alert(1)">hi</p>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<p style="background:url(javascript:alert(1))">hi</p>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">',
    '<object data="javascript:alert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<script>alert(1)",
    "<img src=x onerror=alert(1)//",
    "<iframe src=javascript:alert(1)",
]
# What must never survive into the database, in any case.
DANGEROUS = ("<script", "onerror", "onload", "javascript:", "<iframe", "style=")


def dangerous_parts(value):
    lowered = str(value).lower()
    return [marker for marker in DANGEROUS if marker in lowered]


# The only scripts a portal page loads: static files of ours (the CSP allows nothing else).
OUR_SCRIPTS = {"/static/portal/portal.js", "/static/js/quick-exit.js"}


def executable_markup(html):
    """Markup in a page that could run something: on* handlers, scripts, frames, js: URLs."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag in soup.find_all(True):
        if tag.name == "script" and tag.get("src") not in OUR_SCRIPTS:
            found.append(str(tag))
        if tag.name in ("iframe", "object", "embed", "svg", "math", "style", "base"):
            found.append(str(tag))
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            name = name.lower()
            runs_script = name.startswith("on") or name in ("style", "srcdoc")
            loads_script = name in ("href", "src", "action", "formaction", "data") and re.match(
                r"\s*(javascript|vbscript|data):", value, re.IGNORECASE
            )
            if runs_script or loads_script:
                found.append(str(tag))
    return found


def post_changes_message(portal_client, story, payload, editor, review_workflow):
    # The form is there only while her review is open: the editors open it again each time.
    story = StoryPage.objects.get(pk=story.pk)
    if current_review_step(story) is None:
        story.current_workflow_state.cancel(user=editor)
        review_workflow.start(story, editor)
    return flow.ask_for_changes_in_portal(portal_client, story, payload, follow=False)


def post_edit(field):
    def post(client, story, payload, editor, review_workflow):
        values = {"title": "A title", "summary": "A summary.", "body": "<p>A body.</p>"}
        values[field] = payload
        return client.post(
            reverse("portal:edit", args=[story.pk]),
            {**values, "channels": ["website"], "byline": "pseudonym", "until": "withdrawn"},
        )

    return post


def post_contact_email(portal_client, story, payload, editor, review_workflow):
    return portal_client.post(
        reverse("portal:contact"), {"contact_preference": "email", "email": payload}
    )


def stored_changes_messages(story, amara):
    return list(ConsentEntry.objects.filter(story=story).values_list("message", flat=True))


def stored_edit(story, amara):
    values = []
    for revision in Revision.page_revisions.filter(object_id=str(story.pk)):
        values += [revision.content[name] for name in ("title", "draft_title", "summary", "body")]
    page = StoryPage.objects.get(pk=story.pk)
    return values + [page.title, page.draft_title, page.summary, page.body]


def stored_email(story, amara):
    return [get_user_model().objects.get(pk=amara.user_id).email]


TEXT_FIELDS = {
    "changes message": (post_changes_message, stored_changes_messages),
    "edit title": (post_edit("title"), stored_edit),
    "edit summary": (post_edit("summary"), stored_edit),
    "edit body": (post_edit("body"), stored_edit),
    "contact email": (post_contact_email, stored_email),
}


# Payloads with no words of their own once cleaned (no text, or only a script's or a frame's):
# alone in a field that needs words, they are refused in plain words.
WORDLESS_PAYLOADS = {
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">',
    '<object data="javascript:alert(1)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<script>alert(1)",
    "<img src=x onerror=alert(1)//",
    "<iframe src=javascript:alert(1)",
}
# What each field that needs words says when none are left.
NEEDS_WORDS = {
    "changes message": "Tell the editors in words what you would like changed.",
    "edit title": "Give your story a title in words.",
    "edit summary": "Write a short summary in words.",
}
# Where she goes once her words are kept: the decision's "done" page, or her new receipt.
KEPT_GOES_TO = {
    "changes message": "decided",
    "edit title": "receipt",
    "edit summary": "receipt",
    "edit body": "receipt",
}


def expected_field_outcome(field, payload, value):
    """("refused", the words that say why) or ("kept", None) for this value in this field."""
    if field == "contact email":
        # Never an address: Django's check refuses most; what it lets through, ours refuses.
        try:
            EmailValidator()(value)
        except ValidationError:
            return ("refused", "Enter a valid email address.")
        return ("refused", "Enter an email address without <, > or quotes.")
    if field in NEEDS_WORDS and value == payload and payload in WORDLESS_PAYLOADS:
        return ("refused", NEEDS_WORDS[field])
    return ("kept", None)


def assert_refused_in_words(response, says, case):
    assert response.status_code == 200, f"{case}: {response.status_code}"
    assert says in text_of(response), case
    assert not executable_markup(response.content.decode()), case


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
def test_hostile_input_in_a_portal_field_is_stored_clean_and_never_runs(
    portal_client, amara, editor, review_workflow, in_review, field, payload
):
    post, stored = TEXT_FIELDS[field]
    portal_client.force_login(amara.user)

    for value in (payload, f"My words {payload} go on.", f'"{payload}"@example.com'):
        response = post(portal_client, in_review, value, editor, review_workflow)
        outcome, says = expected_field_outcome(field, payload, value)
        if outcome == "refused":
            assert_refused_in_words(response, says, f"{field}: {value!r}")
        else:
            receipt = ConsentEntry.objects.filter(story=in_review).latest("sequence").receipt_id
            route = KEPT_GOES_TO[field]
            args = [in_review.pk, receipt] if route == "decided" else [receipt]
            assert response.status_code == 302, f"{field}: {value!r}"
            assert response["Location"] == reverse(f"portal:{route}", args=args), value
        for saved in stored(in_review, amara):
            assert not dangerous_parts(saved), f"{field}: {value!r} was stored as {saved!r}"

    pages = [
        reverse("portal:home"),
        reverse("portal:story", args=[in_review.pk]),
        reverse("portal:edit", args=[in_review.pk]),
        reverse("portal:withdraw", args=[in_review.pk]),
        reverse("portal:history"),
        reverse("portal:contact"),
        *[reverse("portal:receipt", args=[e.receipt_id]) for e in ConsentEntry.objects.all()],
    ]
    for url in pages:
        response = portal_client.get(url)
        assert response.status_code == 200, url
        assert not executable_markup(response.content.decode()), url


PSEUDONYM_LIMIT = 80


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_input_in_the_welcome_pseudonym_is_stored_clean_and_never_runs(
    portal_client, editor, payload
):
    newcomer = services.create_storyteller(pseudonym="Newcomer")

    for value in (payload, f"Rose {payload}"):
        invitation, token = services.create_invitation(storyteller=newcomer, created_by=editor)
        response = portal_client.post(
            reverse("portal:welcome", args=[token]),
            {
                "sign_in_name": "newcomer",
                "pseudonym": value,
                "password1": STRONG_PASSWORD,
                "password2": STRONG_PASSWORD,
            },
        )
        if len(value) > PSEUDONYM_LIMIT:
            says = f"Ensure this value has at most 80 characters (it has {len(value)})."
            assert_refused_in_words(response, says, value)
        elif value in WORDLESS_PAYLOADS:
            assert_refused_in_words(response, "Choose a name.", value)
        else:
            assert response.status_code == 302, value
            assert response["Location"] == reverse("portal:home"), value
        saved = Storyteller.objects.get(pk=newcomer.pk).pseudonym
        assert saved and not dangerous_parts(saved), f"{value!r} was stored as {saved!r}"

    # Where the name is shown: to the storyteller herself, and to the editors.
    assert not executable_markup(portal_client.get(reverse("portal:home")).content.decode())
    staff = PortalClient()
    staff.force_login(editor)
    listing = staff.get(reverse("storytellers:index"))
    assert listing.status_code == 200
    assert Storyteller.objects.get(pk=newcomer.pk).pseudonym in text_of(listing)
    assert not [
        tag
        for tag in executable_markup(listing.content.decode())
        if "alert" in tag or "evil" in tag
    ]


def test_a_field_of_pure_markup_is_refused_in_plain_words_and_nothing_is_lost(
    portal_client, amara, in_review
):
    portal_client.force_login(amara.user)
    edit_url = reverse("portal:edit", args=[in_review.pk])
    data = flow.page_form(portal_client.get(edit_url))
    data.update(title=["<img src=x onerror=alert(1)>"], summary=["Still my summary."])
    revisions_before = Revision.page_revisions.filter(object_id=str(in_review.pk)).count()

    response = portal_client.post(edit_url, data)

    assert response.status_code == 200
    assert "Give your story a title in words." in text_of(response)
    assert "Still my summary." in response.content.decode()  # what she wrote is still there
    assert Revision.page_revisions.filter(object_id=str(in_review.pk)).count() == revisions_before
    assert not ConsentEntry.objects.filter(story_id=in_review.pk).exists()


# 8. Notifications: never the story, only "something is ready", and only if they chose so.


@pytest.fixture
def amara_by_email(amara):
    amara.contact_preference = Storyteller.Contact.EMAIL
    amara.save()
    amara.user.email = "amara@example.org"
    amara.user.save()
    return amara


def assert_carries_no_story(message, story):
    for text in (message.subject, message.body):
        lowered = text.lower()
        assert "trafficking" not in lowered
        for words in story_text(story):
            assert not re.search(rf"\b{re.escape(words.lower())}\b", lowered), words


def test_a_storyteller_who_chose_email_is_told_only_that_something_is_ready(
    make_story, amara_by_email, editor, review_workflow, django_capture_on_commit_callbacks
):
    story = make_story(
        amara_by_email,
        slug="ready",
        title="Crossing the northern border",
        summary="How I got away from the orchard.",
        body="<p>They took my passport at the orchard gate in Brindisi.</p>",
    )

    with django_capture_on_commit_callbacks(execute=True):
        review_workflow.start(story, editor)

    (message,) = mail.outbox
    assert message.to == ["amara@example.org"]
    assert message.subject == "Something is ready for you on Sayso"
    assert settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("portal:home") in message.body
    assert_carries_no_story(message, story)


def test_a_storyteller_who_chose_no_contact_gets_no_email(
    make_story, amara, editor, review_workflow, django_capture_on_commit_callbacks
):
    amara.user.email = "amara@example.org"
    amara.user.save()
    assert amara.contact_preference == Storyteller.Contact.NONE
    story = make_story(amara, slug="quiet")

    with django_capture_on_commit_callbacks(execute=True):
        review_workflow.start(story, editor)

    assert mail.outbox == []
    assert "Ready for you to read" in text_of(signed_in(amara).get(reverse("portal:home")))


def approve_in_portal(portal_client, story):
    return flow.approve_in_portal(portal_client, story, follow=False)


def ask_for_changes_in_portal(portal_client, story):
    return flow.ask_for_changes_in_portal(
        portal_client, story, "Please leave out the orchard.", follow=False
    )


def edit_in_portal(portal_client, story):
    url = reverse("portal:edit", args=[story.pk])
    data = flow.page_form(portal_client.get(url))
    data["body_format"] = ["html"]
    data["body"] = ["<p>They took my passport at the orchard gate, in my words.</p>"]
    return portal_client.post(url, data)


def withdraw_in_portal(portal_client, story):
    return flow.withdraw_in_portal(portal_client, story)


@pytest.mark.parametrize(
    ("decide", "kind", "says"),
    [
        (approve_in_portal, Notification.Kind.APPROVED, "Amara approved a story."),
        (
            ask_for_changes_in_portal,
            Notification.Kind.CHANGES_REQUESTED,
            "Amara asked for changes to a story.",
        ),
        (edit_in_portal, Notification.Kind.EDITED, "Amara edited their story."),
        (withdraw_in_portal, Notification.Kind.WITHDRAWN, "Amara withdrew a story."),
    ],
    ids=["approves", "asks-for-changes", "edits", "withdraws"],
)
def test_editors_are_told_what_the_storyteller_decided_but_not_the_story(
    portal_client, amara, editor, in_review, decide, kind, says, django_capture_on_commit_callbacks
):
    editor.email = "editor@example.org"
    editor.save()
    mail.outbox.clear()
    portal_client.force_login(amara.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(portal_client, in_review)

    assert response.status_code == 302
    note = Notification.objects.get(recipient=editor, kind=kind)
    assert note.story_id == in_review.pk and note.read_at is None
    # (Wagtail's own moderation emails to editors are separate, and do name the page.)
    (message,) = [m for m in mail.outbox if m.subject == "Sayso: a storyteller responded"]
    assert message.to == ["editor@example.org"]
    assert says in message.body
    assert reverse("wagtailadmin_pages:edit", args=[in_review.pk]) in message.body
    assert_carries_no_story(message, in_review)
    assert not [m for m in mail.outbox if "editor@example.org" not in m.to]


@pytest.mark.parametrize("editors_decide", ["approve", "reject"])
def test_a_storyteller_gets_no_admin_email_about_her_story_after_editing_it_herself(
    portal_client,
    amara_by_email,
    editor,
    in_review,
    editors_decide,
    django_capture_on_commit_callbacks,
):
    portal_client.force_login(amara_by_email.user)
    with django_capture_on_commit_callbacks(execute=True):
        edit_in_portal(portal_client, in_review)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        state = current_review_step(in_review).specific
        getattr(state, editors_decide)(user=editor, comment="Thanks, Amara.")

    assert [m.subject for m in mail.outbox if "amara@example.org" in m.to] == []
    published = StoryPage.objects.get(pk=in_review.pk).live
    assert published == (editors_decide == "approve")

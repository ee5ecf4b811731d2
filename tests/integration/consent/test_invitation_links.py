"""Editors make a new invitation link whenever a storyteller needs one, and see her account.

Issue 13, item 8: the link was shown once, right after creating the storyteller, and never
reachable again; now the storyteller's admin page and the story's consent panel both offer
"New invitation link" and say where her account stands.
"""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consent.models import Invitation

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lanterns over the quiet river"


def _soup(response):
    return BeautifulSoup(response.content, "html.parser")


def _link_on(response):
    field = _soup(response).select_one("[data-invitation-link]")
    return field["value"] if field else None


def _status_lines(response):
    box = _soup(response).select_one("[data-account-status]")
    return box["data-account-status"], [li.get_text(" ", strip=True) for li in box.select("li")]


def _make_link(client, storyteller, **query):
    url = reverse("consent_invite", args=[storyteller.pk])
    response = client.post(url, query=query) if query else client.post(url)
    assert response.status_code == 200
    return response


def _welcome_path(link):
    return urlsplit(link).path


@pytest.fixture
def invited(db):
    """Nadia: created by an editor, not yet invited (the way the admin creates storytellers)."""
    from consent import services

    return services.create_storyteller(pseudonym="Nadia")


def test_a_new_link_ends_the_old_one_and_the_new_one_works(client, editor, invited):
    client.force_login(editor)
    first = _link_on(_make_link(client, invited))
    assert Client().get(_welcome_path(first)).status_code == 200

    edit_page = client.get(reverse("storytellers:edit", args=[invited.pk]))
    button = _soup(edit_page).select_one("[data-new-invitation-link]")
    assert button.get_text(strip=True) == "New invitation link"
    assert button["href"] == reverse("consent_invite", args=[invited.pk])
    second = _link_on(_make_link(client, invited))

    assert second != first
    old = Client().get(_welcome_path(first))
    assert old.status_code == 410
    assert "This link no longer works" in old.content.decode()
    assert (
        Client()
        .post(
            _welcome_path(first),
            {
                "pseudonym": "Nadia",
                "sign_in_name": "nadia-m",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        .status_code
        == 410
    )
    visitor = Client()
    assert visitor.get(_welcome_path(second)).status_code == 200
    arrived = visitor.post(
        _welcome_path(second),
        {
            "pseudonym": "Nadia",
            "sign_in_name": "nadia-m",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert arrived.status_code == 302
    invited.user.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD)
    assert Invitation.objects.filter(storyteller=invited, used_at__isnull=False).count() == 1


def test_the_link_comes_with_a_copy_button_that_needs_no_inline_script(client, editor, invited):
    client.force_login(editor)

    page = _soup(_make_link(client, invited))

    box = page.select_one("[data-invitation-link]")
    assert box.name == "input" and box.has_attr("readonly")
    # Without JavaScript the text box is there to select; the button appears only with it.
    label = page.select_one(f"label[for={box['id']}]").get_text(strip=True)
    assert label == "Invitation link (select it and copy it)"
    button = page.select_one("[data-copy-invitation-link]")
    assert button.get_text(strip=True) == "Copy the link"
    assert "w-hidden" in button["class"] and button["data-w-init-remove-class"] == "w-hidden"
    assert button["data-action"] == "w-clipboard#copy"
    assert box["data-w-clipboard-target"] == "value"
    content = page.select_one("#main") or page
    assert not [script for script in content.select("script") if script.string]


def test_the_account_status_says_each_step_in_plain_words(client, editor, invited):
    client.force_login(editor)
    edit_url = reverse("storytellers:edit", args=[invited.pk])

    assert _status_lines(client.get(edit_url)) == (
        "not_invited",
        ["Not invited yet.", "Has not signed in yet."],
    )

    _make_link(client, invited)
    invitation = Invitation.objects.get(storyteller=invited)
    ends = timezone.localtime(invitation.expires_at).strftime("%-d %B %Y, %H:%M")
    assert _status_lines(client.get(edit_url)) == (
        "invited",
        [f"Invited — the link ends on {ends}.", "Has not signed in yet."],
    )

    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    ended = timezone.localtime(timezone.now() - timedelta(hours=1))
    code, lines = _status_lines(client.get(edit_url))
    assert code == "link_ended"
    assert lines[0].startswith(f"The invitation link ended on {ended:%-d %B %Y}")
    assert lines[1:] == ["Has not signed in yet."]

    link = _link_on(_make_link(client, invited))
    Client().post(
        _welcome_path(link),
        {
            "pseudonym": "Nadia",
            "sign_in_name": "nadia-m",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    invited.user.refresh_from_db()
    signed_in = timezone.localtime(invited.user.last_login).strftime("%-d %B %Y, %H:%M")
    code, lines = _status_lines(client.get(edit_url))
    assert code == "active"
    assert lines[0] == f"Signed in last on {signed_in}."
    # The welcome page made her choose one, and the editors see it.
    assert invited.user.username == "nadia-m"
    assert lines[1] == "Has a sign-in name: nadia-m"


def test_a_storyteller_with_her_own_sign_in_name_is_shown_it(client, editor, amara):
    client.force_login(editor)
    amara.user.last_login = timezone.now() - timedelta(days=2)
    amara.user.save()
    when = timezone.localtime(amara.user.last_login).strftime("%-d %B %Y, %H:%M")

    response = client.get(reverse("storytellers:edit", args=[amara.pk]))

    assert _status_lines(response) == (
        "active",
        [f"Signed in last on {when}.", "Has a sign-in name: amara"],
    )


def test_the_storys_consent_panel_shows_her_account_and_a_new_link(
    client, editor, make_story, amara
):
    story = make_story(amara)
    client.force_login(editor)
    edit_url = reverse("wagtailadmin_pages:edit", args=[story.pk])

    page = _soup(client.get(edit_url))

    panel = page.select_one("[data-account-status]")
    assert panel.select_one("strong").get_text(strip=True) == "Amara's account"
    button = panel.select_one("[data-new-invitation-link]")
    assert button.name == "a"  # the panel sits inside the page editor's form: no nested form
    assert button["href"] == (reverse("consent_invite", args=[amara.pk]) + "?next=" + edit_url)

    made = client.post(button["href"])
    assert _link_on(made) is not None
    back = _soup(made).select_one("[data-back]")
    assert back["href"] == edit_url
    assert back.get_text(strip=True) == "Back to the story"


def test_a_next_address_off_the_site_is_ignored(client, editor, amara):
    client.force_login(editor)

    made = _make_link(client, amara, next="https://evil.example/phish")

    back = _soup(made).select_one("[data-back]")
    assert back["href"] == reverse("storytellers:edit", args=[amara.pk])
    assert "evil.example" not in made.content.decode()


def test_an_editor_without_the_storyteller_permission_cannot_make_links(
    client, page_editor, make_story, amara
):
    story = make_story(amara)
    before = Invitation.objects.count()
    client.force_login(page_editor)

    # A real editor: the admin and the story open for them.
    editing = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))
    assert editing.status_code == 200
    assert _soup(editing).select_one("[data-new-invitation-link]") is None

    url = reverse("consent_invite", args=[amara.pk])
    refused = client.get(url)
    assert refused.status_code == 403
    assert _soup(refused).select_one("[data-not-allowed]").get_text(strip=True) == (
        "Only editors who manage storytellers can make invitation links."
    )
    assert client.post(url).status_code == 403
    assert Invitation.objects.count() == before

"""Error pages in plain words, styled, with the quick exit: the portal's own under /my/,
the public site's elsewhere; the quick exit on public pages too, without a cookie or an
inline script; and every portal page titled just "Sayso"."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client
from django.urls import reverse

from consent import selectors

from tests.conftest import PASSWORD
from tests.portal_flow import PortalClient, text_of

pytestmark = pytest.mark.django_db

STATUS_WORDS = ("403", "404", "500", "Forbidden", "Not Found", "Server Error")


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def assert_portal_error_page(response, status, heading):
    assert response.status_code == status
    soup = soup_of(response)
    assert soup.h1.get_text(strip=True) == heading
    text = text_of(response)
    for words in STATUS_WORDS:
        assert words not in text, words
    # Styled like the rest of her space, with the quick exit that signs her out.
    assert soup.select_one("body.portal")
    assert soup.find("link", rel="stylesheet", href="/static/css/site.css")
    exit_link = soup.select_one("#quick-exit")
    assert exit_link["href"] == reverse("portal:exit")
    assert exit_link["data-exit-url"] == settings.SAYSO_QUICK_EXIT_URL
    assert soup.find("script", src="/static/js/quick-exit.js")
    assert soup.title.get_text() == "Sayso"
    assert soup.find("a", href=reverse("portal:home"))
    assert "no-store" in response["Cache-Control"]


# Through the real doors


def test_another_storytellers_story_is_not_found_on_a_styled_page(published_story, lucia):
    client = PortalClient()
    client.force_login(lucia.user)

    for url in (
        reverse("portal:story", args=[published_story.pk]),
        reverse("portal:withdraw", args=[published_story.pk]),
        "/my/no-such-page/",
    ):
        response = client.get(url)
        assert_portal_error_page(response, 404, "We can't find that page")
        assert published_story.title not in response.content.decode()


def test_an_account_that_is_not_a_storytellers_is_refused_on_a_styled_page(editor):
    client = PortalClient()
    client.force_login(editor)

    response = client.get(reverse("portal:home"))

    assert_portal_error_page(response, 403, "You can't open this page")
    assert "This page isn't part of your space. Nothing has changed" in text_of(response)


def test_a_form_sent_from_a_stale_page_gets_a_plain_page_not_forbidden(amara):
    client = PortalClient(enforce_csrf_checks=True)

    response = client.post(reverse("portal:login"), {"username": "amara", "password": PASSWORD})

    assert_portal_error_page(response, 403, "Please try that again")
    assert "Go back, reload the page, and send it again." in text_of(response)
    assert "_auth_user_id" not in client.session


@pytest.fixture
def failing_story_status(monkeypatch):
    def broken(story):
        raise RuntimeError("a fault deep down")

    monkeypatch.setattr(selectors, "story_status", broken)


def test_a_server_error_in_the_portal_is_a_calm_styled_page(
    published_story, amara, failing_story_status
):
    client = PortalClient(raise_request_exception=False)
    client.force_login(amara.user)

    response = client.get(reverse("portal:home"))

    assert_portal_error_page(response, 500, "Something went wrong on our side")
    assert "a fault deep down" not in response.content.decode()


def test_a_server_error_on_the_public_site_is_the_public_page(published_story, monkeypatch):
    from stories import views

    def broken(*args, **kwargs):
        raise RuntimeError("a fault deep down")

    monkeypatch.setattr(views, "publicly_consented", broken)
    response = Client(raise_request_exception=False).get("/search/?q=words")

    assert response.status_code == 500
    soup = soup_of(response)
    assert soup.h1.get_text(strip=True) == "Something went wrong"
    assert soup.select_one("#quick-exit")["href"] == settings.SAYSO_QUICK_EXIT_URL
    assert not response.cookies


@pytest.mark.parametrize("url", ["/stories/no-such-story/", "/no-such-page/"])
def test_a_public_page_not_found_has_the_quick_exit_and_no_cookie(url, published_story):
    response = Client().get(url)

    assert response.status_code == 404
    assert soup_of(response).h1.get_text(strip=True) == "Page not found"
    assert soup_of(response).select_one("#quick-exit")["href"] == settings.SAYSO_QUICK_EXIT_URL
    assert not response.cookies


# The quick exit for readers


@pytest.fixture
def campaign(campaign_index, published_story):
    from stories.models import CampaignPage, CampaignStory

    campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Intro</p>")
    campaign.campaign_stories = [CampaignStory(story=published_story, sort_order=0)]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    return campaign


@pytest.mark.parametrize("cached", [False, True], ids=["rendered", "from the page cache"])
def test_story_and_campaign_pages_have_a_quick_exit_without_cookie_or_inline_script(
    cached, published_story, campaign
):
    client = Client()
    for url in (published_story.url, campaign.url, "/", "/stories/", "/campaigns/"):
        if cached:
            client.get(url)
        response = client.get(url)

        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Set-Cookie" not in response.headers, url
        soup = soup_of(response)
        exit_link = soup.select_one("#quick-exit")
        assert exit_link.name == "a", url
        # Without JavaScript it is a plain link to the neutral site.
        assert exit_link["href"] == settings.SAYSO_QUICK_EXIT_URL, url
        assert exit_link.get_text(strip=True) == "Leave this site"
        assert "Shift three times" in soup.select_one("#quick-exit-hint").get_text()
        scripts = soup.find_all("script")
        assert scripts and all(script.get("src") for script in scripts), url
        assert not any(script.get_text().strip() for script in scripts), url
        assert not [
            tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)
        ]
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "script-src 'self'" in response["Content-Security-Policy"]


# Neutral titles: browser history keeps a page's title


def test_every_portal_page_is_titled_just_sayso(amara, published_story, editor):
    from consent import services

    client = PortalClient()
    client.force_login(amara.user)
    entry = services.withdraw_story(story=published_story, user=amara.user)
    _invitation, token = services.create_invitation(storyteller=amara, created_by=editor)
    edit_withdrawn = reverse("portal:edit", args=[published_story.pk])
    signed_in_urls = [
        reverse("portal:home"),
        reverse("portal:story", args=[published_story.pk]),
        edit_withdrawn,
        reverse("portal:withdraw", args=[published_story.pk]),
        reverse("portal:erase", args=[published_story.pk]),
        reverse("portal:history"),
        reverse("portal:receipt", args=[entry.receipt_id]),
        reverse("portal:contact"),
        reverse("portal:private_words"),
        reverse("portal:payments"),
    ]
    signed_out_urls = [
        reverse("portal:login"),
        reverse("portal:welcome", args=[token]),
        reverse("portal:welcome", args=["no-such-link"]),
        reverse("portal:password_reset"),
        reverse("portal:password_reset_done"),
        reverse("portal:password_reset_confirm", args=["MQ", "no-such-token"]),
    ]

    for client_for, urls in ((client, signed_in_urls), (PortalClient(), signed_out_urls)):
        for url in urls:
            response = client_for.get(url, follow=True)
            if url == edit_withdrawn:
                # Her withdrawn story can't be edited (saving would bring it back): refused,
                # calmly, and titled like every other page.
                assert response.status_code == 403, url
            else:
                assert response.status_code in (200, 410), url
            titles = soup_of(response).find_all("title")
            assert [title.get_text() for title in titles] == ["Sayso"], url
    assert published_story.title not in str(
        soup_of(client.get(reverse("portal:story", args=[published_story.pk]))).head
    )

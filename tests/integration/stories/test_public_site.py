"""The public site: private for readers, cached whole, and never a moment behind consent."""

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import Page

from consent import services
from consent.selectors import today
from stories.cache import purge_all
from stories.models import ContentWarning, StoryPage, Topic

from tests.conftest import approve, publish_as_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(make_campaign, published_story):
    return make_campaign(published_story)


def publish_consented(make_story, storyteller, slug, **fields):
    """make_published_story for callers outside a fixture (consent's tests import it)."""
    return publish_as_written(make_story(storyteller, slug=slug, **fields), storyteller)


def public_urls(story, campaign):
    return [
        "/",
        "/stories/",
        f"/stories/{story.slug}/",
        "/campaigns/",
        f"/campaigns/{campaign.slug}/",
        "/search/?q=words",
        "/feed/",
        "/sitemap.xml",
    ]


# Caching


def test_a_cached_story_answers_410_on_the_very_next_request_after_withdrawal(
    client, published_story, amara
):
    first = client.get("/stories/published/")
    second = client.get("/stories/published/")
    assert (first["X-Sayso-Cache"], second["X-Sayso-Cache"]) == ("miss", "hit")

    services.withdraw_story(story=published_story, user=amara.user)

    assert client.get("/stories/published/").status_code == 410


LISTINGS = ["/", "/stories/", "/campaigns/fair-work/", "/feed/", "/sitemap.xml", "/search/?q=words"]


def lists_the_published_story(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return "/stories/published/" in response.content.decode()


def test_every_listing_drops_a_withdrawn_story_at_once(client, published_story, campaign, amara):
    for url in public_urls(published_story, campaign):
        client.get(url)  # fill the cache
    # The control: every listing, served again, does list her story before she withdraws it.
    assert [url for url in LISTINGS if not lists_the_published_story(client, url)] == []

    services.withdraw_story(story=published_story, user=amara.user)

    assert [url for url in LISTINGS if lists_the_published_story(client, url)] == []


def test_expiry_is_visible_on_the_next_request(client, make_story, amara, campaign_index):
    story = make_story(amara, slug="ending")
    approve(story, amara, valid_until=today())
    story.get_latest_revision().publish()
    assert client.get("/stories/ending/").status_code == 200
    assert "/stories/ending/" in client.get("/stories/").content.decode()

    from datetime import timedelta

    services.expire_due_grants(on_day=today() + timedelta(days=1))

    assert client.get("/stories/ending/").status_code == 410
    assert "/stories/ending/" not in client.get("/stories/").content.decode()


def test_an_editor_unpublishing_is_visible_on_the_next_request(client, published_story, editor):
    assert client.get("/stories/published/").status_code == 200
    assert lists_the_published_story(client, "/stories/")

    published_story.unpublish(user=editor)

    assert client.get("/stories/published/").status_code == 404
    assert not lists_the_published_story(client, "/stories/")


def test_removing_a_story_from_a_campaign_is_visible_on_the_next_request(
    client, campaign, published_story
):
    assert lists_the_published_story(client, "/campaigns/fair-work/")

    draft = campaign.get_latest_revision_as_object()
    draft.campaign_stories = []
    draft.save_revision().publish()

    assert not lists_the_published_story(client, "/campaigns/fair-work/")


def test_a_campaign_edit_is_visible_on_the_next_request(client, campaign):
    client.get("/campaigns/fair-work/")
    draft = campaign.get_latest_revision_as_object()
    draft.title = "Fair pay"
    draft.save_revision().publish()

    assert "Fair pay" in client.get("/campaigns/fair-work/").content.decode()


def cache_control(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


def test_browsers_must_revalidate_every_public_page_and_only_the_edge_may_keep_it(
    client, published_story, campaign
):
    for url in public_urls(published_story, campaign):
        for expected in ("miss", "hit"):
            response = client.get(url)
            assert (response.status_code, response["X-Sayso-Cache"]) == (200, expected), url
            assert cache_control(response) == {
                "public",
                "max-age=0",
                "must-revalidate",
                "s-maxage=300",
            }, url


def test_the_edge_keeps_a_page_no_later_than_midnight_utc(client, published_story, monkeypatch):
    from datetime import datetime, time
    from types import SimpleNamespace

    from django.utils import timezone

    import stories.cache

    one_minute_to_midnight = datetime.combine(
        timezone.now().date(), time(23, 59), tzinfo=timezone.now().tzinfo
    )
    monkeypatch.setattr(
        stories.cache, "timezone", SimpleNamespace(now=lambda: one_minute_to_midnight)
    )

    for expected in ("miss", "hit"):
        response = client.get("/stories/published/")
        assert response["X-Sayso-Cache"] == expected
        assert "s-maxage=60" in cache_control(response)


def test_every_public_page_has_an_etag_and_answers_304_when_the_reader_has_it(
    client, published_story, campaign
):
    for url in public_urls(published_story, campaign):
        first = client.get(url)
        etag = first["ETag"]
        assert etag.startswith('"') and len(etag) == 34, url
        assert client.get(url)["ETag"] == etag, url  # the cached copy: the same validator

        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304, url
        assert again.content == b"", url
        assert again["ETag"] == etag, url
        assert "must-revalidate" in cache_control(again), url
        assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200, url


def test_a_page_that_changed_answers_200_with_a_new_etag(client, campaign):
    old = client.get("/campaigns/fair-work/")["ETag"]
    draft = campaign.get_latest_revision_as_object()
    draft.title = "Fair pay"
    draft.save_revision().publish()

    response = client.get("/campaigns/fair-work/", HTTP_IF_NONE_MATCH=old)

    assert response.status_code == 200
    assert response["ETag"] != old
    assert "Fair pay" in response.content.decode()


def test_a_withdrawn_story_answers_410_to_a_reader_holding_its_etag_and_nobody_keeps_it(
    client, published_story, amara
):
    etag = client.get("/stories/published/")["ETag"]
    client.get("/stories/published/")  # cached

    services.withdraw_story(story=published_story, user=amara.user)
    response = client.get("/stories/published/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 410
    assert "ETag" not in response
    assert response["Cache-Control"] == "no-store"


def test_pages_nobody_may_keep_carry_no_s_maxage(client, make_story, amara):
    make_story(amara, slug="draft")  # never published: 404

    for url in ("/stories/draft/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert cache_control(response) == {"no-cache", "max-age=0", "must-revalidate"}, url
        assert "ETag" not in response, url


def test_signed_in_people_get_private_pages_never_a_shared_copy(client, published_story, editor):
    client.force_login(editor)

    for url in ("/", "/stories/published/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in cache_control(response), url
        assert "public" not in cache_control(response), url
        assert not any(part.startswith("s-maxage") for part in cache_control(response)), url


def test_signed_in_people_are_never_served_a_cached_page(client, published_story, editor):
    client.get("/stories/published/")
    assert client.get("/stories/published/")["X-Sayso-Cache"] == "hit"  # a reader's would be
    client.force_login(editor)

    response = client.get("/stories/published/")

    assert response.status_code == 200
    assert "X-Sayso-Cache" not in response


# Reader privacy


def test_no_public_page_sets_a_cookie(client, published_story, campaign, amara):
    expected = dict.fromkeys(public_urls(published_story, campaign), 200)
    expected["/no-such-page/"] = 404
    for url, status in expected.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert not response.cookies, (url, response.cookies)
    services.withdraw_story(story=published_story, user=amara.user)
    gone = client.get("/stories/published/")
    assert gone.status_code == 410 and not gone.cookies


def test_public_pages_send_the_privacy_headers(client, published_story, campaign):
    for url in public_urls(published_story, campaign):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp, url
        assert "unsafe-inline" not in csp, url
        assert "frame-ancestors 'none'" in csp, url
        assert response["Referrer-Policy"] == "no-referrer", url
        policy = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in policy, url
        assert response["X-Content-Type-Options"] == "nosniff", url


def test_public_pages_load_nothing_from_other_sites(client, published_story, campaign, photo):
    for url in public_urls(published_story, campaign)[:5]:
        body = client.get(url).content.decode()
        # The one link elsewhere is the quick exit's, a plain link that loads nothing here.
        if "<html" in body:
            assert body.count(f'href="{settings.SAYSO_QUICK_EXIT_URL}"') == 1, url
        body = body.replace(f'href="{settings.SAYSO_QUICK_EXIT_URL}"', "")
        for marker in ('src="http', "src='http", 'href="http', 'src="//', "@import"):
            assert marker not in body.replace('href="http://testserver', ""), (url, marker)


def test_a_story_never_shows_its_storytellers_private_details(client, make_published_story, amara):
    amara.user.first_name, amara.user.last_name = "Legalfirst", "Legallast"
    amara.user.email = "amara.private@example.org"
    amara.user.save()
    make_published_story(amara, slug="private", byline_kind="anonymous", byline_name="")

    body = client.get("/stories/private/").content.decode()

    assert "Anonymous" in body
    for secret in ("Amara", "Legalfirst", "Legallast", "amara.private", amara.user.username):
        assert secret not in body


# Content warnings, byline, open graph


def test_content_warnings_come_before_the_story_and_the_reader_chooses_to_continue(
    client, make_story, amara
):
    warning = ContentWarning.objects.create(name="Violence")
    story = make_story(amara, slug="warned", body="<p>The hard part of the story.</p>")
    story.content_warnings = [warning]
    revision = story.save_revision()
    approve(story, amara, revision=revision)
    revision.publish()

    body = client.get("/stories/warned/").content.decode()

    assert body.index("Violence") < body.index("The hard part")
    assert "<details" in body and "Show the story" in body


def test_open_graph_tags_carry_nothing_beyond_title_summary_and_photo(client, published_story):
    body = client.get("/stories/published/").content.decode()

    assert '<meta property="og:title" content="A story">' in body
    assert 'og:description" content="A short summary.' in body
    assert "Amara" in body  # the chosen byline is shown in the page...
    head = body.split("</head>")[0]
    assert "Amara" not in head  # ...but not repeated into the metadata


# Feeds, sitemap, search


def test_feed_and_sitemap_list_only_stories_with_consent_right_now(
    client, make_story, amara, published_story
):
    draft = make_story(amara, slug="draft-only")
    lapsing = make_story(amara, slug="lapsing")
    approve(lapsing, amara, valid_until=today())
    lapsing.get_latest_revision().publish()
    # The grant lapses at midnight; the sweep has not run yet.
    from datetime import timedelta
    from unittest import mock

    tomorrow = today() + timedelta(days=1)
    with mock.patch("consent.selectors.today", return_value=tomorrow):
        purge_all()
        feed = client.get("/feed/").content.decode()
        sitemap = client.get("/sitemap.xml").content.decode()
        search = client.get("/search/?q=words").content.decode()

    assert "/stories/published/" in feed and "/stories/published/" in sitemap
    for text in (feed, sitemap, search):
        assert "/stories/lapsing/" not in text
        assert f"/stories/{draft.slug}/" not in text


def test_search_finds_live_stories_and_campaigns_only(
    client, make_story, make_published_story, amara, campaign
):
    make_story(amara, slug="unpublished-draft", title="Harbour draft")
    make_published_story(amara, slug="harbour", title="Harbour story")

    body = client.get(reverse("search"), {"q": "Harbour"}).content.decode()

    assert "/stories/harbour/" in body
    assert "Harbour draft" not in body


def test_story_index_filters_by_topic_and_country_and_paginates(client, make_story, amara):
    labour = Topic.objects.create(name="Labour", slug="labour")
    for n in range(14):
        story = make_story(amara, slug=f"s{n}", region="NG" if n % 2 else "PH")
        if n < 3:
            story.topics = [labour]
            story.save_revision()
        approve(story, amara)
        story.get_latest_revision().publish()

    assert client.get("/stories/?topic=labour").content.decode().count("story-card") == 3
    assert client.get("/stories/?region=NG").content.decode().count("story-card") == 7
    first = client.get("/stories/").content.decode()
    assert first.count("story-card") == 12 and "Page 1 of 2" in first
    assert client.get("/stories/?page=2").content.decode().count("story-card") == 2


# 404 and 410


def test_drafts_and_never_published_pages_are_404(client, make_story, amara):
    make_story(amara, slug="a-draft")

    assert client.get("/stories/a-draft/").status_code == 404
    assert client.get("/stories/never-existed/").status_code == 404


def test_withdrawn_and_ended_stories_are_410_with_a_neutral_page(client, published_story, amara):
    services.withdraw_story(story=published_story, user=amara.user)

    response = client.get("/stories/published/")

    assert response.status_code == 410
    body = response.content.decode()
    assert "no longer available" in body
    assert "Amara" not in body and "A story" not in body


# Query counts that hold as the site grows


def _count(client, url, django_assert_max_num_queries, bound):
    purge_all()
    with django_assert_max_num_queries(bound):
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Sayso-Cache"] == "miss"


@pytest.mark.parametrize("stories_in_campaign", [5, 50])
def test_uncached_pages_need_the_same_bounded_queries_however_many_stories(
    client,
    make_published_story,
    make_campaign,
    amara,
    photo,
    stories_in_campaign,
    django_assert_max_num_queries,
):
    stories = [
        make_published_story(amara, slug=f"s{n}", image=photo, image_alt="A field")
        if n == 0
        else make_published_story(amara, slug=f"s{n}")
        for n in range(stories_in_campaign)
    ]
    make_campaign(*stories, title="Many", slug="many")
    for url in ("/stories/s0/", "/campaigns/many/", "/", "/stories/"):
        client.get(url)  # warm Wagtail's own caches (site root paths, renditions)

    _count(client, "/stories/s0/", django_assert_max_num_queries, 10)
    # 16: the advisory rule reads the campaign's row and saved versions, and the rendered
    # page is checked against every storyteller's private words (one query for them all).
    _count(client, "/campaigns/many/", django_assert_max_num_queries, 16)
    _count(client, "/", django_assert_max_num_queries, 10)
    _count(client, "/stories/", django_assert_max_num_queries, 13)
    assert Page.objects.type(StoryPage).live().count() == stories_in_campaign

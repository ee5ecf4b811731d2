"""The editors' side of the review loop in the Wagtail admin (issue 13, item 9).

Each test goes through the admin's own views with the Django test client and reads the page
the way an editor reads it.
"""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from consent import services
from consent.selectors import today

from .conftest import approve

pytestmark = pytest.mark.django_db


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def words(node):
    return " ".join(node.get_text(" ").split())


@pytest.fixture
def stories_in_every_state(make_story, amara, lucia, review_workflow, editor):
    """One story in each consent status an editor can find, keyed by title."""

    def story(title, slug, storyteller=amara):
        return make_story(storyteller, slug=slug, title=title)

    story("The first draft", "draft")
    waiting = story("The night train", "waiting", lucia)
    review_workflow.start(waiting, editor)

    changes = story("The letter home", "changes")
    review_workflow.start(changes, editor)
    services.request_changes(
        story=changes,
        revision=changes.get_latest_revision(),
        user=amara.user,
        message="Please leave out the name of the town.",
    )
    approved = story("The orchard", "approved", lucia)
    approve(approved, lucia)

    published = story("The garden", "published")
    approve(published, amara)
    published.get_latest_revision().publish()

    withdrawn = story("The bakery", "withdrawn")
    approve(withdrawn, amara)
    withdrawn.get_latest_revision().publish()
    services.withdraw_story(story=withdrawn, user=amara.user)

    ended = story("The harbour", "ended", lucia)
    approve(ended, lucia, valid_until=today())
    ended.get_latest_revision().publish()
    services.expire_due_grants(on_day=today() + timedelta(days=1))

    return {
        "The first draft": ("Amara", "Not sent to the storyteller yet"),
        "The night train": ("Lucía", "Waiting for the storyteller"),
        "The letter home": ("Amara", "Changes asked"),
        "The orchard": ("Lucía", "Approved — not published"),
        "The garden": ("Amara", "Published"),
        "The bakery": ("Amara", "Withdrawn"),
        "The harbour": ("Lucía", "Consent ended"),
    }


def listing_rows(response):
    """{title: (storyteller, consent status)} as the Stories listing shows them."""
    table = soup_of(response).select_one("table.listing")
    headings = [words(th) for th in table.select("thead th")]
    storyteller_at = headings.index("Storyteller")
    consent_at = headings.index("Consent")
    rows = {}
    for row in table.select("tbody tr"):
        cells = row.find_all("td", recursive=False)
        title = words(row.select_one(".title-wrapper a") or cells[1])
        rows[title] = (words(cells[storyteller_at]), words(cells[consent_at]))
    return rows


def test_the_stories_listing_shows_each_storys_consent_and_storyteller(
    client, editor, stories_in_every_state
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"))

    assert response.status_code == 200
    assert listing_rows(response) == stories_in_every_state


@pytest.mark.parametrize(
    "status, titles",
    [
        ("draft", {"The first draft"}),
        ("waiting", {"The night train"}),
        ("changes", {"The letter home"}),
        ("approved", {"The orchard"}),
        ("published", {"The garden"}),
        ("withdrawn", {"The bakery"}),
        ("ended", {"The harbour"}),
    ],
)
def test_the_stories_listing_filters_on_consent(
    client, editor, stories_in_every_state, status, titles
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"), {"consent_status": status})

    assert set(listing_rows(response)) == titles


def test_the_stories_listing_filters_on_the_storyteller(
    client, editor, lucia, stories_in_every_state
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"), {"storyteller": lucia.pk})

    assert set(listing_rows(response)) == {"The night train", "The orchard", "The harbour"}
    both = client.get(
        reverse("stories_listing:index"), {"storyteller": lucia.pk, "consent_status": "ended"}
    )
    assert listing_rows(both) == {"The harbour": ("Lucía", "Consent ended")}


# A campaign whose story was withdrawn.


@pytest.fixture
def campaign_with_a_withdrawn_story(campaign_index, make_story, amara, lucia):
    from stories.models import CampaignPage, CampaignStory, StoryPage

    stories = []
    for storyteller, slug, title in ((amara, "bakery", "The bakery"), (lucia, "mill", "The mill")):
        story = make_story(storyteller, slug=slug, title=title)
        approve(story, storyteller)
        story.get_latest_revision().publish()
        stories.append(StoryPage.objects.get(pk=story.pk))
    campaign = campaign_index.add_child(instance=CampaignPage(title="Spring", slug="spring"))
    for order, story in enumerate(stories):
        CampaignStory.objects.create(campaign=campaign, story=story, sort_order=order)
    campaign.save_revision().publish()
    services.withdraw_story(story=stories[0], user=amara.user)
    return CampaignPage.objects.get(pk=campaign.pk), stories


def _story_rows(response):
    soup = soup_of(response)
    rows = []
    for select in soup.select("select[name^='campaign_stories-'][name$='-story']"):
        if "__prefix__" in select["name"]:
            continue
        chosen = select.select_one("option[selected]")
        rows.append(words(chosen) if chosen else "")
    return rows


def test_a_campaign_row_for_a_withdrawn_story_is_named_and_the_campaign_still_saves(
    client, editor, campaign_with_a_withdrawn_story
):
    from wagtail.test.utils.form_data import querydict_from_html

    from stories.models import CampaignPage

    campaign, (bakery, mill) = campaign_with_a_withdrawn_story
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[campaign.pk])

    page = client.get(url)

    assert _story_rows(page) == [
        "The bakery — Withdrawn by its storyteller — remove this row",
        "The mill",
    ]
    assert "Withdrawn by its storyteller — remove this row" in words(soup_of(page))
    data = querydict_from_html(page.content.decode(), form_id="page-edit-form")
    saved = client.post(url, data)
    assert saved.status_code == 302
    assert saved["Location"] == url

    # Removable: the editor removes the row and saves again.
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["campaign_stories-0-DELETE"] = "1"
    removed = client.post(url, data)
    assert removed.status_code == 302
    assert [
        item.story_id
        for item in CampaignPage.objects.get(pk=campaign.pk)
        .get_latest_revision_as_object()
        .campaign_stories.all()
    ] == [mill.pk]


def test_a_withdrawn_story_cannot_be_chosen_for_another_row(
    client, editor, campaign_with_a_withdrawn_story
):
    from wagtail.test.utils.form_data import querydict_from_html

    campaign, (bakery, mill) = campaign_with_a_withdrawn_story
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[campaign.pk])
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["campaign_stories-1-story"] = str(bakery.pk)

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "has not agreed to it appearing here, or no longer does" in words(soup_of(refused))

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

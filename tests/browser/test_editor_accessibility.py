"""The editors' Stories listing and Impact page pass axe-core in a real browser at desktop width.

Issue 13, item 9: both pages are Wagtail admin pages of ours; Wagtail's own chrome around
them is checked with them (the whole page), so a problem anywhere on the page fails.
"""

import re

import pytest
from playwright.sync_api import expect

from consent import services

from ..conftest import approve, make_storyteller
from .conftest import BROWSER_TEST, assert_axe_clean
from .test_portal_journeys import sign_in_to_admin

pytestmark = BROWSER_TEST

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def newsroom(make_story, amara, lucia, review_workflow, editor):
    """Stories in several states, five published by five storytellers, two withdrawn."""
    people = [amara, lucia, *(make_storyteller(f"Teller {n}", f"teller{n}") for n in range(3))]
    for n, storyteller in enumerate(people):
        story = make_story(storyteller, slug=f"published-{n}", title=f"Published {n}")
        approve(story, storyteller)
        story.get_latest_revision().publish()
    waiting = make_story(amara, slug="waiting", title="The night train")
    review_workflow.start(waiting, editor)
    for n, storyteller in enumerate((amara, lucia)):
        story = make_story(storyteller, slug=f"withdrawn-{n}", title=f"Withdrawn {n}")
        approve(story, storyteller)
        services.withdraw_story(story=story, user=storyteller.user)
    return people


def test_the_stories_listing_is_axe_clean_and_shows_consent(page, newsroom):
    page.set_viewport_size(DESKTOP)
    sign_in_to_admin(page, "editor")

    page.goto("/admin/story-listing/")

    row = page.locator("table.listing tbody tr", has_text="The night train")
    expect(row).to_contain_text("Waiting for the storyteller")
    expect(row).to_contain_text("Amara")
    expect(page.locator("table.listing tbody tr", has_text="Withdrawn 1")).to_contain_text(
        "Withdrawn"
    )
    assert_axe_clean(page, "the Stories listing")


def test_the_impact_page_is_axe_clean_with_and_without_enough_people(page, newsroom):
    page.set_viewport_size(DESKTOP)
    sign_in_to_admin(page, "editor")

    page.goto("/admin/reports/impact/")

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^\s*Impact\s*$"))
    expect(page.locator('[data-figure="published_total"]')).to_have_text("5")
    expect(page.locator('[data-figure="withdrawals_total"]')).to_have_text("Not enough people yet")
    expect(page.locator('[data-chart="published"] svg')).to_be_visible()
    assert_axe_clean(page, "the Impact page")


def test_the_impact_page_with_too_few_people_says_so_once_and_is_axe_clean(page, editor):
    page.set_viewport_size(DESKTOP)
    sign_in_to_admin(page, "editor")

    page.goto("/admin/reports/impact/")

    expect(page.locator("[data-not-enough]")).to_have_count(1)
    expect(page.get_by_text("Not enough people yet to show this.")).to_have_count(1)
    expect(page.locator("[data-chart]")).to_have_count(0)
    assert_axe_clean(page, "the Impact page with too few people")

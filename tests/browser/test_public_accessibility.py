"""Every public page type in a real browser: axe-clean, usable at 320px and 200% zoom,
a skip link and a sensible heading order, no cookies, and warnings that work without JS."""

import pytest

from consent import services
from stories.models import CampaignPage, CampaignStory, StoryPage

from ..conftest import approve, warn_and_tag
from .conftest import BROWSER_TEST, assert_axe_clean

pytestmark = BROWSER_TEST

HEADINGS = (
    "() => Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1])"
)
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def public_site(home, make_story, amara, campaign_index, photo):
    story = make_story(
        amara,
        slug="the-harbour",
        title="The harbour",
        body="<p>The words of the harbour story, <b>told</b> in my own way.</p>",
        image=photo,
        image_alt="Boats in a grey harbour",
        region="PH",
    )
    revision = warn_and_tag(story, "Violence", "Labour")
    approve(story, amara, revision=revision, image_allowed=True)
    revision.publish()
    story = StoryPage.objects.get(pk=story.pk)

    gone = make_story(amara, slug="gone", title="Gone")
    approve(gone, amara)
    gone.get_latest_revision().publish()
    services.withdraw_story(story=gone, user=amara.user)

    campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Fair pay.</p>")
    campaign.campaign_stories = [CampaignStory(story=story, sort_order=0)]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    home.featured_campaign = campaign
    home.save_revision().publish()
    return story


PUBLIC_PAGES = {
    "home": ("/", 200),
    "story index": ("/stories/", 200),
    "story index filtered": ("/stories/?topic=labour&region=PH", 200),
    "story": ("/stories/the-harbour/", 200),
    "campaign index": ("/campaigns/", 200),
    "campaign": ("/campaigns/fair-work/", 200),
    "search": ("/search/?q=harbour", 200),
    "search, nothing found": ("/search/?q=zebra", 200),
    "not found (404)": ("/stories/no-such-story/", 404),
    "withdrawn (410)": ("/stories/gone/", 410),
}


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_passes_axe_and_reads_on_a_phone_and_zoomed(name, public_site, new_context):
    path, status = PUBLIC_PAGES[name]
    for viewport in (
        {"width": 1280, "height": 900},
        {"width": 320, "height": 640},
        {"width": 640, "height": 450},
    ):  # 640 CSS px = 1280px at 200% zoom
        context = new_context(viewport=viewport)
        page = context.new_page()
        response = page.goto(path)
        assert response.status == status, (name, response.status)

        if viewport["width"] == 1280:
            assert_axe_clean(page, f"the {name} page")
            levels = page.evaluate(HEADINGS)
            assert levels.count(1) == 1, f"{name}: one h1, got {levels}"
            assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (
                f"{name}: heading levels skip: {levels}"
            )
            # The skip link is the first thing a keyboard reaches, and it lands on the content.
            page.keyboard.press("Tab")
            focused = page.evaluate("() => document.activeElement.getAttribute('href')")
            assert focused == "#main", name
            assert page.locator("main#main").count() == 1
        else:
            assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at {viewport}"
        assert context.cookies() == [], f"{name} set cookies: {context.cookies()}"


def test_a_content_warning_hides_the_story_until_the_reader_continues_without_javascript(
    public_site, new_context
):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/stories/the-harbour/")

    assert page.get_by_text("Violence").is_visible()
    story_text = page.get_by_text("The words of the harbour story")
    assert not story_text.is_visible()

    page.get_by_text("Show the story").click()

    assert story_text.is_visible()
    assert page.get_by_role("img", name="Boats in a grey harbour").is_visible()


def test_the_story_page_prints_its_text(public_site, new_context):
    page = new_context().new_page()
    page.goto("/stories/the-harbour/")
    page.emulate_media(media="print")

    assert page.get_by_text("The words of the harbour story").is_visible()
    assert not page.get_by_role("navigation", name="Main").is_visible()

"""Her decision, one question per page, in a real browser: on a phone and a desktop, with
the keyboard alone, and with JavaScript turned off. Every page passes axe."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from consent.models import ConsentEntry
from consent.selectors import today
from stories.models import StoryPage

from tests.browser.conftest import BROWSER_TEST, assert_axe_clean, assert_fits, sign_in
from tests.conftest import approve

pytestmark = BROWSER_TEST

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def heading(page):
    return page.locator("main h1")


def assert_clean(page, width):
    """axe finds nothing, and nothing scrolls sideways at this width."""
    assert_axe_clean(page, f"this step at {width}px")
    assert_fits(page, width, "this step")


def open_story_and_start(page, portal_url, title):
    page.goto(portal_url("home"))
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Decide about this version").click()
    expect(heading(page)).to_have_text("What would you like to do?")


def continue_(page):
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone-375", "desktop-1280"])
def test_approving_one_question_at_a_time(size, new_context, portal_url, in_review_with_photo):
    page = new_context(viewport=size).new_page()
    width = size["width"]
    sign_in(page, portal_url, "amara")
    open_story_and_start(page, portal_url, "The orchard gate")
    assert_clean(page, width)

    # A mistake first: nothing chosen. The summary at the top links to the question.
    continue_(page)
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Choose what you would like to do with your story.")
    assert "This field is required." not in page.content()
    assert_clean(page, width)
    link = summary.get_by_role("link")
    assert link.get_attribute("href") == "#" + page.get_by_label("Approve it").get_attribute("id")

    page.get_by_label("Approve it").check()
    continue_(page)
    expect(heading(page)).to_have_text("Where may your story appear?")
    page.get_by_label("Print").check()
    assert_clean(page, width)
    continue_(page)

    expect(heading(page)).to_have_text("How should your story name you?")
    expect(page.get_by_text("This version names you “Amara”.")).to_be_visible()
    expect(page.get_by_label("By the name I chose")).to_be_checked()
    assert_clean(page, width)
    continue_(page)

    expect(heading(page)).to_have_text(
        "Should readers see your photo, see it blurred, or not see it?"
    )
    page.get_by_label("Show my photo", exact=True).check()
    assert_clean(page, width)
    continue_(page)

    expect(heading(page)).to_have_text("For how long may your story appear?")
    date_box = page.get_by_label("The last day it may appear")
    expect(date_box).to_be_hidden()  # no "mm/dd/yyyy" beside "until I withdraw it"
    page.get_by_label("Until a date I choose").check()
    expect(date_box).to_be_visible()
    continue_(page)  # no date yet
    expect(page.get_by_role("alert")).to_contain_text(
        "Choose the last day, or choose “until I withdraw it”."
    )
    assert_clean(page, width)
    last_day = today() + timedelta(days=60)
    page.get_by_label("The last day it may appear").fill(last_day.isoformat())
    continue_(page)

    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator(".summary-list")).to_contain_text("This website, Print")
    assert_clean(page, width)
    # Change one answer: back to the check page after it.
    page.get_by_role("link", name="Change where it may appear").click()
    page.get_by_label("Print").uncheck()
    continue_(page)
    expect(heading(page)).to_have_text("Check your answers")
    expect(page.locator(".summary-list")).not_to_contain_text("Print")

    page.get_by_role("button", name="Approve my story").click()
    expect(heading(page)).to_have_text("You approved your story")
    assert_clean(page, width)
    grant = ConsentEntry.objects.get(story=in_review_with_photo)
    assert grant.decision == ConsentEntry.Decision.GRANTED
    assert grant.channels == ["website"]
    assert grant.image_allowed is True
    assert grant.valid_until == last_day
    page.get_by_role("link", name="See and keep your receipt").click()
    expect(page.get_by_role("main")).to_contain_text(str(grant.receipt_id))


def focus_by_tab(page, locator, limit=60):
    """Press Tab until ``locator`` has the focus, as a keyboard user moves through a page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def continue_by_keyboard(page):
    focus_by_tab(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")


def test_the_whole_decision_with_the_keyboard_alone(page, portal_url, in_review_with_photo):
    sign_in(page, portal_url, "amara")
    page.goto(portal_url("story", in_review_with_photo.pk))
    focus_by_tab(page, page.get_by_role("button", name="Decide about this version"))
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("What would you like to do?")

    focus_by_tab(page, page.get_by_label("Approve it"))
    page.keyboard.press("Space")
    continue_by_keyboard(page)

    expect(heading(page)).to_have_text("Where may your story appear?")
    continue_by_keyboard(page)
    expect(heading(page)).to_have_text("How should your story name you?")
    continue_by_keyboard(page)

    # Refusing the photo with the arrow keys, as radios are moved between.
    expect(heading(page)).to_contain_text("blurred")
    focus_by_tab(page, page.get_by_label("Show my photo", exact=True))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Don't show my photo")).to_be_checked()
    continue_by_keyboard(page)

    expect(heading(page)).to_have_text("For how long may your story appear?")
    continue_by_keyboard(page)

    expect(heading(page)).to_have_text("Check your answers")
    expect(page.get_by_role("main")).to_contain_text("Please remove my photo.")
    focus_by_tab(page, page.get_by_role("button", name="Send my answers to the editors"))
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Your answers were sent to the editors")
    entry = ConsentEntry.objects.get(story=in_review_with_photo)
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert entry.message.startswith("Please remove my photo.")


def test_deciding_without_javascript(new_context, portal_url, in_review_with_photo):
    page = new_context(java_script_enabled=False, viewport=PHONE).new_page()
    sign_in(page, portal_url, "amara")
    open_story_and_start(page, portal_url, "The orchard gate")
    page.get_by_label("Approve it").check()
    continue_(page)
    continue_(page)  # the places she agreed to before (the website)
    page.get_by_label("No name — anonymous").check()
    continue_(page)
    page.get_by_label("Show my photo blurred, so no one can recognise me").check()
    continue_(page)

    # The date appears when "until a date" is chosen, by CSS alone.
    date_box = page.get_by_label("The last day it may appear")
    expect(date_box).to_be_hidden()
    page.get_by_label("Until a date I choose").check()
    expect(date_box).to_be_visible()
    page.get_by_label("Until I withdraw it").check()
    expect(date_box).to_be_hidden()
    continue_(page)

    expect(heading(page)).to_have_text("Check your answers")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Please don't name me: make it anonymous.")
    expect(main).to_contain_text("Please blur my photo.")
    page.get_by_role("button", name="Send my answers to the editors").click()
    expect(heading(page)).to_have_text("Your answers were sent to the editors")
    expect(main).to_contain_text("send you the new version")
    entry = ConsentEntry.objects.get(story=in_review_with_photo)
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert "Please blur my photo." in entry.message


def test_editing_without_javascript_shows_plain_paragraphs(
    new_context, portal_url, make_story_in_review, amara
):
    words = "<p>First, the <b>orchard</b>.</p><p>Then the road.</p>"
    story = make_story_in_review(amara, slug="plain", title="Plain words", body=words)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, portal_url, "amara")
    page.goto(portal_url("edit", story.pk))

    box = page.get_by_label("Your story")
    expect(box).to_have_value("First, the orchard.\n\nThen the road.")
    box.fill("First, the orchard.\n\nThen the road.\n\nAnd <i>home</i> at last.")
    page.get_by_role("button", name="Save my version").click()
    page.wait_for_url(re.compile(r"/my/receipts/[0-9a-f-]+/$"))

    body = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object().body
    assert re.sub(r' data-block-key="\w+"', "", body) == (
        "<p>First, the orchard.</p><p>Then the road.</p><p>And &lt;i&gt;home&lt;/i&gt; at last.</p>"
    )


def test_stopping_print_and_keeping_the_website(page, portal_url, make_story, amara, live_server):
    story = make_story(amara, slug="kept-online", title="Kept online")
    approve(story, amara, channels=("website", "print"))
    story.get_latest_revision().publish()
    sign_in(page, portal_url, "amara")
    page.goto(portal_url("story", story.pk))
    page.get_by_role("link", name="Withdraw my story, from everywhere or some places").click()
    assert_clean(page, DESKTOP["width"])
    page.get_by_label("Only some places — I'll choose which").check()
    continue_(page)
    expect(heading(page)).to_have_text("Which places should it stop appearing in?")
    page.get_by_label("Print").check()
    assert_clean(page, DESKTOP["width"])
    page.get_by_role("button", name="Stop it in these places").click()

    expect(heading(page)).to_have_text("Done: it stops in those places")
    expect(page.get_by_role("main")).to_contain_text("It may now appear only here: This website.")
    assert StoryPage.objects.get(pk=story.pk).live
    assert page.context.request.get(f"{live_server.url}/stories/kept-online/").status == 200
    latest = ConsentEntry.objects.filter(story=story).latest("sequence")
    assert latest.channels == ["website"]

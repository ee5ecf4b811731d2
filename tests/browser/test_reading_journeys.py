"""Her story's reading side in a real browser, at a phone's width and a desktop's, by keyboard.

Amara signs in and moves only with Tab, Enter and typing: her story page with its
conversation, what changed since she last read it, a receipt (and its technical details),
everything we hold about her (read on the page), and staying safe. Each page is axe-clean
and fits the screen.
"""

import pytest

from consent import services
from stories.models import StoryPage

from ..conftest import PASSWORD, approve
from .conftest import BROWSER_TEST, assert_axe_clean, assert_fits

pytestmark = BROWSER_TEST

# The focused element, as a person would find it: its field name, label or words.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return {name: "", text: ""};
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    return {name: el.name || "", text: (label || el.innerText || el.value || "").trim()};
}"""
SEEN_WITHOUT_HIDDEN_WORDS = """el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(hidden => hidden.remove());
    return copy.textContent;
}"""


def tab_to(page, *, text=None, name=None, nth=1, limit=120):
    """Press Tab until the nth element with these words (or this field name) has the focus."""
    seen = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if (name is not None and focused["name"] == name) or (
            text is not None and focused["text"].startswith(text)
        ):
            seen += 1
            if seen == nth:
                return
    raise AssertionError(f"Could not reach {text or name!r} with the Tab key on {page.url}")


def follow(page, text, nth=1):
    """Tab to a link and press Enter, then wait for the next page."""
    tab_to(page, text=text, nth=nth)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def assert_accessible_and_fits(page, width, what):
    assert_axe_clean(page, f"{what} at {width}px")
    assert_fits(page, width, what)


def signed_in_by_keyboard(new_context, portal_url, width):
    """Amara signs in at this width with Tab, typing and Enter: a new page on her stories."""
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(portal_url("login"))
    tab_to(page, name="username")
    page.keyboard.type("amara")
    tab_to(page, name="password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(portal_url("home"))
    return page


@pytest.fixture
def her_story(make_story, amara, editor, review_workflow):
    """Published once; she read a newer version, asked for a change, the editors replied and
    sent her the changed version."""
    story = make_story(
        amara,
        slug="the-orchard",
        title="The orchard",
        body="<p>They kept a small dog at the gate.</p>",
    )
    receipt = approve(story, amara)
    story.get_latest_revision().publish()
    story = StoryPage.objects.get(pk=story.pk)
    draft = story.get_latest_revision_as_object()
    draft.summary = "How I got away, one night."
    asked = draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    services.record_reading(storyteller=amara, story=story, revision=asked)
    services.request_changes(
        story=story, revision=asked, user=amara.user, message="Please make the dog little."
    )
    services.reply_to_storyteller(story=story, editor=editor, text="Done. Please read it again.")
    draft = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    draft.body = "<p>They kept a little dog at the gate.</p>"
    draft.save_revision(user=editor)
    StoryPage.objects.get(pk=story.pk).current_workflow_state.resume(editor)
    return {"story": StoryPage.objects.get(pk=story.pk), "receipt": receipt}


@pytest.mark.parametrize("width", [375, 1280])
def test_she_reads_her_story_the_conversation_and_what_changed_by_keyboard(
    new_context, portal_url, her_story, width, dialogs
):
    page = signed_in_by_keyboard(new_context, portal_url, width)
    main = page.get_by_role("main")
    assert "The website still shows your earlier version" in main.inner_text()
    assert_accessible_and_fits(page, width, "my stories")

    follow(page, "The orchard")
    assert page.url == portal_url("story", her_story["story"].pk)
    conversation = page.locator("[data-conversation]")
    said = conversation.locator("li").all_inner_texts()
    assert len(said) == 2
    assert "Please make the dog little." in said[0]
    assert "Done. Please read it again." in said[1]
    assert_accessible_and_fits(page, width, "her story with its conversation")

    follow(page, "What changed since you last read it")
    changes = page.locator(".what-changed")
    assert changes.locator("del").all_text_contents() == ["removed: small"]
    assert changes.locator("ins").all_text_contents() == ["added: little"]
    # What a sighted reader sees: the words apart, never "smalllittle".
    seen = changes.locator(".diff").evaluate(SEEN_WITHOUT_HIDDEN_WORDS)
    assert " ".join(seen.split()) == "They kept a small little dog at the gate."
    assert_accessible_and_fits(page, width, "what changed")

    follow(page, "since you asked for changes")
    assert page.locator(".what-changed ins").all_text_contents() == ["added: little"]
    assert_accessible_and_fits(page, width, "what changed since she asked")
    assert not dialogs


@pytest.mark.parametrize("width", [375, 1280])
def test_she_keeps_a_receipt_her_data_and_reads_staying_safe_by_keyboard(
    new_context, portal_url, her_story, width
):
    page = signed_in_by_keyboard(new_context, portal_url, width)

    follow(page, "My decisions")
    # Newest first: her request for changes, then her approval.
    follow(page, "See the receipt", nth=2)
    main = page.get_by_role("main")
    assert "You approved your story." in main.inner_text()
    assert "By the name you chose: Amara" in main.inner_text()
    assert "UTC" not in main.inner_text()
    technical = page.locator("details.technical")
    assert not technical.evaluate("el => el.open")
    tab_to(page, text="Technical details")
    page.keyboard.press("Enter")
    assert technical.evaluate("el => el.open")
    assert str(her_story["receipt"].receipt_id) in technical.inner_text()
    assert_accessible_and_fits(page, width, "a receipt")

    follow(page, "My stories")
    follow(page, "Everything we hold about you")
    assert "It has your legal name" in page.get_by_role("main").inner_text()
    assert_accessible_and_fits(page, width, "my data, with its warning")

    follow(page, "Read it on this page, or print it")
    assert "The orchard" in page.get_by_role("main").inner_text()
    assert_accessible_and_fits(page, width, "my data to read or print")

    follow(page, "Back")
    follow(page, "Staying safe when you use Sayso")
    assert "Clearing your browser" in page.get_by_role("main").inner_text()
    assert_accessible_and_fits(page, width, "staying safe")

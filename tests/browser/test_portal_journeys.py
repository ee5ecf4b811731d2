"""What a storyteller does in the portal, done the way a person does it, in a real browser."""

import re
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from consent import services
from consent.models import ConsentEntry
from core.text.sanitise import ALLOWED_TAGS, clean_story_html
from stories.models import StoryPage

from ..conftest import PASSWORD
from .conftest import BROWSER_TEST, NEUTRAL_SITE, sign_in

pytestmark = BROWSER_TEST

HOSTILE = (
    '<img src=x onerror=alert(1)> <script>alert(1)</script> <a href="javascript:alert(1)">x</a>'
    " \"><svg onload=alert(1)> '><iframe src=javascript:alert(1)></iframe>"
    " <details open ontoggle=alert(1)>y</details> <body onload=alert(1)>"
)


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def markup_that_could_run(html):
    """Elements or attributes in stored HTML that a browser could load or run."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.found:
        if tag not in ALLOWED_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("src", "srcdoc", "style"):
                problems.append(f"<{tag} {name}>")
            if name == "href" and not re.match(r"(https?:|mailto:|/|#)", value or "", re.I):
                problems.append(f"<{tag} href={value}>")
    return problems


def where(page):
    return page.get_by_role("group", name="Where may your story appear?")


def main(page):
    return page.get_by_role("main")


def page_heading(page):
    """The page's own heading (a story page also shows the story's, inside the preview)."""
    return page.locator("main > h1")


def sign_in_to_admin(page, username, password=PASSWORD):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def sign_off_in_the_admin(page, story_title):
    """The editor's sign-off, from "Awaiting your review" on the Wagtail dashboard."""
    page.goto("/admin/")
    row = page.locator("#awaiting-review-section tr", has_text=story_title)
    row.get_by_role("button", name="Actions").click()
    with page.expect_navigation():
        row.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#awaiting-review-section tr", has_text=story_title)).to_have_count(0)


def open_my_story(page, portal_url, title):
    page.goto(portal_url("home"))
    page.get_by_role("link", name=title).click()
    expect(page_heading(page)).to_have_text(title)


# 1. From an invitation to publication, and back off the website


def test_invited_storyteller_approves_editor_publishes_and_withdrawing_takes_it_down(
    page, new_context, portal_url, live_server, make_story, review_workflow, editor
):
    nightingale = services.create_storyteller(pseudonym="Nightingale")
    story = make_story(
        nightingale,
        slug="my-way-home",
        title="Finding my way home",
        body="<p>I walked for three days before anyone listened.</p>",
    )
    review_workflow.start(story, editor)
    _invitation, token = services.create_invitation(storyteller=nightingale, created_by=editor)

    # Opening the link: a sign-in name, a name and a passphrase, and she is in.
    page.goto(portal_url("welcome", token))
    page.get_by_label("Choose a sign-in name").fill("nightingale")
    name = page.get_by_label("What name should the editors use for you?")
    expect(name).to_have_value("Nightingale")
    page.get_by_label("Choose a password or a passphrase").fill("river stones and lanterns")
    page.get_by_label("Type it again").fill("river stones and lanterns")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(portal_url("home"))
    expect(main(page)).to_contain_text("Welcome. This is your own space on Sayso.")
    expect(page.get_by_role("listitem").filter(has_text="Finding my way home")).to_contain_text(
        "Ready for you to read"
    )

    # Reading exactly what readers would see.
    page.get_by_role("link", name="Finding my way home").click()
    preview = page.get_by_role("region", name="Your story, exactly as readers would see it")
    expect(preview).to_contain_text("I walked for three days before anyone listened.")
    expect(preview).to_contain_text("Told by Nightingale")

    # Approving, one question at a time, with the scope she chooses.
    page.get_by_role("button", name="Decide about this version").click()
    page.get_by_label("Approve it").check()
    page.get_by_role("button", name="Continue").click()
    where(page).get_by_label("This website").check()
    where(page).get_by_label("Social media").check()
    for other in ("Print", "Fundraising", "Press"):
        expect(where(page).get_by_label(other)).not_to_be_checked()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("group", name="How should your story name you?").get_by_label(
        "By the name I chose"
    ).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("group", name="For how long may your story appear?").get_by_label(
        "Until I withdraw it"
    ).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Approve my story").click()
    page.wait_for_url(re.compile(r"/my/stories/\d+/done/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text("You approved your story")
    page.get_by_role("link", name="See and keep your receipt").click()
    # The receipt says what she agreed to in her words, not in codes.
    expect(main(page)).to_contain_text("Social media, This website")
    expect(main(page)).to_contain_text(re.compile(r"Named as\s*Pseudonym"))
    expect(main(page)).to_contain_text(re.compile(r"Until\s*You withdraw it"))
    grant = ConsentEntry.objects.get(story=story, decision=ConsentEntry.Decision.GRANTED)
    assert grant.channels == ["social", "website"]
    assert grant.byline == StoryPage.Byline.PSEUDONYM
    assert grant.valid_until is None
    assert not StoryPage.objects.get(pk=story.pk).live

    # The editor signs off in the Wagtail admin, in a browser of their own.
    admin = new_context().new_page()
    sign_in_to_admin(admin, "editor")
    sign_off_in_the_admin(admin, "Finding my way home")
    published = StoryPage.objects.get(pk=story.pk)
    assert published.live
    assert published.live_revision_id == grant.revision_id

    # A reader sees it, under the name she chose.
    reader = new_context().new_page()
    response = reader.goto("/stories/my-way-home/")
    assert response.status == 200
    story_on_site = reader.get_by_role("article")
    expect(story_on_site).to_contain_text("Finding my way home")
    expect(story_on_site).to_contain_text("Told by Nightingale")
    expect(story_on_site).to_contain_text("I walked for three days before anyone listened.")

    open_my_story(page, portal_url, "Finding my way home")
    expect(main(page)).to_contain_text("Published — you approved this")

    # Withdrawing: one choice, one button, and it is gone.
    page.get_by_role("link", name="Withdraw my story, from everywhere or some places").click()
    expect(main(page)).to_contain_text("it disappears from the website now")
    page.get_by_label("Everywhere — withdraw my story").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/my/stories/\d+/done/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text("Your story is withdrawn")
    page.get_by_role("link", name="See and keep your receipt").click()
    expect(main(page)).to_contain_text("Withdrawn")

    response = reader.goto("/stories/my-way-home/")
    assert response.status == 410
    expect(reader.get_by_role("heading", level=1)).to_have_text("This story is no longer available")
    assert "Nightingale" not in reader.content()
    assert "three days" not in reader.content()
    assert not StoryPage.objects.get(pk=story.pk).live

    open_my_story(page, portal_url, "Finding my way home")
    expect(main(page)).to_contain_text("Withdrawn by you")


# 2. Asking for changes, then editing it herself


def test_storyteller_asks_for_changes_then_edits_it_herself_with_the_simple_editor(
    page, portal_url, in_review
):
    sign_in(page, portal_url, "amara")
    open_my_story(page, portal_url, "Finding my way home")

    page.get_by_role("button", name="Decide about this version").click()
    page.get_by_label("Ask for changes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("What would you like changed?").fill("Please leave out my town.")
    page.get_by_role("button", name="Send to the editors").click()
    page.wait_for_url(re.compile(r"/my/stories/\d+/done/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text("Your answers were sent to the editors")
    expect(main(page)).to_contain_text("Please leave out my town.")

    page.get_by_role("navigation", name="Your space").get_by_role("link", name="My stories").click()
    expect(page.get_by_role("listitem").filter(has_text="Finding my way home")).to_contain_text(
        "You asked for changes"
    )

    page.get_by_role("link", name="Finding my way home").click()
    page.get_by_role("link", name="Edit it myself").click()
    expect(page_heading(page)).to_have_text("Edit my story")
    formatting = page.get_by_role("toolbar", name="Formatting")
    expect(formatting).to_be_visible()
    editor_box = page.get_by_role("textbox", name="Your story")
    expect(editor_box).to_contain_text("The words the storyteller will read.")
    editor_box.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("My words, ")
    formatting.get_by_role("button", name="Bold").click()
    page.keyboard.type("my choice")
    formatting.get_by_role("button", name="Bold").click()
    page.keyboard.type(".")
    page.get_by_role("button", name="Save my version").click()

    page.wait_for_url(re.compile(r"/my/receipts/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text(
        "Your changes are saved. The editors will see your new version."
    )
    expect(main(page)).to_contain_text("Edited by the storyteller.")

    body = StoryPage.objects.get(pk=in_review.pk).get_latest_revision_as_object().body
    assert "<b>my choice</b>" in body
    assert "The words the storyteller will read." in body
    assert "My words, " in body
    assert body == clean_story_html(body), "the stored story is not the sanitised HTML"
    entry = ConsentEntry.objects.filter(story=in_review).latest("sequence")
    assert entry.decision == ConsentEntry.Decision.GRANTED
    assert entry.message == "Edited by the storyteller."

    page.goto(portal_url("home"))
    expect(page.get_by_role("listitem").filter(has_text="Finding my way home")).to_contain_text(
        "Approved — not published yet"
    )


# 3. Quick exit


def assert_left_for_good(page, context, portal_url, history_before):
    """On the neutral site, with no way Back into the portal, and signed out."""
    page.wait_for_url(NEUTRAL_SITE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's weather")
    # location.replace(): the neutral site took the portal page's place in this tab's
    # history, so Back goes to the blank page the tab opened with, not to the portal.
    assert page.evaluate("history.length") == history_before
    page.go_back()
    assert page.url == "about:blank"

    # The session ended too (the beacon may land a moment after the new page does).
    response = None
    for _attempt in range(20):
        response = context.request.get(portal_url("home"), max_redirects=0)
        if response.status == 302:
            break
        page.wait_for_timeout(250)
    assert response.status == 302
    assert response.headers["location"].startswith("/my/login/")


def open_portal_in_a_new_tab(context, portal_url, story):
    """A new tab whose history is a blank page, then the story page."""
    tab = context.new_page()
    tab.goto(portal_url("story", story.pk))
    expect(page_heading(tab)).to_have_text("Finding my way home")
    assert tab.evaluate("history.length") == 2
    return tab


def test_leave_this_site_button_goes_to_a_neutral_site_and_signs_out(
    page, context, portal_url, in_review
):
    sign_in(page, portal_url, "amara")
    tab = open_portal_in_a_new_tab(context, portal_url, in_review)

    tab.get_by_role("link", name="Leave this site").click()

    assert_left_for_good(tab, context, portal_url, history_before=2)


def test_leave_this_site_works_from_the_keyboard(page, context, portal_url, in_review):
    sign_in(page, portal_url, "amara")
    tab = open_portal_in_a_new_tab(context, portal_url, in_review)

    # Skip link first, then "Leave this site": two Tabs from the top of any portal page.
    tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Leave this site")).to_be_focused()
    tab.keyboard.press("Enter")

    assert_left_for_good(tab, context, portal_url, history_before=2)


def test_pressing_shift_three_times_goes_to_a_neutral_site_and_signs_out(
    page, context, portal_url, in_review
):
    sign_in(page, portal_url, "amara")
    tab = open_portal_in_a_new_tab(context, portal_url, in_review)

    for _press in range(3):
        tab.keyboard.press("Shift")

    assert_left_for_good(tab, context, portal_url, history_before=2)


def type_with_shift_for_capitals(page, text):
    """Type as a person does: Shift held down for each capital letter."""
    for char in text:
        if char.isupper():
            page.keyboard.down("Shift")
            page.keyboard.press(f"Key{char}")
            page.keyboard.up("Shift")
        else:
            page.keyboard.type(char)


def choose_to_ask_for_changes(page):
    page.get_by_role("button", name="Decide about this version").click()
    page.get_by_label("Ask for changes").check()
    page.get_by_role("button", name="Continue").click()


def test_typing_capital_letters_does_not_trigger_the_quick_exit(page, portal_url, in_review):
    sign_in(page, portal_url, "amara")
    open_my_story(page, portal_url, "Finding my way home")
    choose_to_ask_for_changes(page)
    message = page.get_by_label("What would you like changed?")
    message.click()

    type_with_shift_for_capitals(page, "Please Leave Out My Town, Anna And Kyiv.")
    page.wait_for_timeout(500)

    assert page.url == portal_url("request_changes", in_review.pk)
    expect(message).to_have_value("Please Leave Out My Town, Anna And Kyiv.")
    expect(page_heading(page)).to_have_text("What would you like changed?")
    page.get_by_role("button", name="Send to the editors").click()
    page.wait_for_url(re.compile(r"/my/stories/\d+/done/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text("Please Leave Out My Town, Anna And Kyiv.")


# 4. Hostile input is stored clean and never runs


def test_hostile_input_in_every_portal_text_field_never_runs(
    page, dialogs, new_context, portal_url, in_review, editor
):
    sign_in(page, portal_url, "amara")
    open_my_story(page, portal_url, "Finding my way home")

    # The message to the editors.
    choose_to_ask_for_changes(page)
    page.get_by_label("What would you like changed?").fill("Please change this. " + HOSTILE)
    page.get_by_role("button", name="Send to the editors").click()
    page.wait_for_url(re.compile(r"/my/stories/\d+/done/[0-9a-f-]+/$"))
    expect(main(page)).to_contain_text("Please change this.")
    message = ConsentEntry.objects.get(decision=ConsentEntry.Decision.CHANGES_REQUESTED).message
    assert "<" not in message, message

    # Without JavaScript the story is plain paragraphs: markup typed there is her words.
    no_js = new_context(java_script_enabled=False).new_page()
    sign_in(no_js, portal_url, "amara")
    no_js.goto(portal_url("edit", in_review.pk))
    no_js.get_by_label("Title").fill("My own title " + HOSTILE)
    no_js.get_by_label("Summary").fill("My own summary " + HOSTILE)
    no_js.get_by_label("Your story").fill("<p>My own words.</p>" + HOSTILE)
    no_js.get_by_role("button", name="Save my version").click()
    no_js.wait_for_url(re.compile(r"/my/receipts/[0-9a-f-]+/$"))

    stored = StoryPage.objects.get(pk=in_review.pk).get_latest_revision_as_object()
    assert stored.title.startswith("My own title")
    assert stored.summary.startswith("My own summary")
    assert re.match(
        r'<p data-block-key="\w+">&lt;p&gt;My own words\.&lt;/p&gt;&lt;img ', stored.body
    ), stored.body
    assert "<" not in stored.title, stored.title
    assert "<" not in stored.summary, stored.summary
    assert markup_that_could_run(stored.body) == [], stored.body
    assert stored.body == clean_story_html(stored.body)

    # The same payloads typed into the simple editor are words, and stay words.
    page.goto(portal_url("edit", in_review.pk))
    expect(page.get_by_role("toolbar", name="Formatting")).to_be_visible()
    page.get_by_label("Title").fill("Typed title " + HOSTILE)
    page.get_by_role("textbox", name="Your story").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" " + HOSTILE)
    page.get_by_role("button", name="Save my version").click()
    page.wait_for_url(re.compile(r"/my/receipts/[0-9a-f-]+/$"))
    stored = StoryPage.objects.get(pk=in_review.pk).get_latest_revision_as_object()
    assert markup_that_could_run(stored.body) == [], stored.body
    assert "&lt;img src=x onerror=alert(1)&gt;" in stored.body

    # Everywhere the words are shown again, with JavaScript on: nothing runs.
    for url in (
        portal_url("home"),
        portal_url("story", in_review.pk),
        portal_url("edit", in_review.pk),
        portal_url("history"),
        portal_url("withdraw", in_review.pk),
    ):
        page.goto(url)
        page.wait_for_load_state("load")
    for receipt in ConsentEntry.objects.filter(story=in_review):
        page.goto(portal_url("receipt", receipt.receipt_id))
        page.wait_for_load_state("load")
    page.goto(portal_url("story", in_review.pk))
    preview = page.get_by_role("region", name="Your story, exactly as readers would see it")
    expect(preview).to_contain_text("<img src=x onerror=alert(1)>")
    expect(preview.locator("[href^='javascript:' i], [onerror], [onload]")).to_have_count(0)

    # And on the public site, once the editors sign off.
    StoryPage.objects.get(pk=in_review.pk).current_workflow_task_state.approve(user=editor)
    assert StoryPage.objects.get(pk=in_review.pk).live
    reader = new_context().new_page()
    reader.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = reader.goto("/stories/in-review/")
    assert response.status == 200
    expect(reader.get_by_role("article")).to_contain_text("Typed title")
    article = reader.get_by_role("article")
    expect(article.locator("[href^='javascript:' i], [onerror], [onload]")).to_have_count(0)

    assert dialogs == [], f"Hostile input ran in the browser: {dialogs}"


@pytest.mark.parametrize("field", ["Title", "Summary"])
def test_a_title_or_summary_that_is_only_markup_is_refused_with_a_clear_error(
    page, portal_url, in_review, dialogs, field
):
    sign_in(page, portal_url, "amara")
    page.goto(portal_url("edit", in_review.pk))
    expect(page.get_by_role("toolbar", name="Formatting")).to_be_visible()
    page.get_by_label(field).fill('<img src=x onerror="alert(1)">')
    page.get_by_role("button", name="Save my version").click()

    expect(page_heading(page)).to_have_text("Edit my story")
    expect(main(page)).to_contain_text("in words.")
    assert page.get_by_label(field).get_attribute("aria-invalid") == "true"
    expect(page.get_by_role("textbox", name="Your story")).to_contain_text(
        "The words the storyteller will read."
    )
    assert StoryPage.objects.get(pk=in_review.pk).get_latest_revision().user.username == "editor"
    assert dialogs == []

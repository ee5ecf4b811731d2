"""Getting back in, and getting out fast, in a real browser: the sign-in name chosen at
welcome, sign-in by name or email, a password reset that leads back in, keyboard-only
sign-in, the pause page, styled error pages, and the quick exit on public pages."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from playwright.sync_api import expect

from consent import services
from stories.models import CampaignPage, CampaignStory

from ..conftest import PASSWORD, approve
from .conftest import BROWSER_TEST, NEUTRAL_SITE, assert_axe_clean, assert_fits, sign_in

pytestmark = BROWSER_TEST
WIDTHS = (375, 1280)
NEW_PASSWORD = "lanterns over the quiet river"


def main(page):
    return page.get_by_role("main")


def sign_out(page, portal_url):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(portal_url("login"))


def fill_sign_in(page, name, password):
    page.get_by_label("Your sign-in name or email").fill(name)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_invited_she_chooses_her_name_and_gets_back_in_by_name_email_and_reset(
    page, portal_url, editor
):
    rose = services.create_storyteller(pseudonym="Nightingale")
    _invitation, token = services.create_invitation(storyteller=rose, created_by=editor)

    # Welcome: she chooses the name she'll sign in with.
    page.goto(portal_url("welcome", token))
    page.get_by_label("Choose a sign-in name").fill("Rose-of-Kyiv")
    page.get_by_label("Choose a password or a passphrase").fill(PASSWORD)
    page.get_by_label("Type it again").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(portal_url("home"))
    note = page.get_by_role("note")
    expect(note).to_contain_text("Your sign-in name is Rose-of-Kyiv.")
    expect(note).to_contain_text("Next time, sign in with it and your password.")
    assert page.title() == "Sayso"

    # Signed out: back in with her name, typed in other capitals.
    sign_out(page, portal_url)
    fill_sign_in(page, "rose-of-kyiv", PASSWORD)
    page.wait_for_url(portal_url("home"))
    expect(main(page)).to_contain_text("You sign in as Rose-of-Kyiv.")

    # She gives her email address, and signs in with that.
    page.get_by_role("link", name="How we contact you").click()
    page.get_by_label("Email address").fill("rose@example.org")
    page.get_by_label("Email me when something is ready").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(portal_url("home"))
    sign_out(page, portal_url)
    fill_sign_in(page, "rose@example.org", PASSWORD)
    page.wait_for_url(portal_url("home"))
    sign_out(page, portal_url)

    # She forgets her password. The live server runs in this process: its mail is here.
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your sign-in name or email").fill("Rose-of-Kyiv")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    (message,) = mail.outbox
    assert message.to == ["rose@example.org"]
    assert "Your sign-in name is: Rose-of-Kyiv" in message.body
    link = urlsplit(re.search(r"https?://\S+", message.body).group(0)).path

    page.goto(link)
    expect(main(page)).to_contain_text("Your sign-in name is Rose-of-Kyiv.")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type it again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save my new password").click()
    page.wait_for_url(portal_url("login"))
    expect(main(page)).to_contain_text("Your new password is set.")

    fill_sign_in(page, "Rose-of-Kyiv", NEW_PASSWORD)
    page.wait_for_url(portal_url("home"))
    expect(main(page)).to_contain_text("You sign in as Rose-of-Kyiv.")

    # The link worked once.
    page.goto(link)
    expect(main(page)).to_contain_text("This link no longer works")


def test_someone_elses_name_or_a_look_alike_is_refused_at_welcome(page, portal_url, editor, amara):
    newcomer = services.create_storyteller(pseudonym="Newcomer")
    _invitation, token = services.create_invitation(storyteller=newcomer, created_by=editor)
    page.goto(portal_url("welcome", token))

    for name, problem in (
        ("AMARA", "Someone already has that sign-in name"),
        ("Аmara", "Use letters from one alphabet only"),
    ):
        page.get_by_label("Choose a sign-in name").fill(name)
        page.get_by_label("Choose a password or a passphrase").fill(PASSWORD)
        page.get_by_label("Type it again").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        field = page.get_by_label("Choose a sign-in name")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(main(page)).to_contain_text(problem)
    assert page.url == portal_url("welcome", token)


def test_signing_in_with_the_keyboard_alone(page, portal_url, amara):
    page.goto(portal_url("login"))

    # Skip link, "Leave this site", then the form, in reading order.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Leave this site")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your sign-in name or email")).to_be_focused()
    page.keyboard.type("Amara")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(portal_url("home"))
    expect(main(page)).to_contain_text("You sign in as amara.")


# Getting out fast from a public page: readers may be watched too


@pytest.fixture
def public_story(home, make_story, amara, campaign_index):
    story = make_story(amara, slug="the-harbour", title="The harbour")
    approve(story, amara)
    story.get_latest_revision().publish()
    campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Fair pay.</p>")
    campaign.campaign_stories = [CampaignStory(story=story, sort_order=0)]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()
    return story


@pytest.mark.parametrize("path", ["/stories/the-harbour/", "/campaigns/fair-work/"])
def test_shift_three_times_on_a_public_page_leaves_and_replaces_it_in_history(
    path, public_story, context
):
    tab = context.new_page()
    tab.goto("/")
    tab.goto(path)
    expect(tab.get_by_role("link", name="Leave this site")).to_be_visible()
    assert tab.evaluate("history.length") == 3  # blank, home, this page

    for _press in range(3):
        tab.keyboard.press("Shift")

    tab.wait_for_url(NEUTRAL_SITE)
    expect(tab.get_by_role("heading", level=1)).to_have_text("Today's weather")
    assert tab.evaluate("history.length") == 3
    tab.go_back()
    assert urlsplit(tab.url).path == "/"  # the story page is gone from history
    assert context.cookies() == []


def test_the_public_quick_exit_button_works_without_javascript(public_story, new_context):
    context = new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto("/stories/the-harbour/")

    tab.get_by_role("link", name="Leave this site").click()

    tab.wait_for_url(NEUTRAL_SITE)
    assert context.cookies() == []


def test_the_public_quick_exit_button_from_the_keyboard(public_story, context):
    tab = context.new_page()
    tab.goto("/stories/the-harbour/")

    tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Leave this site")).to_be_focused()
    tab.keyboard.press("Enter")

    tab.wait_for_url(NEUTRAL_SITE)
    assert tab.evaluate("history.length") == 2
    assert context.cookies() == []


# The pages people land on when something stops them: axe-clean on a phone and a desktop


def lock_out(username):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/my/login/", {"username": username, "password": "not the password"})


PAGES = {
    "sign in": ("amara", lambda page, url, data: page.goto(url("login"))),
    "sign in, nothing typed": (
        None,
        lambda page, url, data: (
            page.goto(url("login")),
            page.get_by_role("button", name="Sign in").click(),
            page.get_by_text("Write your password.").wait_for(),
        ),
    ),
    "paused after wrong tries": (
        None,
        lambda page, url, data: (
            lock_out("amara"),
            page.goto(url("login")),
            fill_sign_in(page, "amara", PASSWORD),
            page.get_by_role("heading", name="Please wait a little").wait_for(),
        ),
    ),
    "welcome, name taken": (
        None,
        lambda page, url, data: (
            page.goto(url("welcome", data["token"])),
            page.get_by_label("Choose a sign-in name").fill("lucia"),
            page.get_by_role("button", name="Continue").click(),
            page.get_by_text("Someone already has that sign-in name").wait_for(),
        ),
    ),
    "just welcomed": (
        None,
        lambda page, url, data: (
            page.goto(url("welcome", data["token"])),
            page.get_by_label("Choose a sign-in name").fill("Rose-of-Kyiv"),
            page.get_by_label("Choose a password or a passphrase").fill(PASSWORD),
            page.get_by_label("Type it again").fill(PASSWORD),
            page.get_by_role("button", name="Continue").click(),
            page.get_by_role("note").wait_for(),
        ),
    ),
    "another's story (not found)": (
        "lucia",
        lambda page, url, data: page.goto(url("story", data["story"].pk)),
    ),
    "public story": (None, lambda page, url, data: page.goto("/stories/the-harbour/")),
    "public campaign": (None, lambda page, url, data: page.goto("/campaigns/fair-work/")),
    "public page not found": (None, lambda page, url, data: page.goto("/stories/nowhere/")),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_stopping_pages_pass_axe_and_fit(
    name, width, new_context, portal_url, public_story, lucia, editor
):
    newcomer = services.create_storyteller(pseudonym="Newcomer")
    _invitation, token = services.create_invitation(storyteller=newcomer, created_by=editor)
    data = {"token": token, "story": public_story}
    who, visit = PAGES[name]
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    if who:
        sign_in(page, portal_url, who)

    visit(page, portal_url, data)
    page.wait_for_load_state("load")

    assert_axe_clean(page, f"the {name} page at {width}px")
    assert_fits(page, width, f"the {name} page")
    expect(page.get_by_role("link", name="Leave this site")).to_be_visible()
    if "/my/" in page.url:
        assert page.title() == "Sayso", name

"""Every portal page passes axe-core in a real browser and reads on a 320px-wide phone."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from consent import services
from stories.models import StoryPage

from ..conftest import approve
from .conftest import BROWSER_TEST, assert_axe_clean, assert_fits, sign_in

pytestmark = BROWSER_TEST

PHONE_WIDTH = 320

DANGLING_DESCRIPTIONS = """() =>
    Array.from(document.querySelectorAll("[aria-describedby]")).flatMap(el =>
        el.getAttribute("aria-describedby").split(/\\s+/)
            .filter(id => id && !document.getElementById(id))
            .map(id => `${el.name || el.id} -> #${id}`))"""


@pytest.fixture
def amaras_portal(make_story, amara, editor, review_workflow, photo):
    """What Amara's portal holds: a story waiting for her decision, one with a photo, one she
    approved that the editor then changed (so it shows what changed), a receipt, and two
    fresh links."""
    waiting = make_story(amara, slug="waiting", title="Finding my way home")
    review_workflow.start(waiting, editor)
    with_photo = make_story(
        amara, slug="with-photo", title="The river", image=photo, image_alt="A quiet river bank"
    )
    review_workflow.start(with_photo, editor)

    changed = make_story(
        amara,
        slug="changed",
        title="The long road",
        body="<p>I left in the spring. Nobody knew where I was.</p>",
    )
    review_workflow.start(changed, editor)
    receipt = approve(changed, amara, channels=("website", "social"))
    changed = StoryPage.objects.get(pk=changed.pk)
    changed.current_workflow_state.cancel(user=editor)
    changed.body = "<p>I left in the early spring. My sister knew where I was.</p>"
    changed.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=changed.pk), editor)

    _invitation, token = services.create_invitation(storyteller=amara, created_by=editor)
    return {
        "waiting": waiting,
        "with_photo": with_photo,
        "changed": changed,
        "receipt": receipt,
        "invitation": token,
        "password_reset": (
            urlsafe_base64_encode(force_bytes(amara.user.pk)),
            default_token_generator.make_token(amara.user),
        ),
    }


# Each portal page: whether Amara is signed in, how a person gets there, and words that show
# they did. Pages with form errors count too: that is when people most need the page to work.
PORTAL_PAGES = {}


def portal_page(name, *, signed_in, shows):
    def register(visit):
        PORTAL_PAGES[name] = (signed_in, visit, shows)
        return visit

    return register


@portal_page("login", signed_in=False, shows="Sign in")
def _(page, url, data):
    page.goto(url("login"))


@portal_page("login with an error", signed_in=False, shows="Sign in")
def _(page, url, data):
    page.goto(url("login"))
    page.get_by_label("Your sign-in name or email").fill("amara")
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()


@portal_page("welcome (invitation)", signed_in=False, shows="Welcome to Sayso")
def _(page, url, data):
    page.goto(url("welcome", data["invitation"]))


@portal_page("welcome with errors", signed_in=False, shows="The two don't match")
def _(page, url, data):
    page.goto(url("welcome", data["invitation"]))
    page.get_by_label("Choose a password or a passphrase").fill("short")
    page.get_by_label("Type it again").fill("different")
    page.get_by_role("button", name="Continue").click()


@portal_page("invalid link", signed_in=False, shows="This link no longer works")
def _(page, url, data):
    page.goto(url("welcome", "no-such-link"))


@portal_page("password reset", signed_in=False, shows="Forgot your password?")
def _(page, url, data):
    page.goto(url("password_reset"))


@portal_page("password reset sent", signed_in=False, shows="Check your email")
def _(page, url, data):
    page.goto(url("password_reset"))
    page.get_by_label("Your sign-in name or email").fill("amara@example.org")
    page.get_by_role("button", name="Send me a link").click()


@portal_page("new password", signed_in=False, shows="Choose a new password")
def _(page, url, data):
    page.goto(url("password_reset_confirm", *data["password_reset"]))
    page.get_by_label("New password", exact=True).wait_for()


@portal_page("expired password link", signed_in=False, shows="This link no longer works")
def _(page, url, data):
    page.goto(url("password_reset_confirm", "MQ", "no-such-token"))


@portal_page("my stories", signed_in=True, shows="Ready for you to read")
def _(page, url, data):
    page.goto(url("home"))


@portal_page("story with the decision forms", signed_in=True, shows="Your decision")
def _(page, url, data):
    page.goto(url("story", data["waiting"].pk))


@portal_page("story with a photo", signed_in=True, shows="Decide about this version")
def _(page, url, data):
    page.goto(url("story", data["with_photo"].pk))
    page.get_by_role("img", name="A quiet river bank").wait_for()


def start_deciding(page, url, story):
    page.goto(url("story", story.pk))
    page.get_by_role("button", name="Decide about this version").click()


def decide_to_approve(page, url, story, questions_answered=0):
    """Choose to approve, then leave this many questions as they are ticked."""
    start_deciding(page, url, story)
    page.get_by_label("Approve it").check()
    for _question in range(1 + questions_answered):
        page.get_by_role("button", name="Continue").click()


@portal_page("decide", signed_in=True, shows="What would you like to do?")
def _(page, url, data):
    start_deciding(page, url, data["waiting"])


@portal_page("decide with an error", signed_in=True, shows="There is a problem")
def _(page, url, data):
    start_deciding(page, url, data["waiting"])
    page.get_by_role("button", name="Continue").click()


@portal_page("where it may appear, with an error", signed_in=True, shows="Choose at least one")
def _(page, url, data):
    decide_to_approve(page, url, data["waiting"])
    for box in page.get_by_role("checkbox").all():
        box.uncheck()
    page.get_by_role("button", name="Continue").click()


@portal_page("the photo question", signed_in=True, shows="see it blurred")
def _(page, url, data):
    decide_to_approve(page, url, data["with_photo"], questions_answered=2)
    page.get_by_role("img", name="A quiet river bank").wait_for()


@portal_page("until when, with a date error", signed_in=True, shows="Choose the last day")
def _(page, url, data):
    decide_to_approve(page, url, data["waiting"], questions_answered=2)
    page.get_by_label("Until a date I choose").check()
    page.get_by_role("button", name="Continue").click()


@portal_page("check your answers", signed_in=True, shows="Check your answers")
def _(page, url, data):
    decide_to_approve(page, url, data["waiting"], questions_answered=3)


@portal_page("asking for changes, empty", signed_in=True, shows="Tell the editors what")
def _(page, url, data):
    page.goto(url("story", data["waiting"].pk))
    page.get_by_role("button", name="Decide about this version").click()
    page.get_by_label("Ask for changes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send to the editors").click()


@portal_page("story with what changed", signed_in=True, shows="What changed since")
def _(page, url, data):
    page.goto(url("story", data["changed"].pk))


@portal_page("edit", signed_in=True, shows="Edit my story")
def _(page, url, data):
    page.goto(url("edit", data["waiting"].pk))
    page.get_by_role("toolbar", name="Formatting").wait_for()


@portal_page("withdraw confirmation", signed_in=True, shows="What happens")
def _(page, url, data):
    page.goto(url("withdraw", data["changed"].pk))


@portal_page("withdraw without a choice", signed_in=True, shows="Choose whether to take it")
def _(page, url, data):
    page.goto(url("withdraw", data["changed"].pk))
    page.get_by_role("button", name="Continue").click()


@portal_page("stop some places", signed_in=True, shows="Which places should it stop")
def _(page, url, data):
    page.goto(url("withdraw", data["changed"].pk))
    page.get_by_label("Only some places — I'll choose which").check()
    page.get_by_role("button", name="Continue").click()


@portal_page("history", signed_in=True, shows="My decisions")
def _(page, url, data):
    page.goto(url("history"))


@portal_page("receipt", signed_in=True, shows="Your receipt")
def _(page, url, data):
    page.goto(url("receipt", data["receipt"].receipt_id))


@portal_page("contact", signed_in=True, shows="How we contact you")
def _(page, url, data):
    page.goto(url("contact"))


@pytest.mark.parametrize("name", list(PORTAL_PAGES))
def test_portal_page_has_no_axe_violations_and_fits_a_phone(name, page, portal_url, amaras_portal):
    signed_in, visit, shows = PORTAL_PAGES[name]
    if signed_in:
        sign_in(page, portal_url, "amara")

    visit(page, portal_url, amaras_portal)
    page.wait_for_load_state("load")
    assert shows in page.get_by_role("main").inner_text()

    assert_axe_clean(page, f"the {name} page")

    # axe lets a description that points at nothing pass; a screen reader then reads no hint.
    dangling = page.evaluate(DANGLING_DESCRIPTIONS)
    assert not dangling, f"Hints or errors not tied to their fields on the {name} page: {dangling}"

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 640})
    assert_fits(page, PHONE_WIDTH, f"the {name} page")

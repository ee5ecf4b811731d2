"""A real headless Chromium (Debian's) driving the portal on pytest-django's live server.

The browser is started once per session; every test gets a fresh context (no shared
cookies or storage). Chromium missing is a failure, never a skip: these tests are how we
know the portal works for a person.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from django.urls import reverse
from playwright.sync_api import sync_playwright

from ..conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread, so Django would refuse ORM calls
# from the test body as "async-unsafe". The test body never runs concurrently with it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Where "Leave this site" goes in tests: answered by the browser itself, never the internet.
NEUTRAL_SITE = "https://weather.example/"
NEUTRAL_PAGE = (
    "<!doctype html><html lang='en'><head><title>Weather</title></head>"
    "<body><h1>Today's weather</h1><p>Sunny spells.</p></body></html>"
)
TIMEOUT_MS = 15_000

# axe-core's own bundle, shipped inside the Python package: nothing is fetched from a CDN.
axe = Axe()
WIDER_THAN = """width =>
    Array.from(document.querySelectorAll("body *"))
        .filter(el => el.getBoundingClientRect().right > width)
        .slice(0, 5)
        .map(el => el.outerHTML.slice(0, 80))"""

# Every browser test module uses this: transactional, because the live server reads the test
# database from another thread; with serialized rollback, because a transactional test
# empties every table when it ends, and the data migrations' rows (the review workflow, the
# Editors group, the root page) must be back for the next one.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="session")
def browser(django_db_setup):
    assert Path(CHROMIUM).exists(), f"Chromium is required for the browser tests: {CHROMIUM}"
    # Django keeps database connections in context variables. Starting Playwright's sync API
    # leaves this thread in a fresh context, where Django would open new connections: ones
    # without the test database's serialized contents (so serialized rollback would silently
    # restore nothing) and not shared with the live server. Put the original ones back.
    connections_before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in connections_before.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server, settings):
    """Make fresh browser contexts on the live server; they are closed after the test.

    Requests to any other host are refused and recorded (the portal makes none), except the
    neutral quick-exit site, which the browser answers with a small page of its own.
    """
    settings.SAYSO_QUICK_EXIT_URL = NEUTRAL_SITE
    contexts = []
    elsewhere = []

    def route(route):
        url = route.request.url
        if url.startswith(live_server.url):
            route.continue_()
        elif url.startswith(NEUTRAL_SITE):
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=NEUTRAL_PAGE)
        else:
            elsewhere.append(url)
            route.abort()

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", route)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not elsewhere, f"Pages requested third-party URLs: {elsewhere}"


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def dialogs():
    """Messages of every alert/confirm/prompt a page opened: hostile input must open none."""
    return []


@pytest.fixture
def page(context, dialogs):
    page = context.new_page()

    def record(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
        dialog.dismiss()

    page.on("dialog", record)
    return page


@pytest.fixture
def portal_url(live_server):
    """The live server's absolute URL for a named portal route."""

    def url(name, *args):
        return f"{live_server.url}{reverse(f'portal:{name}', args=args)}"

    return url


def sign_in(page, portal_url, username, password=PASSWORD):
    """Sign in through the portal's own login page, like a person."""
    page.goto(portal_url("login"))
    page.get_by_label("Your sign-in name or email").fill(username)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(portal_url("home"))


@pytest.fixture
def in_review(make_story_in_review, amara):
    """Amara's story, sent to her to read and decide on by the editor."""
    return make_story_in_review(amara, slug="in-review", title="Finding my way home")


def describe_violations(violations):
    """axe's findings, readable: each rule, then each element it flagged and why."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            lines.append(f"  at {target}: {node['html']}")
            lines.extend(f"    {line}" for line in node["failureSummary"].splitlines())
    return "\n".join(lines)


def loaded(page):
    """Wait until the page has its stylesheets and pictures, as a person would see it.

    Finding an element only proves the HTML has arrived: a stylesheet may still be on its
    way (the live server sends each one again for every page, slowly on a busy machine), and
    a page judged before it lands is judged unstyled. Without site.css, for one, the
    "Continue" button is portal.css's white text on no background: a color-contrast failure
    no person can ever see, because the browser paints nothing before its stylesheets.
    """
    page.wait_for_load_state("load")


def assert_axe_clean(page, what=""):
    """axe-core finds nothing on the loaded page; if it does, say exactly what and where."""
    loaded(page)
    violations = axe.run(page).response["violations"]
    assert not violations, (
        f"axe found problems on {what or 'the page'} ({page.url}):\n"
        + describe_violations(violations)
    )


def assert_fits(page, width, what=""):
    """Nothing on the page scrolls sideways at this width; if it does, say which elements."""
    loaded(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (
        f"{what or 'the page'} ({page.url}) scrolls sideways at {width}px ({scroll_width}px): "
        f"{page.evaluate(WIDER_THAN, width)}"
    )

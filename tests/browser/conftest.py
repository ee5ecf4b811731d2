"""A real headless Chromium (Debian's) driving the portal on pytest-django's live server.

The browser is started once per session; every test gets a fresh context (no shared
cookies or storage). Chromium missing is a failure, never a skip: these tests are how we
know the portal works for a person.
"""

import os
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import sync_playwright

from stories.models import StoryPage

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
def in_review(make_story, amara, review_workflow, editor):
    """Amara's story, sent to her to read and decide on by the editor."""
    story = make_story(amara, slug="in-review", title="Finding my way home")
    review_workflow.start(story, editor)
    return StoryPage.objects.get(pk=story.pk)

"""A crawl of the whole seeded public site finds nothing that identifies a storyteller.

The demo seed gives each storyteller a legal name, contact details, an email address and
private words. A reader following every link from the home page (plus the feed and the
sitemap, and the addresses of withdrawn and unpublished stories) must meet none of them.
"""

import html
import io
import re
import unicodedata
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from consent.models import Storyteller
from stories.models import StoryPage

pytestmark = [
    pytest.mark.django_db,
    # html.parser reads the feed's and the sitemap's links well enough (no lxml needed).
    pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning"),
]

NOT_PUBLIC = ("/admin/", "/my/", "/api/", "/static/", "/media/")
SITE_HOSTS = {"", "testserver", "localhost", "127.0.0.1", "127.0.0.1:8000"}


def fold(text):
    """Lower case without accents (independent of the app's own matching)."""
    bare = unicodedata.normalize("NFKD", text)
    return "".join(c for c in bare if not unicodedata.combining(c)).casefold()


def words_pattern(phrase):
    words = [re.escape(word) for word in fold(phrase).split()]
    return re.compile(r"(?<!\w)" + r"[\W_]+".join(words) + r"(?!\w)")


def needles_for(storyteller):
    """(what, pattern) pairs for everything about a storyteller that must stay private."""
    needles = [("legal name", words_pattern(storyteller.legal_name))]
    needles += [("private word", words_pattern(word)) for word in storyteller.private_term_list()]
    needles += [
        ("postal address", words_pattern(line))
        for line in storyteller.postal_address.splitlines()
        if line.strip() and fold(line.strip()) not in {"nigeria", "philippines"}  # countries
    ]
    needles.append(("contact notes", words_pattern(storyteller.contact_notes)))
    if storyteller.user.email:
        needles.append(("email", re.compile(re.escape(storyteller.user.email.casefold()))))
    if fold(storyteller.user.username) != fold(storyteller.pseudonym):
        needles.append(("user name", words_pattern(storyteller.user.username)))
    return needles


def phone_digits(storyteller):
    return re.sub(r"\D", "", storyteller.phone)


def leaks_in(text, storyteller):
    """What of the storyteller's private details a piece of text gives away."""
    folded = fold(html.unescape(text))
    found = [what for what, pattern in needles_for(storyteller) if pattern.search(folded)]
    if phone_digits(storyteller) in re.sub(r"\D", "", text):
        found.append("phone")
    # A user name that is the pseudonym they chose to be published under only leaks where
    # it is not the byline, e.g. in an address.
    username = re.escape(fold(storyteller.user.username))
    if fold(storyteller.user.username) == fold(storyteller.pseudonym) and re.search(
        rf"[/=]{username}\b", folded
    ):
        found.append("user name")
    return found


def links_in(response, base):
    """Same-site addresses a reader (or their feed reader) can follow from a response."""
    soup = BeautifulSoup(response.content, "html.parser")  # reads the feed and sitemap too
    found = []
    for tag in soup.find_all(["a", "link"], href=True):
        found.append(tag["href"])
    for loc in soup.find_all("loc"):
        found.append(loc.get_text(strip=True))
    paths = []
    for link in found:
        parts = urlsplit(urljoin(base, link))
        if parts.scheme not in ("", "http", "https") or parts.netloc not in SITE_HOSTS:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith(NOT_PUBLIC):
            paths.append(path)
    return paths


def crawl(client, start):
    """Every public page reachable from the start addresses: {path: response}."""
    seen, queue = {}, list(start)
    while queue and len(seen) < 400:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        seen[path] = response
        if response.status_code == 200:
            queue.extend(link for link in links_in(response, path) if link not in seen)
    return seen


@pytest.fixture
def demo_site():
    call_command("seed_demo", force=True, stdout=io.StringIO())
    return list(Storyteller.objects.select_related("user"))


def test_no_public_page_of_the_seeded_site_gives_away_a_storytellers_private_details(
    demo_site,
):
    storytellers = demo_site
    story_urls = [f"/stories/{slug}/" for slug in StoryPage.objects.values_list("slug", flat=True)]
    client = Client()

    pages = crawl(client, ["/", "/feed/", "/sitemap.xml", "/search/?q=market", *story_urls])

    # The crawl reached the whole site: listings, stories in every state, feed and sitemap.
    statuses = {path: response.status_code for path, response in pages.items()}
    assert statuses["/"] == statuses["/feed/"] == statuses["/sitemap.xml"] == 200
    assert statuses["/stories/the-market-at-dawn/"] == 200
    assert statuses["/stories/a-kitchen-in-the-city/"] == 410  # withdrawn
    assert statuses["/stories/learning-to-sleep-again/"] == 404  # not approved yet
    assert "/campaigns/fair-work/" in statuses and "/stories/" in statuses
    assert len(pages) >= 12
    for storyteller in storytellers:
        assert storyteller.legal_name and storyteller.phone and storyteller.private_term_list()

    for path, response in pages.items():
        text = response.content.decode()
        for storyteller in storytellers:
            leaks = leaks_in(text, storyteller)
            assert not leaks, f"{path} gives away {storyteller}'s {', '.join(leaks)}"


def test_the_scan_does_find_private_details_where_they_belong(demo_site):
    """The scan can fail: on the editors' own storyteller page every detail is found."""
    amara = next(s for s in demo_site if s.user.username == "amara")
    client = Client()
    client.force_login(get_user_model().objects.get(username="editor"))

    text = client.get(reverse("storytellers:edit", args=[amara.pk])).content.decode()

    found = set(leaks_in(text, amara))
    assert {"legal name", "private word", "postal address", "contact notes", "phone"} <= found

"""No route answers 500 to hostile input: every public, portal and Sayso admin route, fuzzed.

Routes are discovered from the URL resolver, so a route added later is fuzzed without being
named here; only the values that fill a route's own path (her story's number, her receipt)
are chosen, by the route's name. Each route is sent, in its query string, every parameter
name Sayso's views and Wagtail's filters read plus the names of its own filter forms, set to
each hostile value; each form on its page is posted with each field made hostile in turn
(the others kept as the page filled them, so the form can get as far as the database).

A failure is collected, not raised, so one run lists every route that still fails.
"""

import re
from urllib.parse import quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from wagtail.models import Workflow
from wagtail.test.utils.form_data import querydict_from_html

from advisory.models import ADVISORY_GROUP
from advisory.signals import CAMPAIGN_WORKFLOW_NAME
from compensation import services as compensation_services
from compensation.models import PaymentMethod, PaymentPreference
from consent import services
from consent.models import ConsentEntry
from consent.selectors import today
from stories.models import CampaignPage, CampaignStory, StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db

# (label, the value as it goes on the wire, percent-encoded). Half a surrogate pair and bytes
# that are not UTF-8 can't be written as Python text the test client would send.
HOSTILE = [
    ("nul", quote("abc\x00def")),
    ("long", "x" * 6000),
    ("huge number", "9" * 40),
    ("negative", "-99999999999"),
    ("exponent", "1e999"),
    ("not a number", "abc"),
    ("markup", quote("<script>alert(1)</script>'\"%;--")),
    ("odd unicode", quote("\U0001f600\u202e\ufeff\u0301")),
    ("half a surrogate", "%ED%A0%80"),
    ("not utf-8", "%FF%FE%C0"),
]
# The values worth sending to one field at a time: those a form can let through to a column.
ONE_FIELD_AT_A_TIME = {"long", "negative", "not a number"}

# Every query parameter a Sayso view, Wagtail's listings or the v3 API reads.
QUERY_NAMES = [
    "q",
    "p",
    "page",
    "topic",
    "country",
    "search",
    "type",
    "fields",
    "order",
    "ordering",
    "limit",
    "offset",
    "child_of",
    "descendant_of",
    "slug",
    "html_path",
    "id",
    "locale",
    "export",
    "next",
    "story",
    "storyteller",
    "advisory_review",
    "status",
    "currency",
    "decision",
    "created_at_from",
    "created_at_to",
    "timeout",
]

SAYSO_ADMIN = re.compile(
    r"^(storytellers|consent_ledger|compensation_\w+|workspace_\w+|consent_\w+|accounts_\w+):?"
)
# Routes whose POST ends the session or deletes what the rest of the walk needs.
NOT_POSTED = re.compile(r"(logout|exit|:delete$|delete_|portal:erase$)")


def discovered_routes():
    """(full route, name) of every URL pattern, with its converters, from the resolver."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), namespace + (pattern.name or "")

    return list(dict.fromkeys(walk(get_resolver().url_patterns, "", "")))


def is_fuzzed(route, name):
    if route.startswith(("admin/", "django-admin/")):
        return bool(SAYSO_ADMIN.match(name))
    if route.startswith("^") or "authenticate_with_password" in route:
        return False  # Wagtail's catch-all serves pages, visited by their real addresses
    return not route.startswith(("static/", "media/"))


def filled(route, values):
    """The route with its converters filled: <int:pk> → values["pk"], ..."""

    def fill(match):
        return str(values(match.group(2)))

    path = re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)
    return "/" + path


@pytest.fixture
def world(published_story, make_story, campaign_index, review_workflow, amara, editor):
    """Amara with a story live, one withdrawn, one waiting for her, money and a campaign."""
    campaign = CampaignPage(title="Fair work", slug="fair-work", intro="<p>Intro</p>")
    campaign.campaign_stories = [CampaignStory(story=published_story, sort_order=0)]
    campaign_index.add_child(instance=campaign)
    campaign.save_revision().publish()

    withdrawn = make_story(amara, slug="withdrawn", title="Gone")
    approve(withdrawn, amara)
    withdrawn.get_latest_revision().publish()
    services.withdraw_story(story=StoryPage.objects.get(pk=withdrawn.pk), user=amara.user)

    waiting = make_story(amara, slug="waiting", title="Waiting for her")
    review_workflow.start(waiting, editor)
    services.open_review(waiting)

    agreement = published_story.agreements.get()
    payment = compensation_services.record_payment(
        agreement=agreement,
        amount=agreement.total,
        paid_on=today(),
        method=PaymentMethod.BANK_TRANSFER,
        recorded_by=editor,
        reference="REF-1",
    )
    PaymentPreference.objects.create(storyteller=amara, method=PaymentMethod.CASH, notes="n")

    amara.user.groups.add(Group.objects.get(name=ADVISORY_GROUP))
    advised = CampaignPage(
        title="Advised", slug="advised", channel="website", requires_advisory_review=True
    )
    advised.live = False
    campaign_index.add_child(instance=advised)
    advised.campaign_stories = [CampaignStory(story=published_story, sort_order=0)]
    advised.save_revision(user=editor)
    Workflow.objects.get(name=CAMPAIGN_WORKFLOW_NAME).start(advised, editor)

    entry = ConsentEntry.objects.filter(storyteller=amara).order_by("-sequence").first()
    return {
        "pages": [
            "/",
            published_story.url,
            published_story.get_parent().url,
            campaign.url,
            campaign_index.url,
            "/stories/withdrawn/",
        ],
        "values": {
            "receipt_id": entry.receipt_id,
            "agreement_id": agreement.public_id,
            "payment_id": payment.receipt_id,
            "token": "not-a-token",
            "uidb64": "MQ",
            "token_reset": "set-password",
            "page_id": published_story.pk,
            "image_id": 1,
            "document_id": 1,
            "redirect_id": 1,
            "site_id": 1,
            "revision_id": published_story.latest_revision_id,
            "type": "stories.storypage",
            "type_name": "stories.StoryPage",
        },
        "pk": {
            "portal:advisory": advised.pk,
            "portal:payments_story_choice": published_story.pk,
            "portal": waiting.pk,
            "storytellers": amara.pk,
            "consent_invite": amara.pk,
            "consent_ledger": entry.pk,
            "consent_record_in_person": waiting.pk,
            "compensation_agreements": agreement.pk,
            "compensation_payments": payment.pk,
            "compensation_correct_payment": payment.pk,
            "compensation_declined_in_person": waiting.pk,
            "compensation_preferences": PaymentPreference.objects.get().pk,
        },
    }


def path_values(world, name):
    def value(kwarg):
        if kwarg == "pk":
            for prefix, pk in world["pk"].items():
                if name.startswith(prefix):
                    return pk
            return 1
        return world["values"].get(kwarg, "1")

    return value


def hostile_path_values(kwarg_value):
    """The same route with a hostile value in each of its path's slots (where it fits)."""

    def value(kwarg):
        return kwarg_value

    return value


class Fuzzer:
    def __init__(self, client):
        self.client = client
        self.failures = []
        self.requests = 0
        self.fuzzed_queries = set()

    def send(self, method, path, query="", body=None):
        self.requests += 1
        url = path + (f"?{query}" if query else "")
        try:
            if method == "GET":
                response = self.client.get(url)
            else:
                response = self.client.generic(
                    "POST", url, body or "", content_type="application/x-www-form-urlencoded"
                )
        except Exception as error:  # noqa: BLE001 - each one is a finding
            self.failures.append((method, url[:200], (body or "")[:200], repr(error)[:300]))
            return None
        if response.status_code >= 500:
            self.failures.append((method, url[:200], (body or "")[:200], response.status_code))
        return response

    def fuzz_query(self, path, names):
        names = sorted(set(names))
        if (path, tuple(names)) in self.fuzzed_queries:
            return
        self.fuzzed_queries.add((path, tuple(names)))
        for _label, value in HOSTILE:
            self.send("GET", path, "&".join(f"{quote(name)}={value}" for name in names))
        # Arrays where one value is expected, and names in the bracket style.
        self.send("GET", path, "&".join(f"{quote(name)}=1&{quote(name)}=abc" for name in names))
        self.send("GET", path, "&".join(f"{quote(name)}[]=1" for name in names))

    @staticmethod
    def forms_on(response):
        if response is None or response.status_code != 200:
            return []
        if "html" not in response.get("Content-Type", ""):
            return []
        return BeautifulSoup(response.content, "html.parser").find_all("form")

    @staticmethod
    def action_of(form, page_path):
        return urlsplit(form.get("action") or page_path).path or page_path

    def query_names_on(self, page_path, response):
        """The names the page's own filter and search forms send back to it."""
        names = []
        for form in self.forms_on(response):
            is_query = (form.get("method") or "get").lower() == "get"
            if is_query and self.action_of(form, page_path) == page_path:
                fields = form.find_all(["input", "select", "textarea"])
                names.extend(field.get("name") for field in fields if field.get("name"))
        return names

    def fuzz_forms(self, page_path, response, routes_fuzzed):
        for form in self.forms_on(response):
            method = (form.get("method") or "get").lower()
            action = self.action_of(form, page_path)
            if method != "post" or not self._posts_to_a_fuzzed_route(action, routes_fuzzed):
                continue
            data = querydict_from_html(str(form))
            fields = sorted(set(data))
            for label, value in HOSTILE:
                self.post(action, {name: [value] for name in fields} | self._csrf(data))
                if label not in ONE_FIELD_AT_A_TIME:
                    continue
                for name in fields:
                    if name == "csrfmiddlewaretoken":
                        continue
                    self.post(action, self._quoted(data) | {name: [value]})
                    if label == "not a number":
                        self.post(action, self._quoted(data) | {name: [value, value]})

    def _posts_to_a_fuzzed_route(self, action, routes_fuzzed):
        try:
            match = resolve(action)
        except Exception:  # noqa: BLE001 - a form posting elsewhere
            return False
        return match.view_name in routes_fuzzed and not NOT_POSTED.search(match.view_name)

    @staticmethod
    def _quoted(data):
        return {name: [quote(value) for value in data.getlist(name)] for name in data}

    def _csrf(self, data):
        return {"csrfmiddlewaretoken": [quote(v) for v in data.getlist("csrfmiddlewaretoken")]}

    def post(self, action, fields):
        body = "&".join(
            f"{quote(name)}={value}" for name, values in fields.items() for value in values
        )
        self.send("POST", action, body=body)


def walk(client, world, names_wanted):
    """Fuzz every discovered route whose name passes names_wanted; return the failures."""
    fuzzer = Fuzzer(client)
    routes = [
        (route, name)
        for route, name in discovered_routes()
        if is_fuzzed(route, name) and names_wanted(route, name)
    ]
    names = {name for _route, name in routes}
    # Anything that ends a session or removes her things goes last.
    routes.sort(key=lambda item: bool(re.search(r"withdraw|erase|logout|exit", item[1])))
    for route, name in routes:
        path = filled(route, path_values(world, name))
        if "<" in route:
            for _label, value in HOSTILE:
                fuzzer.send("GET", filled(route, hostile_path_values(value)))
        page = fuzzer.send("GET", path)
        fuzzer.fuzz_query(path, QUERY_NAMES + fuzzer.query_names_on(path, page))
        fuzzer.fuzz_forms(path, page, names)
    assert fuzzer.requests > 100
    return fuzzer


def test_no_public_route_or_page_answers_500_to_hostile_input(client, world):
    fuzzer = Fuzzer(client)
    for page in world["pages"]:
        fuzzer.send("GET", page)
        fuzzer.fuzz_query(page, QUERY_NAMES)
    public = walk(client, world, lambda route, name: not route.startswith(("my/", "admin/")))

    failures = fuzzer.failures + public.failures
    assert failures == [], "\n".join(map(str, failures))


def test_no_portal_route_answers_500_to_hostile_input_from_a_signed_in_storyteller(
    client, world, amara
):
    client.force_login(amara.user)

    fuzzer = walk(client, world, lambda route, name: route.startswith("my/"))

    assert fuzzer.failures == [], "\n".join(map(str, fuzzer.failures))


def test_no_portal_route_answers_500_to_hostile_input_from_a_stranger(client, world):
    fuzzer = walk(client, world, lambda route, name: route.startswith("my/"))

    assert fuzzer.failures == [], "\n".join(map(str, fuzzer.failures))


def test_no_admin_form_sayso_adds_answers_500_to_hostile_input(client, world, superuser):
    client.force_login(superuser)

    fuzzer = walk(client, world, lambda route, name: route.startswith("admin/"))

    assert fuzzer.failures == [], "\n".join(map(str, fuzzer.failures))


def test_the_walk_reaches_every_kind_of_route_it_promises(world):
    names = {name for route, name in discovered_routes() if is_fuzzed(route, name)}

    for expected in [
        "search",
        "feed",
        "sitemap",
        "wagtailapi_v3:list_pages",
        "wagtailapi_v3:find_page",
        "portal:contact",
        "portal:login",
        "portal:payments_problem",
        "portal:advisory_approve",
        "storytellers:add",
        "storytellers:edit",
        "compensation_agreements:add",
        "compensation_payments:add",
        "consent_record_in_person",
        "consent_confirm_erasure",
        "workspace_consent_ledger",
        "workspace_compensation",
    ]:
        assert expected in names, expected
    assert not any(name.startswith("wagtailadmin_pages") for name in names)

"""The editors' workspace, impact data and survivor advisory review.

Panels and reports are read the way an editor reads them (the admin's pages and exports);
campaigns are edited through the admin's own forms; advisory members decide in the portal.
Every seeded fact has a known answer, and every expected figure is computed from the seed.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import TaskState
from wagtail.test.utils.form_data import querydict_from_html

from advisory.exceptions import AdvisoryReviewRequired, NotAnAdvisoryMember
from advisory.models import ADVISORY_GROUP, AdvisoryReviewTaskState
from compensation import services as compensation_services
from compensation.models import PaymentMethod, PaymentPreference, Work
from consent import services
from consent.models import ConsentEntry
from consent.selectors import today
from stories.models import CampaignPage, CampaignStory, StoryPage
from workspace import selectors

from tests import money
from tests.conftest import PASSWORD, approve, make_storyteller

pytestmark = pytest.mark.django_db


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def words(node):
    return " ".join(node.get_text(" ").split())


def panel_rows(response, name):
    panel = soup_of(response).select_one(f'[data-workspace-panel="{name}"]')
    assert panel is not None, f"no {name} panel on the admin home"
    return [words(row) for row in panel.select("[data-row]")]


def seed_entry(story, decision, *, days_ago, **fields):
    """A ledger entry dated in the past, as it would stand had it been recorded then."""
    entry = ConsentEntry(
        storyteller_id=story.storyteller_id,
        story=story,
        decision=decision,
        method=ConsentEntry.Method.PORTAL,
        created_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )
    entry.save()
    return entry


def send_for_review(story, review_workflow, editor, *, days_ago):
    review_workflow.start(StoryPage.objects.get(pk=story.pk), editor)
    state = services.open_review(story)
    sent = timezone.now() - timedelta(days=days_ago)
    TaskState.objects.filter(pk=state.pk).update(started_at=sent)
    return sent


# 1. Admin home panels.


def test_home_lists_stories_waiting_for_their_storyteller_longest_first_with_days(
    editor_client, make_story, amara, lucia, review_workflow, editor
):
    recent = make_story(amara, slug="recent", title="The recent one")
    old = make_story(lucia, slug="old", title="The old one")
    make_story(amara, slug="not-sent", title="Not sent yet")
    send_for_review(recent, review_workflow, editor, days_ago=2)
    send_for_review(old, review_workflow, editor, days_ago=9)

    rows = panel_rows(editor_client.get(reverse("wagtailadmin_home")), "waiting_for_storytellers")

    assert rows == [
        "The old one — Lucía · waiting 9 days",
        "The recent one — Amara · waiting 2 days",
    ]


def test_home_lists_stories_whose_storyteller_asked_for_changes(
    editor_client, make_story, amara, lucia
):
    asked = make_story(amara, slug="asked", title="Please change me")
    services.request_changes(
        story=asked, revision=asked.get_latest_revision(), user=amara.user, message="Not my town"
    )
    approved = make_story(lucia, slug="approved", title="Approved as is")
    services.request_changes(
        story=approved, revision=approved.get_latest_revision(), user=lucia.user, message="x"
    )
    approve(approved, lucia)  # a later approval settles the earlier request

    rows = panel_rows(editor_client.get(reverse("wagtailadmin_home")), "changes_asked_for")

    assert len(rows) == 1 and rows[0].startswith("Please change me — Amara · asked")


def test_home_lists_grants_ending_within_30_days_soonest_first(
    editor_client, make_story, amara, lucia
):
    in_ten = today() + timedelta(days=10)
    in_three = today() + timedelta(days=3)
    soon = make_story(amara, slug="soon", title="Ends in ten days")
    approve(soon, amara, valid_until=in_ten)
    sooner = make_story(lucia, slug="sooner", title="Ends in three days")
    approve(sooner, lucia, valid_until=in_three)
    later = make_story(amara, slug="later", title="Ends in forty days")
    approve(later, amara, valid_until=today() + timedelta(days=40))
    gone = make_story(lucia, slug="gone", title="Withdrawn already")
    approve(gone, lucia, valid_until=today() + timedelta(days=5))
    services.withdraw_story(story=gone, user=lucia.user)

    rows = panel_rows(editor_client.get(reverse("wagtailadmin_home")), "grants_ending")

    assert rows == [
        f"Ends in three days — Lucía · ends on {in_three:%-d %B %Y}",
        f"Ends in ten days — Amara · ends on {in_ten:%-d %B %Y}",
    ]


def test_home_lists_withdrawals_of_the_last_30_days_only(editor_client, make_story, amara, lucia):
    recent = make_story(amara, slug="recent", title="Withdrawn this week")
    approve(recent, amara)
    services.withdraw_story(story=recent, user=amara.user)
    old = make_story(lucia, slug="old", title="Withdrawn long ago")
    seed_entry(old, ConsentEntry.Decision.WITHDRAWN, days_ago=45)

    rows = panel_rows(editor_client.get(reverse("wagtailadmin_home")), "recent_withdrawals")

    assert rows == [f"Withdrawn this week — Amara · {timezone.now():%-d %B %Y}"]


def test_panels_are_not_shown_to_people_who_cannot_read_the_ledger(client, make_story, amara):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    reader = get_user_model().objects.create_user("reader", password=PASSWORD)
    reader.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(reader)

    response = client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    assert not soup_of(response).select("[data-workspace-panel]")


# 2. The story editor's side panel.


def test_story_editor_shows_scope_in_plain_words_and_every_decision(
    editor_client, make_story, amara
):
    story = make_story(amara, slug="scoped")
    services.request_changes(
        story=story, revision=story.get_latest_revision(), user=amara.user, message="My aunt's name"
    )
    until = today() + timedelta(days=60)
    approve(story, amara, channels=("website", "press"), valid_until=until)

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    soup = soup_of(response)
    scope = {dd["data-scope"]: words(dd) for dd in soup.select("[data-scope]")}
    assert scope == {
        "channels": "Press, This website",
        "byline": "Pseudonym",
        "photo": "Must not be shown",
        "valid_until": f"{until:%-d %B %Y}",
    }
    decisions = [li["data-decision"] for li in soup.select("[data-consent-history] li")]
    assert decisions == ["granted", "changes_requested"]
    assert "My aunt's name" in words(soup.select_one("[data-consent-history]"))


def test_story_editor_says_nothing_is_agreed_after_a_withdrawal(
    editor_client, published_story, amara
):
    services.withdraw_story(story=published_story, user=amara.user)

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[published_story.pk]))

    soup = soup_of(response)
    assert not soup.select("[data-scope]")
    assert "has not approved this story, or their consent has ended" in words(
        soup.select_one("[data-consent-scope]")
    )
    assert [li["data-decision"] for li in soup.select("[data-consent-history] li")] == [
        "withdrawn",
        "granted",
    ]


# 3. Campaigns respect scope.


@pytest.fixture
def press_story(make_story, amara):
    """Live; Amara agreed to the website and the press."""
    story = make_story(amara, slug="press-ok", title="Agreed for the press")
    approve(story, amara, channels=("website", "press"))
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


@pytest.fixture
def website_only_story(make_story, lucia):
    story = make_story(lucia, slug="website-only", title="Website only")
    approve(story, lucia)
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


def add_campaign_url(campaign_index):
    return reverse("wagtailadmin_pages:add", args=["stories", "campaignpage", campaign_index.pk])


def campaign_form(client, url, *, channel, stories, title="Spring appeal", **fields):
    """What the editor's browser sends from the campaign form, with these stories added."""
    page = client.get(url)
    assert page.status_code == 200
    data = querydict_from_html(page.content.decode(), form_id="page-edit-form")
    data["title"] = title
    data["slug"] = re.sub(r"\W+", "-", title.lower())
    data["channel"] = channel
    for name, value in fields.items():
        data[name] = value
    data["campaign_stories-TOTAL_FORMS"] = str(len(stories))
    for index, story in enumerate(stories):
        data[f"campaign_stories-{index}-story"] = str(story.pk)
        data[f"campaign_stories-{index}-ORDER"] = str(index + 1)
        data[f"campaign_stories-{index}-id"] = ""
        data[f"campaign_stories-{index}-DELETE"] = ""
    return data


def offered_stories(response):
    soup = soup_of(response)
    template = soup.select_one("template#id_campaign_stories-EMPTY_FORM_TEMPLATE")
    assert template is not None, "no story row template on the campaign form"
    options = BeautifulSoup(template.decode_contents(), "html.parser").select(
        "select[name$='-story'] option"
    )
    return {option["value"] for option in options if option["value"]}


def test_campaign_story_list_offers_only_stories_whose_consent_covers_its_channel(
    editor_client, campaign_index, press_story, website_only_story, make_story, amara
):
    draft = make_story(amara, slug="draft", title="Never approved")

    response = editor_client.get(add_campaign_url(campaign_index))

    # A new campaign runs on the website: both live, consented stories are offered.
    assert offered_stories(response) == {str(press_story.pk), str(website_only_story.pk)}
    assert str(draft.pk) not in offered_stories(response)


def test_campaign_form_refuses_a_story_outside_the_campaigns_channel(
    editor_client, campaign_index, press_story, website_only_story
):
    url = add_campaign_url(campaign_index)
    data = campaign_form(
        editor_client, url, channel="press", stories=[press_story, website_only_story]
    )

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "has not agreed to it appearing here" in words(soup_of(response))
    assert not CampaignPage.objects.exists()

    data = campaign_form(editor_client, url, channel="press", stories=[press_story])
    response = editor_client.post(url, data)

    campaign = CampaignPage.objects.get()
    assert [item.story_id for item in campaign.campaign_stories.all()] == [press_story.pk]


def test_editing_a_press_campaign_offers_only_press_stories(
    editor_client, campaign_index, press_story, website_only_story
):
    campaign = campaign_index.add_child(
        instance=CampaignPage(title="Press week", slug="press-week", channel="press")
    )

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[campaign.pk]))

    assert offered_stories(response) == {str(press_story.pk)}


def test_a_story_that_loses_consent_leaves_every_campaign_at_once(
    client, campaign_index, press_story, website_only_story, amara
):
    campaigns = []
    for slug, channel in (("one", "website"), ("two", "press")):
        campaign = campaign_index.add_child(
            instance=CampaignPage(title=f"Campaign {slug}", slug=slug, channel=channel)
        )
        CampaignStory.objects.create(campaign=campaign, story=press_story, sort_order=0)
        CampaignStory.objects.create(campaign=campaign, story=website_only_story, sort_order=1)
        campaign.save_revision().publish()
        campaigns.append(campaign)

    def titles(campaign):
        response = client.get(CampaignPage.objects.get(pk=campaign.pk).url)
        assert response.status_code == 200
        return [
            title
            for title in ("Agreed for the press", "Website only")
            if title in words(soup_of(response))
        ]

    assert titles(campaigns[0]) == ["Agreed for the press", "Website only"]
    # The press campaign shows only the story agreed for the press, though both were added.
    assert titles(campaigns[1]) == ["Agreed for the press"]

    services.withdraw_story(story=press_story, user=amara.user)

    assert titles(campaigns[0]) == ["Website only"]
    assert titles(campaigns[1]) == []


# 4. Reports, and their exports.


@pytest.fixture
def ledger(make_story, amara, lucia):
    """A known ledger: Amara asks for changes then approves; Lucía approves then withdraws."""
    first = make_story(amara, slug="first", title="First story")
    services.request_changes(
        story=first, revision=first.get_latest_revision(), user=amara.user, message="change"
    )
    approve(first, amara)
    second = make_story(lucia, slug="second", title="Second story")
    approve(second, lucia)
    services.withdraw_story(story=second, user=lucia.user)
    return {"first": first, "second": second}


def report_sequences(response):
    rows = soup_of(response).select("table.listing tbody tr")
    return [int(words(row.select_one("td"))) for row in rows]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, lambda s: s),
        ({"storyteller": "amara"}, lambda s: [e for e in s if e.storyteller.pseudonym == "Amara"]),
        ({"decision": "granted"}, lambda s: [e for e in s if e.decision == "granted"]),
        ({"story": "second"}, lambda s: [e for e in s if e.story.slug == "second"]),
    ],
)
def test_consent_ledger_report_filters_and_its_exports_match_the_list(
    editor_client, ledger, amara, query, expected
):
    entries = list(ConsentEntry.objects.order_by("-sequence"))
    params = {}
    for name, value in query.items():
        if name == "storyteller":
            params[name] = amara.pk
        elif name == "story":
            params[name] = ledger[value].pk
        else:
            params[name] = value
    wanted = [entry.sequence for entry in expected(entries)]
    url = reverse("workspace_consent_ledger")

    listed = report_sequences(editor_client.get(url, params))
    as_csv = csv_rows(editor_client.get(url, {**params, "export": "csv"}))
    as_xlsx = xlsx_rows(editor_client.get(url, {**params, "export": "xlsx"}))

    assert listed == wanted and wanted
    assert as_csv[0][:5] == ["No.", "Date", "Storyteller", "Story", "Decision"]
    assert [int(row[0]) for row in as_csv[1:]] == wanted
    assert [int(row[0]) for row in as_xlsx[1:]] == wanted
    by_sequence = {entry.sequence: entry for entry in entries}
    for row in as_csv[1:]:
        entry = by_sequence[int(row[0])]
        assert row[2:5] == [
            entry.storyteller.pseudonym,
            entry.story.title,
            entry.get_decision_display(),
        ]


def test_consent_ledger_report_filters_by_date(editor_client, make_story, amara):
    story = make_story(amara)
    old = seed_entry(story, ConsentEntry.Decision.CHANGES_REQUESTED, days_ago=40)
    new = approve(story, amara)
    url = reverse("workspace_consent_ledger")
    cutoff = (today() - timedelta(days=10)).isoformat()

    assert report_sequences(editor_client.get(url, {"created_at_from": cutoff})) == [new.sequence]
    assert report_sequences(editor_client.get(url, {"created_at_to": cutoff})) == [old.sequence]


def test_storytellers_cannot_open_the_reports(client, ledger, amara):
    client.force_login(amara.user)
    for name in ("workspace_consent_ledger", "workspace_turnaround", "workspace_impact"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("portal:home")
        assert b"First story" not in response.content


@pytest.fixture
def decisions(make_story, amara, lucia, review_workflow, editor):
    """Reviews with known durations: sent N days ago, decided today; one still waiting.

    Five decisions by five different storytellers: the impact page shows a median only
    when it comes from five people.
    """
    durations = {"one": 1, "three": 3, "four": 4, "eight": 8, "ten": 10}
    people = [amara, lucia, *(make_storyteller(f"Teller {n}", f"teller{n}") for n in range(3))]
    for (slug, days), storyteller in zip(durations.items(), people, strict=True):
        story = make_story(storyteller, slug=slug, title=f"Decided after {days}")
        send_for_review(story, review_workflow, editor, days_ago=days)
        revision = story.get_latest_revision()
        if days == 4:
            services.request_changes(
                story=story, revision=revision, user=storyteller.user, message="no"
            )
        else:
            services.approve_story(
                story=story,
                revision=revision,
                user=storyteller.user,
                scope=services.Scope(channels=("website",), byline="pseudonym"),
            )
    waiting = make_story(amara, slug="waiting", title="Still waiting")
    send_for_review(waiting, review_workflow, editor, days_ago=20)
    return durations


def test_review_turnaround_report_lists_each_decision_with_its_days_and_exports_the_same(
    editor_client, decisions
):
    url = reverse("workspace_turnaround")

    response = editor_client.get(url)
    rows = [
        [words(td) for td in tr.select("td")]
        for tr in soup_of(response).select("table.listing tbody tr")
    ]
    exported = csv_rows(editor_client.get(url, {"export": "csv"}))
    as_xlsx = xlsx_rows(editor_client.get(url, {"export": "xlsx"}))

    listed = {row[0]: (row[4], float(row[5])) for row in rows}
    assert listed == {
        f"Decided after {days}": (
            "Asked for changes" if days == 4 else "Approved",
            pytest.approx(days, abs=0.1),
        )
        for days in decisions.values()
    }
    assert "Still waiting" not in words(soup_of(response))
    assert [row[0] for row in exported[1:]] == [row[0] for row in rows]
    assert [row[5] for row in exported[1:]] == [row[5] for row in rows]
    assert [row[0] for row in as_xlsx[1:]] == [row[0] for row in rows]


# 5. Impact data, with small cells suppressed.


def figure(response, name):
    return words(soup_of(response).select_one(f'[data-figure="{name}"]'))


def test_median_days_to_a_decision_is_shown_from_five_decisions(editor_client, decisions):
    import statistics

    expected = round(statistics.median(decisions.values()), 1)

    response = editor_client.get(reverse("workspace_impact"))

    assert response.status_code == 200
    assert float(figure(response, "median_days")) == pytest.approx(expected, abs=0.1)


def impact_text(response):
    """Everything the impact page's body says (not the admin's menus around it)."""
    return words(soup_of(response).select_one("main") or soup_of(response))


def test_median_days_from_fewer_than_five_decisions_is_not_shown(
    editor_client, make_story, amara, review_workflow, editor
):
    for days in (2, 6, 9, 30):
        story = make_story(amara, slug=f"s{days}", title=f"S{days}")
        send_for_review(story, review_workflow, editor, days_ago=days)
        approve(story, amara)

    response = editor_client.get(reverse("workspace_impact"))

    # Nothing else to show either: the page says so once, and no figure appears at all.
    assert soup_of(response).select("[data-figure]") == []
    assert impact_text(response).count("Not enough people yet to show this.") == 1
    assert not re.search(r"\b(6|7|7\.5)\b", impact_text(response))


def test_a_median_of_five_decisions_by_two_storytellers_is_not_shown(
    editor_client, make_story, amara, lucia, review_workflow, editor, five_people_published
):
    for n, days in enumerate((2, 6, 9, 30, 41)):
        storyteller = (amara, lucia)[n % 2]
        story = make_story(storyteller, slug=f"m{days}", title=f"M{days}")
        send_for_review(story, review_workflow, editor, days_ago=days)
        approve(story, storyteller)

    response = editor_client.get(reverse("workspace_impact"))

    # Five decisions, but only two people: their median tells each the other's days.
    assert figure(response, "median_days") == "Not enough people yet"
    assert not re.search(r"\b9(\.0)?\b", impact_text(response))


def bars(response, chart):
    svg = soup_of(response).select_one(f'[data-chart="{chart}"] svg')
    return [
        (words(group.select("text")[1]), words(group.select("text")[0]), group["data-suppressed"])
        for group in svg.select("[data-bar]")
    ]


def five_storytellers(amara, lucia):
    return [amara, lucia, *(make_storyteller(f"Teller {n}", f"teller{n}") for n in range(4))]


@pytest.fixture
def five_people_published(make_story):
    """Five stories by five storytellers, published this month."""
    people = [make_storyteller(f"Author {n}", f"author{n}") for n in range(5)]
    for n, storyteller in enumerate(people):
        story = make_story(storyteller, slug=f"five{n}", title=f"Five {n}")
        approve(story, storyteller)
        story.get_latest_revision().publish()
    return people


def test_published_stories_chart_shows_five_or_more_and_hides_smaller_counts(
    editor_client, make_story, amara, lucia
):
    this_month = timezone.now()
    people = five_storytellers(amara, lucia)
    stories = [make_story(people[n], slug=f"p{n}", title=f"P{n}") for n in range(6)]
    for story in stories:
        approve(story, story.storyteller)
        story.get_latest_revision().publish()
    # Two of them first published in an earlier month (the date a reader can't change).
    earlier = (this_month.replace(day=1) - timedelta(days=1)).replace(day=15)
    StoryPage.objects.filter(pk__in=[s.pk for s in stories[:2]]).update(first_published_at=earlier)

    response = editor_client.get(reverse("workspace_impact"))

    chart = bars(response, "published")
    # The chart starts at the first month with a publication, not twelve months back.
    assert len(chart) == 2
    last_month, current = chart
    assert current == (f"{this_month:%b %Y}", "fewer than 5", "true")  # 4 this month
    assert last_month == (f"{earlier:%b %Y}", "fewer than 5", "true")  # 2 last month
    assert figure(response, "published_total") == "6"  # from six storytellers
    assert {value for _label, value, _s in chart} == {"fewer than 5"}
    table = soup_of(response).select_one('[data-chart-table="published"]')
    assert "4" not in words(table).split() and "2" not in words(table).split()


def test_a_month_with_five_publications_is_drawn_with_its_number(
    editor_client, five_people_published
):
    response = editor_client.get(reverse("workspace_impact"))

    label, value, suppressed = bars(response, "published")[-1]
    assert (value, suppressed) == ("5", "false")


def test_five_publications_by_one_storyteller_are_not_shown(editor_client, make_story, amara):
    for n in range(5):
        story = make_story(amara, slug=f"q{n}", title=f"Q{n}")
        approve(story, amara)
        story.get_latest_revision().publish()

    response = editor_client.get(reverse("workspace_impact"))

    assert soup_of(response).select("[data-chart]") == []
    assert impact_text(response).count("Not enough people yet to show this.") == 1
    assert not re.search(r"\b5\b", impact_text(response).replace("at least 5 people", ""))


def test_withdrawals_below_five_are_never_shown(editor_client, make_story, amara, lucia):
    for n, storyteller in enumerate([amara, lucia, amara]):
        story = make_story(storyteller, slug=f"w{n}", title=f"W{n}")
        approve(story, storyteller)
        services.withdraw_story(story=story, user=storyteller.user)

    response = editor_client.get(reverse("workspace_impact"))

    assert soup_of(response).select("[data-chart]") == []
    assert impact_text(response).count("Not enough people yet to show this.") == 1
    assert not re.search(r"\b3\b", impact_text(response))


def test_withdrawals_by_fewer_than_five_people_are_not_shown_beside_other_figures(
    editor_client, make_story, amara, lucia, five_people_published
):
    for n, storyteller in enumerate([amara, lucia, amara, lucia, amara, lucia]):
        story = make_story(storyteller, slug=f"w{n}", title=f"W{n}")
        approve(story, storyteller)
        services.withdraw_story(story=story, user=storyteller.user)

    response = editor_client.get(reverse("workspace_impact"))

    assert figure(response, "published_total") == "5"
    # Six withdrawals, but by two people: no total, no chart.
    assert figure(response, "withdrawals_total") == "Not enough people yet"
    assert soup_of(response).select_one('[data-chart="withdrawals"]') is None
    assert not re.search(r"\b6\b", impact_text(response))


def test_suppression_rule():
    assert [selectors.suppress(n) for n in range(8)] == [None] * 5 + [5, 6, 7]
    figure = selectors.Figure("median", 3.0, basis=4)
    assert figure.suppressed and figure.shown is None
    assert selectors.Figure("median", 3.0, basis=5).shown == 3.0


# 6. Survivor advisory review.


@pytest.fixture
def advisory_member(db):
    """A storyteller who also sits on the survivor advisory group."""
    member = make_storyteller("Nadia", "nadia")
    member.user.groups.add(Group.objects.get(name=ADVISORY_GROUP))
    return member


@pytest.fixture
def campaign_in_review(make_campaign_in_advisory_review, press_story):
    """A campaign that needs the advisory group's review, sent to it by the editor."""
    return make_campaign_in_advisory_review(press_story, title="Advised campaign", slug="advised")


def portal_client(person):
    client = Client()
    client.force_login(getattr(person, "user", person))
    return client


def decision_form(response, action):
    soup = soup_of(response)
    form = soup.find("form", action=action)
    assert form is not None, f"no form posting to {action}"
    data = querydict_from_html(str(form))
    return {key: data.getlist(key) for key in data}


def member_approves(member, campaign):
    """The member opens the campaign in the portal and approves it, as her browser would."""
    client = portal_client(member)
    page = client.get(reverse("portal:advisory_campaign", args=[campaign.pk]))
    action = reverse("portal:advisory_approve", args=[campaign.pk])
    response = client.post(action, decision_form(page, action))
    assert response.status_code == 302


def review_state(campaign):
    return AdvisoryReviewTaskState.objects.get(workflow_state__object_id=str(campaign.pk))


def test_a_member_reads_the_campaign_in_the_portal_and_approves_it(
    advisory_member, campaign_in_review
):
    client = portal_client(advisory_member)
    listing = client.get(reverse("portal:advisory_campaigns"))
    assert "Advised campaign" in words(soup_of(listing))

    page = client.get(reverse("portal:advisory_campaign", args=[campaign_in_review.pk]))
    assert "Agreed for the press" in words(soup_of(page).select_one("[data-campaign-preview]"))
    action = reverse("portal:advisory_approve", args=[campaign_in_review.pk])
    data = decision_form(page, action)
    data["comment"] = ["Good and respectful."]
    response = client.post(action, data)

    assert response.status_code == 302
    state = review_state(campaign_in_review)
    assert state.status == TaskState.STATUS_APPROVED
    assert state.finished_by == advisory_member.user
    assert state.comment == "Good and respectful."
    # Next comes the editors' sign-off; the campaign is not yet live.
    campaign = CampaignPage.objects.get(pk=campaign_in_review.pk)
    assert campaign.current_workflow_task.name == "Editors' campaign sign-off"
    assert not campaign.live


def test_a_member_can_ask_for_changes_with_a_comment(advisory_member, campaign_in_review):
    client = portal_client(advisory_member)
    page = client.get(reverse("portal:advisory_campaign", args=[campaign_in_review.pk]))
    action = reverse("portal:advisory_changes", args=[campaign_in_review.pk])
    data = decision_form(page, action)

    empty = client.post(action, data)
    assert empty.status_code == 200 and "Tell the editors what should change" in words(
        soup_of(empty)
    )

    data["comment"] = ["The second paragraph shames survivors."]
    client.post(action, data)

    state = review_state(campaign_in_review)
    assert state.status == TaskState.STATUS_REJECTED
    assert state.comment == "The second paragraph shames survivors."


@pytest.mark.parametrize(
    ("visitor", "refusal"),
    # A storyteller outside the group is not told the review exists; staff are refused.
    [("lucia", 404), ("editor", 403), ("superuser", 403)],
)
def test_only_group_members_find_or_finish_the_advisory_review(
    visitor, refusal, request, campaign_in_review, advisory_member, press_story
):
    person = request.getfixturevalue(visitor)
    client = portal_client(person)
    # The form a member would send, posted by someone else.
    member_page = portal_client(advisory_member).get(
        reverse("portal:advisory_campaign", args=[campaign_in_review.pk])
    )
    action = reverse("portal:advisory_approve", args=[campaign_in_review.pk])
    data = decision_form(member_page, action)

    listing = client.get(reverse("portal:advisory_campaigns"))
    page = client.get(reverse("portal:advisory_campaign", args=[campaign_in_review.pk]))
    posted = client.post(action, data)

    assert "Advised campaign" not in listing.content.decode()
    assert page.status_code == refusal and posted.status_code == refusal
    assert review_state(campaign_in_review).status == TaskState.STATUS_IN_PROGRESS


def test_the_advisory_task_refuses_non_members_even_outside_the_portal(
    campaign_in_review, lucia, editor, superuser
):
    state = review_state(campaign_in_review)
    for person in (lucia.user, editor, superuser, None):
        with pytest.raises(NotAnAdvisoryMember):
            state.approve(user=person)
        with pytest.raises(NotAnAdvisoryMember):
            state.reject(user=person, comment="no")
    assert review_state(campaign_in_review).status == TaskState.STATUS_IN_PROGRESS


def test_the_admin_offers_editors_no_way_to_finish_the_advisory_review(
    editor_client, campaign_in_review
):
    state = review_state(campaign_in_review)
    url = reverse(
        "wagtailadmin_pages:workflow_action", args=[campaign_in_review.pk, "approve", state.pk]
    )

    response = editor_client.post(url, {"comment": ""})

    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert review_state(campaign_in_review).status == TaskState.STATUS_IN_PROGRESS


def test_a_campaign_that_needs_advisory_review_cannot_be_published_without_it(
    editor_client, campaign_in_review
):
    with pytest.raises(AdvisoryReviewRequired):
        campaign_in_review.get_latest_revision().publish()

    # Nor through the admin's Publish button.
    url = reverse("wagtailadmin_pages:edit", args=[campaign_in_review.pk])
    data = querydict_from_html(editor_client.get(url).content.decode(), form_id="page-edit-form")
    data["action-publish"] = "action-publish"
    editor_client.post(url, data)

    assert not CampaignPage.objects.get(pk=campaign_in_review.pk).live


def test_after_member_approval_and_editors_sign_off_the_campaign_goes_live(
    editor_client, advisory_member, campaign_in_review
):
    member_approves(advisory_member, campaign_in_review)

    campaign = CampaignPage.objects.get(pk=campaign_in_review.pk)
    sign_off = campaign.current_workflow_task_state
    editor_client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[campaign.pk, "approve", sign_off.pk]),
        {"comment": ""},
    )

    assert CampaignPage.objects.get(pk=campaign.pk).live


def test_an_edit_after_the_advisory_approval_needs_a_new_approval(
    advisory_member, campaign_in_review, editor
):
    member_approves(advisory_member, campaign_in_review)
    campaign = CampaignPage.objects.get(pk=campaign_in_review.pk)
    campaign.intro = "<p>Words the group never read.</p>"
    revision = campaign.save_revision(user=editor)

    with pytest.raises(AdvisoryReviewRequired):
        revision.publish(user=editor)

    assert not CampaignPage.objects.get(pk=campaign.pk).live


def test_a_campaign_without_the_requirement_publishes_as_before(campaign_index, editor):
    campaign = campaign_index.add_child(
        instance=CampaignPage(title="Plain", slug="plain", live=False)
    )
    campaign.save_revision(user=editor).publish(user=editor)

    assert CampaignPage.objects.get(pk=campaign.pk).live


# 7. Compensation: what is owed, the report, and how soon storytellers are paid.


def days_ago(days):
    return today() - timedelta(days=days)


def agree(storyteller, editor, amount, currency, *, agreed, work=Work.SPEAKING, about=""):
    return money.agree(
        storyteller,
        editor,
        amount,
        currency,
        work=work,
        description=about,
        agreed_on=days_ago(agreed),
    )


def pay(agreement, editor, amount, *, paid):
    return money.pay(
        agreement, editor, amount, paid_on=days_ago(paid), method=PaymentMethod.BANK_TRANSFER
    )


@pytest.fixture
def money_owed(amara, lucia, editor):
    """Agreements in every state, in three currencies, agreed on known days."""
    seeded = {
        "amara_gbp": agree(amara, editor, "150.00", "GBP", agreed=40, about="Spring panel"),
        "lucia_gbp": agree(
            lucia, editor, "80.00", "GBP", agreed=10, work=Work.REVIEW, about="Reading day"
        ),
        "lucia_eur": agree(lucia, editor, "200.00", "EUR", agreed=60, about="Radio interview"),
        "amara_jpy": agree(amara, editor, "5000", "JPY", agreed=20, about="Workshop"),
        "amara_declined": agree(
            amara, editor, "30.00", "EUR", agreed=5, work=Work.ADVISORY, about="Advice"
        ),
        "lucia_overpaid": agree(lucia, editor, "20.00", "GBP", agreed=15, about="Quote"),
    }
    pay(seeded["amara_gbp"], editor, "50.00", paid=35)
    pay(seeded["amara_jpy"], editor, "5000", paid=18)
    pay(seeded["lucia_overpaid"], editor, "25.00", paid=14)
    compensation_services.choose_not_to_be_paid(
        storyteller=amara, agreement=seeded["amara_declined"], user=amara.user
    )
    return seeded


def test_home_shows_compensation_owed_per_currency_oldest_agreement_first(
    editor_client, money_owed
):
    response = editor_client.get(reverse("wagtailadmin_home"))

    panel = soup_of(response).select_one('[data-workspace-panel="compensation_owed"]')
    groups = [
        (
            group["data-currency"],
            words(group.select_one("[data-owed-total]")),
            [words(row) for row in group.select("[data-row]")],
        )
        for group in panel.select("[data-currency]")
    ]
    # Paid, overpaid and declined agreements owe nothing; EUR leads, its debt is oldest.
    assert groups == [
        (
            "EUR",
            "EUR: €200.00 owed",
            [f"Lucía — Speaking: Radio interview · €200.00 owed since {days_ago(60):%-d %B %Y}"],
        ),
        (
            "GBP",
            "GBP: £180.00 owed",
            [
                f"Amara — Speaking: Spring panel · £100.00 owed since {days_ago(40):%-d %B %Y}",
                f"Lucía — A review session: Reading day · £80.00 owed since "
                f"{days_ago(10):%-d %B %Y}",
            ],
        ),
    ]
    assert words(panel.select_one("h2")) == "Compensation owed (3)"


@pytest.fixture
def moderator(db):
    """Staff who moderate stories, and may neither see payments nor record agreements."""
    from django.contrib.auth import get_user_model

    moderator = get_user_model().objects.create_user("moderator", password=PASSWORD)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    return moderator


def test_compensation_owed_is_shown_only_to_people_who_may_see_payments(
    client, money_owed, moderator
):
    client.force_login(moderator)

    response = client.get(reverse("wagtailadmin_home"))

    shown = {
        panel["data-workspace-panel"]
        for panel in soup_of(response).select("[data-workspace-panel]")
    }
    assert "waiting_for_storytellers" in shown  # a ledger reader sees the other panels
    assert "compensation_owed" not in shown
    assert "€200.00" not in response.content.decode()


def test_home_says_when_nothing_is_owed(editor_client, amara, editor):
    paid_up = agree(amara, editor, "40.00", "GBP", agreed=3)
    pay(paid_up, editor, "40.00", paid=1)

    response = editor_client.get(reverse("wagtailadmin_home"))

    panel = soup_of(response).select_one('[data-workspace-panel="compensation_owed"]')
    assert words(panel) == "Compensation owed Nothing is owed to any storyteller."


def report_table(response):
    soup = soup_of(response)
    header = [words(th) for th in soup.select("table.listing thead th")]
    rows = [[words(td) for td in tr.select("td")] for tr in soup.select("table.listing tbody tr")]
    return header, rows


def expected_report_row(pseudonym, work, about, currency, agreed, paid, owed, status, days):
    return [
        pseudonym,
        work,
        about,
        currency,
        agreed,
        paid,
        owed,
        status,
        f"{days_ago(days):%-d %B %Y}",
    ]


SEEDED_REPORT = {
    "lucia_eur": expected_report_row(
        "Lucía", "Speaking", "Radio interview", "EUR", "€200.00", "€0.00", "€200.00", "Owed", 60
    ),
    "amara_gbp": expected_report_row(
        "Amara", "Speaking", "Spring panel", "GBP", "£150.00", "£50.00", "£100.00", "Owed", 40
    ),
    "amara_jpy": expected_report_row(
        "Amara", "Speaking", "Workshop", "JPY", "¥5,000", "¥5,000", "¥0", "Paid", 20
    ),
    "lucia_overpaid": expected_report_row(
        "Lucía",
        "Speaking",
        "Quote",
        "GBP",
        "£20.00",
        "£25.00",
        "-£5.00",
        "Paid more than agreed",
        15,
    ),
    "lucia_gbp": expected_report_row(
        "Lucía", "A review session", "Reading day", "GBP", "£80.00", "£0.00", "£80.00", "Owed", 10
    ),
    "amara_declined": expected_report_row(
        "Amara",
        "Advisory work",
        "Advice",
        "EUR",
        "€30.00",
        "€0.00",
        "€0.00",
        "Chose not to be paid",
        5,
    ),
}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, list(SEEDED_REPORT)),
        ({"status": "owed"}, ["lucia_eur", "amara_gbp", "lucia_gbp"]),
        ({"currency": "GBP"}, ["amara_gbp", "lucia_overpaid", "lucia_gbp"]),
    ],
)
def test_compensation_report_lists_each_agreement_and_its_exports_match_the_list(
    editor_client, money_owed, amara, query, expected
):
    amara.legal_name = "Amara Okonkwo-Legal"
    amara.save()
    PaymentPreference.objects.create(
        storyteller=amara, method=PaymentMethod.CASH, notes="Meet at the SECRET café"
    )
    url = reverse("workspace_compensation")

    page = editor_client.get(url, query)
    header, rows = report_table(page)
    as_csv = editor_client.get(url, {**query, "export": "csv"})
    csv_table = csv_rows(as_csv)
    xlsx_table = xlsx_rows(editor_client.get(url, {**query, "export": "xlsx"}))

    assert rows == [SEEDED_REPORT[name] for name in expected]
    assert csv_table == [header, *rows]
    assert xlsx_table == [header, *rows]
    for body in (page.content.decode(), "\n".join(",".join(row) for row in csv_table)):
        assert "Okonkwo" not in body and "SECRET" not in body


def storyteller_named(pseudonym):
    from consent.models import Storyteller

    return Storyteller.objects.get(pseudonym=pseudonym)


@pytest.fixture
def payment_timings(editor):
    """Storytellers first paid on known days after their first agreement."""
    # (days since the agreement, days after it that the first payment came, or None)
    timings = {
        "Ada": (50, 10),  # in time
        "Bea": (45, 30),  # in time: the thirtieth day still counts
        "Cai": (60, 31),  # late
        "Dev": (40, None),  # never paid, and the 30 days are over
        "Eli": (35, 2),  # in time
        "Fay": (10, None),  # not paid yet, but still within the 30 days: not counted
    }
    for n, (name, (agreed, paid_after)) in enumerate(timings.items()):
        storyteller = make_storyteller(name, f"timing{n}")
        first = agree(storyteller, editor, "100.00", "GBP", agreed=agreed)
        if paid_after is not None:
            pay(first, editor, "100.00", paid=agreed - paid_after)
    # A later agreement doesn't change how soon Ada was first paid.
    agree(storyteller_named("Ada"), editor, "60.00", "EUR", agreed=5)
    # Someone who chose not to be paid is not counted as paid late.
    gus = make_storyteller("Gus", "timing-gus")
    declined = agree(gus, editor, "100.00", "GBP", agreed=70)
    compensation_services.choose_not_to_be_paid(storyteller=gus, agreement=declined, user=gus.user)
    return timings


def test_share_of_storytellers_paid_within_30_days_is_shown_from_five(
    editor_client, payment_timings
):
    response = editor_client.get(reverse("workspace_impact"))

    # Ada, Bea and Eli of the five counted (Fay's 30 days are not over; Gus declined).
    assert figure(response, "paid_within_30_days") == f"{round(100 * 3 / 5)}%"


def test_share_paid_within_30_days_from_fewer_than_five_storytellers_is_not_shown(
    editor_client, editor
):
    for n in range(4):
        storyteller = make_storyteller(f"Few{n}", f"few{n}")
        pay(agree(storyteller, editor, "10.00", "GBP", agreed=40), editor, "10.00", paid=39)

    response = editor_client.get(reverse("workspace_impact"))

    assert soup_of(response).select("[data-figure]") == []
    assert impact_text(response).count("Not enough people yet to show this.") == 1
    assert "100" not in impact_text(response)


def test_story_editor_side_panel_shows_the_storys_compensation_beside_its_consent(
    editor_client, make_story, amara, editor
):
    story = make_story(amara, slug="paid-story", title="Paid in full")
    approve(story, amara)
    agreement = story.agreements.get()
    pay(agreement, editor, agreement.total, paid=0)

    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    soup = soup_of(response)
    assert soup.select("[data-consent-scope] [data-scope]")
    status = words(soup.select_one("[data-compensation-status]"))
    assert "Telling a story : £150.00 agreed, £150.00 paid, £0.00 still owed — Paid." in status


def test_an_editor_records_a_members_advisory_review_as_paid_advisory_work(
    editor_client, advisory_member, campaign_in_review
):
    member_approves(advisory_member, campaign_in_review)

    report = soup_of(editor_client.get(reverse("workspace_advisory_reviews")))
    (row,) = report.select("table.listing tbody tr")
    assert [words(td) for td in row.select("td")][:2] == ["Advised campaign", "Nadia"]
    link = row.select_one("a")
    assert words(link) == "Record as paid advisory work"

    form_page = editor_client.get(link["href"])
    data = querydict_from_html(form_page.content.decode(), form_id="w-editor-form")
    data["amount"] = "25.00"
    data["hours"] = "2"
    response = editor_client.post(link["href"], data)

    assert response.status_code == 302
    agreement = advisory_member.agreements.get()
    assert agreement.work == Work.ADVISORY
    assert agreement.description == "Advisory review of “Advised campaign”"
    assert agreement.total == Decimal("50.00")


@pytest.mark.parametrize("report", ["workspace_compensation", "workspace_advisory_reviews"])
@pytest.mark.parametrize(
    ("person", "sent_to"),
    # Wagtail sends staff without the right to its dashboard; a storyteller, to her portal.
    [("moderator", "wagtailadmin_home"), ("amara", "portal:home")],
)
def test_staff_without_the_right_and_storytellers_are_sent_away_from_the_money_reports(
    client, request, money_owed, report, person, sent_to
):
    person = request.getfixturevalue(person)
    client.force_login(getattr(person, "user", person))

    response = client.get(reverse(report))

    assert response.status_code == 302 and response["Location"] == reverse(sent_to)
    assert "Radio interview" not in response.content.decode()

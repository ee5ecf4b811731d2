"""The editors' side of the review loop in the Wagtail admin (issue 13, item 9).

Each test goes through the admin's own views with the Django test client and reads the page
the way an editor reads it.
"""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from consent import services

from tests.conftest import approve

pytestmark = pytest.mark.django_db


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def words(node):
    return " ".join(node.get_text(" ").split())


@pytest.fixture
def stories_in_every_state(story_in_state, amara, lucia):
    """One story in each consent status an editor can find, keyed by title."""
    listed = {
        "The first draft": ("Amara", "Not sent to the storyteller yet"),
        "The night train": ("Lucía", "Waiting for the storyteller"),
        "The letter home": ("Amara", "Changes asked"),
        "The orchard": ("Lucía", "Approved — not published"),
        "The garden": ("Amara", "Published"),
        "The bakery": ("Amara", "Withdrawn"),
        "The harbour": ("Lucía", "Consent ended"),
    }
    people = {"Amara": amara, "Lucía": lucia}
    states = ("draft", "waiting", "changes", "approved", "published", "withdrawn", "ended")
    for (title, (name, _status)), state in zip(listed.items(), states, strict=True):
        story_in_state(people[name], state, title=title, slug=state)
    return listed


def listing_rows(response):
    """{title: (storyteller, consent status)} as the Stories listing shows them."""
    table = soup_of(response).select_one("table.listing")
    headings = [words(th) for th in table.select("thead th")]
    storyteller_at = headings.index("Storyteller")
    consent_at = headings.index("Consent")
    rows = {}
    for row in table.select("tbody tr"):
        cells = row.find_all("td", recursive=False)
        title = words(row.select_one(".title-wrapper a") or cells[1])
        rows[title] = (words(cells[storyteller_at]), words(cells[consent_at]))
    return rows


def test_the_stories_listing_shows_each_storys_consent_and_storyteller(
    client, editor, stories_in_every_state
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"))

    assert response.status_code == 200
    assert listing_rows(response) == stories_in_every_state


@pytest.mark.parametrize(
    "status, titles",
    [
        ("draft", {"The first draft"}),
        ("waiting", {"The night train"}),
        ("changes", {"The letter home"}),
        ("approved", {"The orchard"}),
        ("published", {"The garden"}),
        ("withdrawn", {"The bakery"}),
        ("ended", {"The harbour"}),
    ],
)
def test_the_stories_listing_filters_on_consent(
    client, editor, stories_in_every_state, status, titles
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"), {"consent_status": status})

    assert set(listing_rows(response)) == titles


def test_the_stories_listing_filters_on_the_storyteller(
    client, editor, lucia, stories_in_every_state
):
    client.force_login(editor)

    response = client.get(reverse("stories_listing:index"), {"storyteller": lucia.pk})

    assert set(listing_rows(response)) == {"The night train", "The orchard", "The harbour"}
    both = client.get(
        reverse("stories_listing:index"), {"storyteller": lucia.pk, "consent_status": "ended"}
    )
    assert listing_rows(both) == {"The harbour": ("Lucía", "Consent ended")}


# A campaign whose story was withdrawn.


@pytest.fixture
def campaign_with_a_withdrawn_story(campaign_index, make_story, amara, lucia):
    from stories.models import CampaignPage, CampaignStory, StoryPage

    stories = []
    for storyteller, slug, title in ((amara, "bakery", "The bakery"), (lucia, "mill", "The mill")):
        story = make_story(storyteller, slug=slug, title=title)
        approve(story, storyteller)
        story.get_latest_revision().publish()
        stories.append(StoryPage.objects.get(pk=story.pk))
    campaign = campaign_index.add_child(instance=CampaignPage(title="Spring", slug="spring"))
    for order, story in enumerate(stories):
        CampaignStory.objects.create(campaign=campaign, story=story, sort_order=order)
    campaign.save_revision().publish()
    services.withdraw_story(story=stories[0], user=amara.user)
    return CampaignPage.objects.get(pk=campaign.pk), stories


def _story_rows(response):
    soup = soup_of(response)
    rows = []
    for select in soup.select("select[name^='campaign_stories-'][name$='-story']"):
        if "__prefix__" in select["name"]:
            continue
        chosen = select.select_one("option[selected]")
        rows.append(words(chosen) if chosen else "")
    return rows


def test_a_campaign_row_for_a_withdrawn_story_is_named_and_the_campaign_still_saves(
    client, editor, campaign_with_a_withdrawn_story
):
    from wagtail.test.utils.form_data import querydict_from_html

    from stories.models import CampaignPage

    campaign, (bakery, mill) = campaign_with_a_withdrawn_story
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[campaign.pk])

    page = client.get(url)

    assert _story_rows(page) == [
        "The bakery — Withdrawn by its storyteller — remove this row",
        "The mill",
    ]
    assert "Withdrawn by its storyteller — remove this row" in words(soup_of(page))
    data = querydict_from_html(page.content.decode(), form_id="page-edit-form")
    saved = client.post(url, data)
    assert saved.status_code == 302
    assert saved["Location"] == url

    # Removable: the editor removes the row and saves again.
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["campaign_stories-0-DELETE"] = "1"
    removed = client.post(url, data)
    assert removed.status_code == 302
    assert [
        item.story_id
        for item in CampaignPage.objects.get(pk=campaign.pk)
        .get_latest_revision_as_object()
        .campaign_stories.all()
    ] == [mill.pk]


def test_a_withdrawn_story_cannot_be_chosen_for_another_row(
    client, editor, campaign_with_a_withdrawn_story
):
    from wagtail.test.utils.form_data import querydict_from_html

    campaign, (bakery, mill) = campaign_with_a_withdrawn_story
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[campaign.pk])
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["campaign_stories-1-story"] = str(bakery.pk)

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "has not agreed to it appearing here, or no longer does" in words(soup_of(refused))


# One publish path for a story in review, and a confirmation before cancelling a review.


def _action_menu(response):
    """The labels of the edit page's footer actions, as the editor sees them."""
    menu = soup_of(response).select_one("footer")
    items = menu.select(
        "button.action-save, button[name^='action-'], button[data-workflow-action-name], a.button"
    )
    return [words(item) for item in items]


@pytest.fixture
def at_editors_sign_off(make_story, amara, review_workflow, editor):
    """Amara approved the version sent to her; the editors' sign-off is next."""
    from stories.models import StoryPage

    story = make_story(amara, slug="signoff", title="The river")
    review_workflow.start(story, editor)
    approve(story, amara)
    story = StoryPage.objects.get(pk=story.pk)
    assert story.current_workflow_task_state.task.name == "Editors' sign-off"
    return story


def test_a_story_in_review_has_one_publish_path_approve_and_publish(
    client, editor, at_editors_sign_off
):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[at_editors_sign_off.pk])

    menu = _action_menu(client.get(url))

    # No "Publish": the one way to publish is the editors' approval, which publishes the
    # version Amara approved.
    assert menu == [
        "Save draft",
        "Cancel the review",
        "Request changes",
        "Approve and publish",
        "Approve with comment and publish",
    ]


def test_outside_a_review_an_approved_story_is_published_with_publish(
    client, editor, make_story, amara
):
    story = make_story(amara, slug="in-person", title="The well")
    approve(story, amara)  # approved, no review under way (as after an in-person record)
    client.force_login(editor)

    menu = _action_menu(client.get(reverse("wagtailadmin_pages:edit", args=[story.pk])))

    assert "Publish" in menu
    assert not [label for label in menu if "Approve" in label]


def test_publish_posted_for_a_story_in_review_is_refused_and_the_review_goes_on(
    client, editor, at_editors_sign_off
):
    from wagtail.test.utils.form_data import querydict_from_html

    from stories.models import StoryPage

    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[at_editors_sign_off.pk])
    data = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
    data["action-publish"] = "action-publish"

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "This story is in review. Publish it with “Approve and publish”" in words(
        soup_of(refused)
    )
    story = StoryPage.objects.get(pk=at_editors_sign_off.pk)
    assert not story.live
    assert story.current_workflow_task_state.task.name == "Editors' sign-off"


def test_approve_and_publish_publishes_the_version_she_approved(
    client, editor, at_editors_sign_off
):
    from stories.models import StoryPage

    client.force_login(editor)
    state = at_editors_sign_off.current_workflow_task_state
    approved = state.revision_id

    client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[at_editors_sign_off.pk, "approve", state.pk],
        ),
        {"comment": ""},
    )

    story = StoryPage.objects.get(pk=at_editors_sign_off.pk)
    assert story.live and story.live_revision_id == approved
    assert story.current_workflow_state is None


def test_bulk_publish_skips_a_story_in_review(client, editor, at_editors_sign_off):
    from stories.models import StoryPage

    client.force_login(editor)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])

    client.post(f"{url}?id={at_editors_sign_off.pk}", {})

    story = StoryPage.objects.get(pk=at_editors_sign_off.pk)
    assert not story.live
    assert story.current_workflow_task_state.task.name == "Editors' sign-off"


def test_cancelling_a_review_asks_first(client, editor, make_story, amara, review_workflow):
    from stories.models import StoryPage

    story = make_story(amara, slug="waiting", title="The night train")
    review_workflow.start(story, editor)
    client.force_login(editor)
    edit = reverse("wagtailadmin_pages:edit", args=[story.pk])
    cancel = reverse("stories_confirm_cancel_review", args=[story.pk])

    link = soup_of(client.get(edit)).select_one(f'a[href="{cancel}"]')
    assert words(link) == "Cancel the review"
    asked = client.get(cancel)
    assert asked.status_code == 200
    question = soup_of(asked).select_one("[data-confirm-cancel-review]")
    assert "You are about to cancel the review of “The night train”." in words(question)
    assert "The storyteller will no longer find this version to read" in words(question)
    assert question.select_one("[data-keep]")["href"] == edit
    assert StoryPage.objects.get(pk=story.pk).current_workflow_state is not None  # not yet

    confirmed = client.post(cancel)

    assert confirmed.status_code == 302 and confirmed["Location"] == edit
    assert StoryPage.objects.get(pk=story.pk).current_workflow_state is None
    assert services.open_review(story) is None


def test_wagtails_own_cancel_from_the_edit_page_asks_first_too(
    client, editor, make_story, amara, review_workflow
):
    """The edit form's "action-cancel-workflow" (Wagtail's button, or a hand-made POST)
    would cancel her review at once: it is sent to the question instead."""
    from wagtail.test.utils.form_data import querydict_from_html

    from stories.models import StoryPage

    story = make_story(amara, slug="waiting", title="The night train")
    review_workflow.start(story, editor)
    client.force_login(editor)
    edit = reverse("wagtailadmin_pages:edit", args=[story.pk])
    cancel = reverse("stories_confirm_cancel_review", args=[story.pk])
    data = querydict_from_html(client.get(edit).content.decode(), form_id="page-edit-form")
    data["title"] = "A title typed before cancelling"
    data["action-cancel-workflow"] = "Cancel workflow"
    revisions = story.revisions.count()

    sent = client.post(edit, data)

    assert sent.status_code == 302 and sent["Location"] == cancel
    story = StoryPage.objects.get(pk=story.pk)
    assert story.current_workflow_state is not None
    assert services.open_review(story) is not None  # still hers to read
    assert story.revisions.count() == revisions  # nothing saved on the way
    assert "You are about to cancel the review" in words(soup_of(client.get(cancel)))


def test_an_editor_who_may_not_cancel_a_review_gets_a_plain_403(
    client, make_story, amara, review_workflow, editor, page_editor
):
    from stories.models import StoryPage

    story = make_story(amara, slug="waiting", title="The night train")
    review_workflow.start(story, editor)
    client.force_login(page_editor)

    refused = client.post(reverse("stories_confirm_cancel_review", args=[story.pk]))

    assert refused.status_code == 403
    assert StoryPage.objects.get(pk=story.pk).current_workflow_state is not None


# Recording an agreement from a story returns to the story.


def _agreement_form(client, url):
    from wagtail.test.utils.form_data import querydict_from_html

    page = client.get(url)
    assert page.status_code == 200
    data = querydict_from_html(page.content.decode(), form_id="w-editor-form")
    data.update({"amount": "150.00", "currency": "GBP", "description": "Her story"})
    action = soup_of(page).select_one("form#w-editor-form")["action"]
    return action, data


def test_recording_an_agreement_from_a_story_returns_to_the_story(
    client, editor, make_story, amara
):
    from compensation.models import Agreement

    story = make_story(amara, slug="unpaid", agreement=False)
    client.force_login(editor)
    story_url = reverse("wagtailadmin_pages:edit", args=[story.pk])
    link = soup_of(client.get(story_url)).select_one("[data-record-agreement]")["href"]

    action, data = _agreement_form(client, link)
    saved = client.post(action, data)

    assert saved.status_code == 302
    assert saved["Location"] == story_url
    assert Agreement.objects.get(story=story).storyteller == amara


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/agreements/", "//evil.example/", "javascript:alert(1)"],
)
def test_an_agreements_return_address_off_the_site_is_refused(
    client, editor, make_story, amara, next_url
):
    from urllib.parse import urlencode

    from compensation.models import Agreement

    story = make_story(amara, slug="unpaid", agreement=False)
    client.force_login(editor)
    query = urlencode({"story": story.pk, "next": next_url})

    action, data = _agreement_form(client, reverse("compensation_agreements:add") + "?" + query)
    saved = client.post(action, data)

    assert saved.status_code == 302
    assert saved["Location"] == reverse("compensation_agreements:index")
    assert "evil" not in action and "javascript" not in action
    assert Agreement.objects.filter(story=story).count() == 1


def test_content_warnings_and_topics_are_tick_boxes(client, editor, make_story, amara):
    from stories.models import ContentWarning, StoryPage, Topic

    violence = ContentWarning.objects.create(name="Violence")
    ContentWarning.objects.create(name="Abuse")
    work = Topic.objects.create(name="Work", slug="work")
    story = make_story(amara, slug="ticks")
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:edit", args=[story.pk])

    page = soup_of(client.get(url))

    for name in ("content_warnings", "topics"):
        assert page.select_one(f"select[name={name}]") is None
    boxes = page.select("input[type=checkbox][name=content_warnings]")
    assert sorted(words(page.select_one(f"label[for={box['id']}]")) for box in boxes) == [
        "Abuse",
        "Violence",
    ]
    assert [box["value"] for box in page.select("input[type=checkbox][name=topics]")] == [
        str(work.pk)
    ]

    from wagtail.test.utils.form_data import querydict_from_html

    data = querydict_from_html(str(client.get(url).content.decode()), form_id="page-edit-form")
    data.setlist("content_warnings", [str(violence.pk)])
    data.setlist("topics", [str(work.pk)])
    assert client.post(url, data).status_code == 302
    saved = StoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    assert [warning.name for warning in saved.content_warnings.all()] == ["Violence"]
    assert [topic.name for topic in saved.topics.all()] == ["Work"]


def test_the_impact_page_has_the_admins_own_header(client, editor):
    client.force_login(editor)

    page = soup_of(client.get(reverse("workspace_impact")))

    header = page.select_one("header")
    assert header is not None
    assert words(header.select_one("h1")) == "Impact"
    assert page.select_one("title").get_text().startswith("Impact")
    assert words(page.select_one("[data-not-enough]")) == (
        "Not enough people yet to show this. Every figure here comes from at least 5 people, "
        "so that no one can be singled out."
    )
    assert words(page.select_one("main")).count("fewer than 5") == 0


@pytest.mark.parametrize("door", ["publish action", "update with publish"])
def test_the_api_cannot_publish_a_story_in_review_either(client, editor, at_editors_sign_off, door):
    from wagtail.models import APIToken

    from stories.models import StoryPage

    _token, plaintext = APIToken.create_token(user=editor, name="newsroom integration")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {plaintext}"
    story_id = at_editors_sign_off.pk

    if door == "publish action":
        response = client.post(f"/api/v3/pages/{story_id}/actions/publish/")
    else:
        response = client.patch(
            f"/api/v3/pages/{story_id}/",
            {"meta": {"type": "stories.StoryPage", "action": "publish"}, "title": "The river"},
            content_type="application/json",
        )

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This story is in review. Publish it with “Approve and publish” once its storyteller "
        "has approved it, or cancel the review first."
    )
    story = StoryPage.objects.get(pk=story_id)
    assert not story.live
    assert story.current_workflow_task_state.task.name == "Editors' sign-off"

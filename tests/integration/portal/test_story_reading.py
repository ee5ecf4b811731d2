"""Her story page, read from her side: the conversation, what changed, receipts, her data.

Each page goes through the portal's real views with the test client (PortalClient refuses
jargon on every page it reads), as her and as someone else.
"""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from consent import selectors, services
from consent.exceptions import StoryChanged
from consent.models import ConsentEntry, EditorReply, StoryReading
from stories.models import StoryPage

from tests.conftest import approve
from tests.integration.consent.test_review_shows_everything import CHANGES, everything, latest  # noqa: F401
from tests.portal_flow import (
    PortalClient,
    approve_in_portal,
    choose,
    page_form,
    signed_in,
    start_deciding,
    text_of,
)

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX = re.compile(r"\b[0-9a-f]{32,}\b")
CODE_WORDS = re.compile(r"\b(UTC|JSON|Pseudonym|Fingerprint|GBP)\b")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def reload(story):
    return StoryPage.objects.get(pk=story.pk)


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def visible_text(response):
    """What she sees before opening anything: closed <details> bodies left out."""
    soup = soup_of(response)
    for invisible in soup(["script", "style"]):
        invisible.decompose()
    for details in soup.find_all("details"):
        for child in list(details.children):
            if getattr(child, "name", None) != "summary":
                child.extract()
    return " ".join(soup.get_text(" ").split())


def editor_saves(story, editor, **fields):
    draft = reload(story).get_latest_revision_as_object()
    for name, value in fields.items():
        setattr(draft, name, value)
    return draft.save_revision(user=editor)


@pytest.fixture
def reading(make_story_in_review, amara):
    """Amara's story, sent to her to read."""
    body = "<p>They kept a small dog at the gate.</p>"
    return make_story_in_review(
        amara, slug="the-orchard", title="The orchard", summary="How I got away.", body=body
    )


# -- the conversation ------------------------------------------------------------------------


def test_her_requests_and_the_editors_replies_are_on_her_story_page_in_order(
    amara, editor, reading
):
    review = services.open_review(reading)
    services.request_changes(
        story=reading, revision=review.revision, user=amara.user, message="Take out the dog."
    )
    services.reply_to_storyteller(story=reading, editor=editor, text="Done, please read it.")

    response = signed_in(amara).get(reverse("portal:story", args=[reading.pk]))

    assert response.status_code == 200
    conversation = soup_of(response).select_one("[data-conversation]")
    said = [
        (item["data-from"], " ".join(item.select_one(".message-text").get_text(" ").split()))
        for item in conversation.select("li")
    ]
    assert said == [("you", "Take out the dog."), ("editors", "Done, please read it.")]


def test_hostile_markup_in_the_conversation_is_shown_as_words_and_never_runs(
    amara, editor, reading
):
    review = services.open_review(reading)
    # Stored raw, as if it got past cleaning: the page must still escape it.
    services.request_changes(
        story=reading, revision=review.revision, user=amara.user, message=f"Mine {HOSTILE}"
    )
    EditorReply.objects.create(story=reading, written_by=editor, text=f"Theirs {HOSTILE}")

    response = signed_in(amara).get(reverse("portal:story", args=[reading.pk]))

    conversation = soup_of(response).select_one("[data-conversation]")
    assert conversation.find("script") is None
    assert conversation.find("img") is None
    assert conversation.get_text().count('<script>alert("x")</script>') == 2
    assert "&lt;script&gt;" in str(conversation)


# -- what changed since she last read it -----------------------------------------------------


def test_opening_her_story_records_which_version_she_read(amara, reading):
    signed_in(amara).get(reverse("portal:story", args=[reading.pk]))

    revision = services.open_review(reading).revision
    read = StoryReading.objects.get(storyteller=amara, story=reading)
    assert read.revision_id == revision.pk
    assert read.content_hash == selectors.revision_content_hash(revision)


def test_what_changed_since_she_last_read_it_shows_each_word_removed_and_added(
    amara, editor, reading
):
    client = signed_in(amara)
    client.get(reverse("portal:story", args=[reading.pk]))
    editor_saves(reading, editor, body="<p>They kept a little dog at the gate.</p>")
    assert services.open_review(reload(reading)).revision_id == (
        reload(reading).get_latest_revision().pk
    )

    story_page = client.get(reverse("portal:story", args=[reading.pk]))
    url = reverse("portal:what_changed", args=[reading.pk]) + "?since=read"
    assert f'href="{url}"' in story_page.content.decode()
    response = client.get(url)

    assert response.status_code == 200
    changes = soup_of(response).select_one(".what-changed")
    assert [h3.get_text() for h3 in changes.select("h3")] == ["Your story"]
    assert [tag.get_text() for tag in changes.select("del")] == ["removed: small"]
    assert [tag.get_text() for tag in changes.select("ins")] == ["added: little"]
    assert "smalllittle" not in changes.get_text()
    for hidden in changes.select(".visually-hidden"):
        hidden.decompose()
    assert "They kept a small little dog at the gate." in " ".join(changes.get_text().split())


def test_what_changed_since_she_asked_for_changes(amara, editor, reading):
    client = signed_in(amara)
    asked = services.open_review(reading).revision
    services.request_changes(
        story=reading, revision=asked, user=amara.user, message="Not the town's name."
    )
    editor_saves(reading, editor, summary="How I left.")
    reload(reading).current_workflow_state.resume(editor)  # the admin's "Resubmit"

    response = client.get(reverse("portal:what_changed", args=[reading.pk]) + "?since=asked")

    changes = soup_of(response).select_one(".what-changed")
    assert [h3.get_text() for h3 in changes.select("h3")] == ["Summary"]
    assert [tag.get_text() for tag in changes.select("del")] == ["removed: got away."]
    assert [tag.get_text() for tag in changes.select("ins")] == ["added: left."]


def test_with_nothing_read_before_she_is_told_there_is_nothing_to_compare(amara, reading):
    response = signed_in(amara).get(
        reverse("portal:what_changed", args=[reading.pk]) + "?since=read"
    )

    assert response.status_code == 200
    assert soup_of(response).select_one("[data-nothing-to-compare]") is not None
    assert "You haven't read an earlier version of this story here" in text_of(response)


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_what_changed_since_she_last_read_it_covers_every_field_readers_get(
    everything,  # noqa: F811
    amara,
    review_workflow,
    editor,
    key,
):
    approve(everything, amara, image_allowed=True)
    review_workflow.start(reload(everything), editor)
    client = signed_in(amara)
    client.get(reverse("portal:story", args=[everything.pk]))
    change, added = CHANGES[key]
    draft = latest(everything)
    change(draft)
    draft.save_revision(user=editor)  # sent to her at once

    response = client.get(reverse("portal:what_changed", args=[everything.pk]) + "?since=read")

    changes = soup_of(response).select_one(".what-changed")
    assert changes is not None, key
    assert len(changes.select("h3")) == 1, key
    if added is not None:
        inserted = " ".join(tag.get_text(" ") for tag in changes.select("ins"))
        assert added in inserted or (key == "slug" and added in changes.get_text()), key


def the_decide_button_on_her_story_page(client, story):
    """At the start of her decision: "Decide about this version" on the page she has open."""
    start_url = reverse("portal:decide_start", args=[story.pk])
    return start_url, page_form(client.get(reverse("portal:story", args=[story.pk])), start_url)


def confirming_check_your_answers(client, story):
    """Where her approval is recorded: every answer given, "check your answers" open."""
    approve_in_portal(client, story, follow=False, stop_at_check=True)
    check_url = reverse("portal:approve_check", args=[story.pk])
    return check_url, page_form(client.get(check_url))


@pytest.mark.parametrize(
    "open_form", [the_decide_button_on_her_story_page, confirming_check_your_answers]
)
def test_a_decision_begun_before_a_new_version_came_is_refused_and_records_nothing(
    amara, editor, reading, open_form
):
    """The form she has open was for the old version; the new one arrives; sending it
    starts or records nothing, and she reads the new version."""
    client = signed_in(amara)
    url, data = open_form(client, reading)
    editor_saves(reading, editor, body="<p>They kept a little dog at the gate.</p>")

    response = client.post(url, data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("portal:story", args=[reading.pk]), 302)]
    assert not ConsentEntry.objects.filter(story_id=reading.pk).exists()
    text = text_of(response)
    assert "Your story changed while you were deciding, so we stopped." in text
    assert "little dog" in text  # what she reads now is the new version


def test_the_ledger_refuses_an_approval_of_a_version_the_editors_replaced(amara, editor, reading):
    """Under the story's lock: the words she read are unchanged (their hash still matches),
    but the editors sent her a newer version, so approving the old one is refused."""
    read = reload(reading).get_latest_revision()
    read_hash = selectors.revision_content_hash(read)
    editor_saves(reading, editor, body="<p>They kept a little dog at the gate.</p>")
    assert selectors.open_review_revision(reload(reading)).pk != read.pk

    with pytest.raises(StoryChanged):
        services.approve_story(
            story=reload(reading),
            revision=read,
            user=amara.user,
            scope=services.Scope(channels=("website",), byline="pseudonym"),
            expected_hash=read_hash,
        )
    with pytest.raises(StoryChanged):
        services.request_changes(
            story=reload(reading),
            revision=read,
            user=amara.user,
            message="Please leave out the dog.",
            expected_hash=read_hash,
        )

    assert not ConsentEntry.objects.filter(story_id=reading.pk).exists()


def test_a_request_for_changes_to_a_version_the_editors_replaced_meanwhile_is_refused(
    amara, editor, reading, monkeypatch
):
    """As her approval is: she sends her request from the page she had open, the editors'
    new version is saved after the page checked hers and before the ledger records, and
    nothing is recorded; she is told, and reads the new version."""
    client = signed_in(amara)
    start_deciding(client, reading)
    choose(client, reading, "changes")
    url = reverse("portal:request_changes", args=[reading.pk])
    data = page_form(client.get(url))
    data["message"] = ["Please leave out the dog."]
    request_changes = services.request_changes

    def new_version_first(*, story, **decision):
        editor_saves(story, editor, body="<p>They kept a little dog at the gate.</p>")
        return request_changes(story=story, **decision)

    monkeypatch.setattr(services, "request_changes", new_version_first)

    response = client.post(url, data, follow=True)

    assert response.redirect_chain == [(reverse("portal:story", args=[reading.pk]), 302)]
    assert not ConsentEntry.objects.filter(story_id=reading.pk).exists()
    text = text_of(response)
    assert "Your story changed while you were deciding, so we stopped." in text
    assert "little dog" in text
    review = services.open_review(reload(reading))
    assert review is not None  # the new version still waits for her
    assert selectors.open_review_revision(reload(reading)) == reload(reading).get_latest_revision()


# -- true statuses, shown ---------------------------------------------------------------------


def test_her_story_page_says_the_website_still_shows_her_earlier_version(
    amara, editor, published_story, review_workflow
):
    editor_saves(published_story, editor, summary="A newer summary.")
    review_workflow.start(reload(published_story), editor)

    text = text_of(signed_in(amara).get(reverse("portal:story", args=[published_story.pk])))
    home = text_of(signed_in(amara).get(reverse("portal:home")))

    assert "Ready for you to read" in text
    assert "The website still shows your earlier version, the one you approved." in text
    assert "The website still shows your earlier version, the one you approved." in home
    assert "Published — on the website" not in text


# -- receipts in words ------------------------------------------------------------------------


def test_a_receipt_is_in_words_with_the_codes_under_technical_details(amara, published_story):
    entry = published_story.consent_entries.get()

    response = signed_in(amara).get(reverse("portal:receipt", args=[entry.receipt_id]))

    assert response.status_code == 200
    seen = visible_text(response)
    assert "You approved your story." in seen
    assert "By the name you chose: Amara" in seen
    assert "Until you withdraw it." in seen
    assert not UUID.search(seen) and not HEX.search(seen), seen
    assert not CODE_WORDS.search(seen), CODE_WORDS.search(seen)
    technical = soup_of(response).select_one("details.technical")
    assert technical.select_one("summary").get_text(strip=True) == "Technical details"
    assert str(entry.receipt_id) in technical.get_text()
    assert entry.content_hash in technical.get_text()


def test_my_decisions_gives_dates_in_words_without_zone_codes(amara, published_story):
    response = signed_in(amara).get(reverse("portal:history"))

    assert "UTC" not in visible_text(response)


# -- her data, with a warning and a readable form ---------------------------------------------


def test_my_data_warns_before_it_is_seen_and_offers_a_readable_form_and_a_file(
    amara, published_story
):
    home = signed_in(amara).get(reverse("portal:home"))
    assert f'href="{reverse("portal:my_data")}"' in home.content.decode()

    response = signed_in(amara).get(reverse("portal:my_data"))

    assert response.status_code == 200
    text = text_of(response)
    assert "It has your legal name" in text
    assert "Keep it only on a phone or computer nobody else uses" in text
    links = {a["href"] for a in soup_of(response).find_all("a")}
    assert {reverse("portal:my_data_readable"), reverse("portal:export")} <= links
    assert not CODE_WORDS.search(visible_text(response))


def test_the_readable_form_holds_her_private_details_and_only_hers(amara, lucia, make_story):
    amara.legal_name = "Amara Okonkwo-Test"
    amara.save()
    hers = make_story(amara, slug="hers", title="Quillmoravec crossing")
    approve(hers, amara)
    make_story(lucia, slug="lucias", title="Lucía's market stall")

    mine = signed_in(amara).get(reverse("portal:my_data_readable"))
    theirs = signed_in(lucia).get(reverse("portal:my_data_readable"))

    assert mine.status_code == theirs.status_code == 200
    assert "no-store" in [part.strip() for part in mine["Cache-Control"].split(",")]
    assert "Amara Okonkwo-Test" in text_of(mine)
    assert "Quillmoravec crossing" in text_of(mine)
    assert "Lucía's market stall" not in text_of(mine)
    assert "Amara Okonkwo-Test" not in text_of(theirs)
    assert "Quillmoravec" not in text_of(theirs)
    assert "Lucía's market stall" in text_of(theirs)
    assert not UUID.search(visible_text(mine)) and not HEX.search(visible_text(mine))
    assert not CODE_WORDS.search(visible_text(mine)), CODE_WORDS.search(visible_text(mine))


# -- nobody else's -----------------------------------------------------------------------------


def test_another_storyteller_gets_nothing_of_hers(amara, lucia, editor, published_story):
    entry = published_story.consent_entries.get()
    lucia_client = signed_in(lucia)

    assert lucia_client.get(reverse("portal:story", args=[published_story.pk])).status_code == 404
    assert (
        lucia_client.get(reverse("portal:what_changed", args=[published_story.pk])).status_code
        == 404
    )
    assert lucia_client.get(reverse("portal:receipt", args=[entry.receipt_id])).status_code == 404
    assert (
        lucia_client.get(reverse("portal:receipt_json", args=[entry.receipt_id])).status_code == 404
    )
    exported = lucia_client.get(reverse("portal:export"))
    assert exported.status_code == 200
    assert published_story.title not in exported.content.decode()
    assert str(entry.receipt_id) not in exported.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in_for_her_pages(published_story):
    for url in (
        reverse("portal:what_changed", args=[published_story.pk]),
        reverse("portal:my_data"),
        reverse("portal:my_data_readable"),
    ):
        response = PortalClient().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("portal:login")), url


# -- staying safe ------------------------------------------------------------------------------


def test_staying_safe_is_open_to_anyone_and_linked_from_her_home(amara):
    signed_out = PortalClient().get(reverse("portal:staying_safe"))
    home = signed_in(amara).get(reverse("portal:home"))

    assert signed_out.status_code == 200
    text = text_of(signed_out)
    for heading in (
        "Leaving quickly",
        "Clearing your browser's history",
        "Shared phones and computers",
        "Who to contact",
    ):
        assert heading in text
    assert f'href="{reverse("portal:staying_safe")}"' in home.content.decode()

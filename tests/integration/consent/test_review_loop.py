"""The review loop from the editors' side: a new version reaches her, replies reach her.

An editor's "Save draft" while the storyteller is reading a version sends her the new
version (her review moves to it and she is told something is ready); the admin says so, and
its consent panel never says it waits for her on a version she can't see. Editors answer
her requests for changes from the admin; she reads the conversation in order.
"""

from datetime import timedelta
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.models import Revision, TaskState
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from consent import selectors, services
from consent.models import EditorReply, Notification
from consent.selectors import today
from stories.models import STORY_RICH_TEXT_FEATURES, StoryPage

from tests.conftest import admin_edit_form, admin_edit_url, approve, words_on

pytestmark = pytest.mark.django_db

NEW_WORDS = "<p>The editor's newer words about the orchard.</p>"


def save_draft(client, story, **typed):
    """The editor types into the story's edit page and clicks Save draft."""
    return client.post(admin_edit_url(story), admin_edit_form(client, story, **typed), follow=True)


def reload(story):
    return StoryPage.objects.get(pk=story.pk)


def ready_notes(storyteller):
    return Notification.objects.filter(
        recipient=storyteller.user, kind=Notification.Kind.READY_FOR_STORYTELLER
    ).count()


def consent_panel(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return " ".join(soup.select_one("[data-consent-status]").get_text(" ").split())


@pytest.fixture
def under_review(make_story, amara, review_workflow, editor, django_capture_on_commit_callbacks):
    story = make_story(amara, slug="under-review", title="At the orchard")
    with django_capture_on_commit_callbacks(execute=True):
        review_workflow.start(story, editor)
    return reload(story)


# -- an editor's Save draft during her review -------------------------------------------------


def test_save_draft_during_her_review_sends_her_the_new_version(
    client, editor, amara, under_review, django_capture_on_commit_callbacks
):
    first = services.open_review(under_review)
    told_before = ready_notes(amara)
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = save_draft(client, under_review, body=NEW_WORDS)

    assert response.status_code == 200
    story = reload(under_review)
    latest = story.get_latest_revision()
    assert latest.pk != first.revision_id
    # Her review is now of the new version; the old one is over, not left waiting.
    review = services.open_review(story)
    assert review.revision_id == latest.pk
    assert TaskState.objects.get(pk=first.pk).status == TaskState.STATUS_CANCELLED
    assert selectors.version_to_read(story).pk == latest.pk
    # She is told (only) that something is ready, once.
    assert ready_notes(amara) == told_before + 1
    # The editor is told, in the admin, that it went to her.
    assert (
        "Amara was reading an earlier version. This new version was sent to them instead"
        in words_on(response)
    )
    panel = consent_panel(response)
    assert "Amara has this version to read." in panel


def test_she_reads_the_new_words_and_her_approval_of_them_lets_them_be_published(
    client, editor, amara, under_review
):
    client.force_login(editor)
    save_draft(client, under_review, body=NEW_WORDS)
    story = reload(under_review)

    read = selectors.version_to_read(story).as_object()
    assert "newer words about the orchard" in read.body
    services.approve_story(
        story=story,
        revision=story.get_latest_revision(),
        user=amara.user,
        scope=services.Scope(channels=("website",), byline=StoryPage.Byline.PSEUDONYM),
    )
    assert selectors.publication_verdict(reload(story).get_latest_revision_as_object()).allowed


def test_save_draft_with_no_review_under_way_says_she_has_not_been_sent_it(
    client, editor, amara, make_story
):
    story = make_story(amara, slug="not-sent")
    client.force_login(editor)

    response = save_draft(client, story, body=NEW_WORDS)

    assert services.open_review(reload(story)) is None
    panel = consent_panel(response)
    assert "Amara hasn't been sent this version yet. Submit it for review" in panel
    assert "was sent to them instead" not in words_on(response)


def test_the_panel_never_says_it_waits_for_her_on_a_version_she_is_not_reading(
    client, editor, amara, under_review
):
    # A version that arrives without going through save_revision (a raw copy of the row,
    # as a script might make) doesn't move her review: the panel must say so, truly.
    story = reload(under_review)
    reading = services.open_review(story).revision
    other = Revision.objects.create(
        content_object=story,
        base_content_type=story.get_base_content_type(),
        user=editor,
        content={**reading.content, "summary": "A summary she has not read."},
        object_str=str(story),
    )
    StoryPage.objects.filter(pk=story.pk).update(latest_revision=other)
    client.force_login(editor)

    response = client.get(admin_edit_url(story))

    panel = consent_panel(response)
    assert "Waiting for Amara" not in panel
    assert "Amara is reading a different version, not this one." in panel


def test_her_own_edit_is_not_sent_back_to_her(
    client, amara, under_review, django_capture_on_commit_callbacks
):
    told_before = ready_notes(amara)
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_story(
            story=under_review,
            user=amara.user,
            title="At the orchard",
            summary="Mine.",
            body="<p>My own words.</p>",
            scope=services.Scope(channels=("website",), byline=StoryPage.Byline.PSEUDONYM),
        )

    assert ready_notes(amara) == told_before
    # Her edit is her approval: the review went on to the editors, not back to her.
    assert services.open_review(reload(under_review)) is None


def test_an_autosave_rewriting_the_version_she_reads_does_not_restart_her_review(
    client, editor, amara, under_review
):
    review = services.open_review(under_review)
    client.force_login(editor)
    page = client.get(admin_edit_url(under_review))
    data = querydict_from_html(page.content.decode(), form_id="page-edit-form")
    data["body"] = rich_text(NEW_WORDS, features=STORY_RICH_TEXT_FEATURES)
    data["overwrite_revision_id"] = data["loaded_revision_id"]

    response = client.post(admin_edit_url(under_review), data, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["revision_id"] == review.revision_id
    assert services.open_review(reload(under_review)).pk == review.pk


# -- the conversation, from the admin --------------------------------------------------------


def conversation_url(story):
    return reverse("consent_conversation", args=[story.pk])


def test_an_editor_replies_from_the_admin_and_she_is_told_something_is_ready(
    client, editor, amara, under_review, django_capture_on_commit_callbacks
):
    review = services.open_review(under_review)
    services.request_changes(
        story=under_review,
        revision=review.revision,
        user=amara.user,
        message="Please take out the town's name.",
    )
    told_before = ready_notes(amara)
    client.force_login(editor)
    edit_page = client.get(admin_edit_url(under_review))
    assert f'href="{conversation_url(under_review)}"' in edit_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            conversation_url(under_review),
            {"text": "Done: the town is gone. Please read it again."},
            follow=True,
        )

    assert response.status_code == 200
    assert "Your reply was sent to Amara." in words_on(response)
    reply = EditorReply.objects.get(story=under_review)
    assert reply.text == "Done: the town is gone. Please read it again."
    assert reply.written_by == editor
    assert ready_notes(amara) == told_before + 1
    said = [
        (message.from_storyteller, message.text) for message in selectors.conversation(under_review)
    ]
    assert said == [
        (True, "Please take out the town's name."),
        (False, "Done: the town is gone. Please read it again."),
    ]
    page = words_on(client.get(conversation_url(under_review)))
    assert page.index("Amara asked for changes") < page.index("The editors replied")


def test_a_reply_with_markup_is_stored_as_plain_words(client, editor, under_review):
    client.force_login(editor)

    response = client.post(
        conversation_url(under_review),
        {"text": 'Fixed <script>alert("x")</script><img src=x onerror=alert(1)> it'},
    )

    assert response.status_code == 302
    stored = EditorReply.objects.get(story=under_review).text
    assert "<" not in stored and ">" not in stored
    assert stored.startswith("Fixed")


def test_an_empty_reply_is_refused_in_words_and_nothing_is_kept(client, editor, under_review):
    client.force_login(editor)

    response = client.post(conversation_url(under_review), {"text": "<b></b>"})

    assert response.status_code == 200
    assert "Write a reply first." in words_on(response)
    assert not EditorReply.objects.exists()


def test_a_storyteller_cannot_open_the_admin_conversation(client, amara, under_review):
    client.force_login(amara.user)

    response = client.post(conversation_url(under_review), {"text": "From me"})

    assert response.status_code == 302
    assert not response["Location"].startswith(conversation_url(under_review))
    assert not EditorReply.objects.exists()


def test_only_editors_who_may_edit_the_story_may_reply(under_review):
    from django.contrib.auth import get_user_model

    from consent.exceptions import NotTheStoryteller

    outsider = get_user_model().objects.create_user("outsider", is_staff=True)

    with pytest.raises(NotTheStoryteller):
        services.reply_to_storyteller(story=under_review, editor=outsider, text="Hello")
    assert not EditorReply.objects.exists()


# -- statuses that are true --------------------------------------------------------------------


def test_published_is_said_only_when_the_website_shows_the_version_she_approved(
    published_story, amara
):
    status = selectors.story_status(reload(published_story))

    assert (status.code, status.label) == ("published", "Published — on the website")
    assert status.website == ""


def test_a_new_version_under_her_review_says_the_website_still_shows_her_earlier_one(
    client, editor, amara, published_story, review_workflow
):
    client.force_login(editor)
    save_draft(client, published_story, body=NEW_WORDS)
    review_workflow.start(reload(published_story), editor)

    status = selectors.story_status(reload(published_story))

    assert status.code == "ready"
    assert status.label == "Ready for you to read"
    assert status.website == "The website still shows your earlier version, the one you approved."
    assert reload(published_story).live


def test_asking_for_changes_to_a_new_version_says_the_earlier_one_is_still_shown(
    editor, amara, published_story, review_workflow
):
    draft = reload(published_story).get_latest_revision_as_object()
    draft.body = NEW_WORDS
    revision = draft.save_revision(user=editor)
    review_workflow.start(reload(published_story), editor)
    services.request_changes(
        story=reload(published_story), revision=revision, user=amara.user, message="Not yet."
    )

    status = selectors.story_status(reload(published_story))

    assert (status.code, status.label) == ("changes_requested", "You asked for changes")
    assert status.website == "The website still shows your earlier version, the one you approved."


def test_a_live_page_her_consent_no_longer_covers_is_not_called_published(make_story, amara):
    story = make_story(amara, slug="ending")
    approve(story, amara, valid_until=today())
    story.get_latest_revision().publish()
    assert selectors.story_status(reload(story)).code == "published"

    # The day after her end date, before the nightly sweep has taken the page down:
    with mock.patch("consent.selectors.today", return_value=today() + timedelta(days=1)):
        status = selectors.story_status(reload(story))

    assert reload(story).live
    assert (status.code, status.label) == ("not_shown", "Not shown on the website")
    assert "Published" not in status.label


# -- erasure takes the conversation with it ----------------------------------------------------


def test_erasing_her_story_erases_the_editors_replies_and_her_readings(
    editor, superuser, amara, published_story
):
    from consent import erasure
    from consent.models import StoryReading

    services.reply_to_storyteller(story=published_story, editor=editor, text="About your town.")
    services.record_reading(
        storyteller=amara, story=published_story, revision=published_story.live_revision
    )
    services.withdraw_story(story=published_story, user=amara.user)
    asked = erasure.request_erasure(story=reload(published_story), user=amara.user)

    erasure.confirm_erasure(erasure_request=asked, editor=superuser)

    assert not StoryPage.objects.filter(pk=published_story.pk).exists()
    assert not EditorReply.objects.exists()
    assert not StoryReading.objects.exists()

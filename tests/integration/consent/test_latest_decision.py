"""Her latest decision is the only one that counts (issue 10, item 1).

Once she approves or writes a new version, every earlier grant for the story stops counting:
no door (Revision.publish, the admin's revert, the API's revert then publish, the scheduler,
a workflow finishing on an older version) brings back words she has since replaced. A grant
she narrows, or a new version she approves, takes the live page down in the same request.
"""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import querydict_from_html

from consent import services
from consent.exceptions import ConsentRequired
from consent.models import ConsentEntry, Notification
from consent.selectors import content_hash, publication_verdict, story_status
from stories.models import StoryPage

from tests.conftest import admin_edit_form, admin_edit_url, approve, website_scope, words_on
from tests.integration.consent.test_publish_doors import (
    api_client,
    is_live,
    reload,
    sign_off,
)
from tests.portal_flow import approve_in_portal

pytestmark = pytest.mark.django_db

OLD_WORDS = "<p>The words the storyteller will read.</p>"
NEW_WORDS = "<p>The words she chose instead.</p>"
SUPERSEDED = (
    "Amara has since approved a newer version, so this one can't be published any more. "
    "Only the version they approved last can be."
)


def new_version(story, editor, body=NEW_WORDS):
    draft = story.get_latest_revision_as_object()
    draft.body = body
    return draft.save_revision(user=editor)


@pytest.fixture
def replaced(published_story, amara, editor):
    """v1 was live; she approved v2 (which took v1 down). Returns (story, v1, v2)."""
    v1 = published_story.live_revision
    v2 = new_version(published_story, editor)
    approve(published_story, amara, revision=v2)
    return reload(published_story), v1, v2


# -- a new version she approves takes the old one down, and the old one never returns -------


def test_approving_a_new_version_takes_the_live_one_down_and_tells_the_editors(
    client, published_story, amara, editor, django_capture_on_commit_callbacks
):
    url = published_story.url
    assert client.get(url).status_code == 200
    v2 = new_version(published_story, editor)

    with django_capture_on_commit_callbacks(execute=True):
        approve(published_story, amara, revision=v2)

    assert not is_live(published_story)
    # Not "gone" (410): she has not withdrawn it, and it comes back once the editors publish.
    assert client.get(url).status_code == 404
    assert Notification.objects.filter(
        recipient=editor, story=published_story, kind=Notification.Kind.NEW_VERSION_WAITING
    ).exists()
    status = story_status(reload(published_story))
    assert status.code == "waiting_for_editors"
    assert status.label == "Approved — off the website until the editors publish it"
    client.force_login(editor)
    panel = words_on(client.get(admin_edit_url(published_story)))
    assert "Amara approved this version." in panel
    assert "The earlier version is off the website: Amara's newest decision no longer" in panel


def test_the_new_version_can_then_be_published(replaced):
    story, _v1, v2 = replaced

    v2.publish()

    assert reload(story).live
    assert reload(story).body == NEW_WORDS


def test_revision_publish_of_the_older_version_is_refused(replaced, editor):
    story, v1, _v2 = replaced

    with pytest.raises(ConsentRequired, match=SUPERSEDED[:40]):
        v1.publish(user=editor)

    assert not is_live(story)
    assert publication_verdict(v1.as_object()).reason == SUPERSEDED


def test_older_version_cannot_come_back_even_while_the_new_one_is_live(replaced, editor):
    story, v1, v2 = replaced
    v2.publish()

    with pytest.raises(ConsentRequired):
        v1.publish(user=editor)

    assert reload(story).body == NEW_WORDS


def test_admin_revert_then_publish_of_the_older_version_is_refused(client, replaced, editor):
    story, v1, _v2 = replaced
    client.force_login(editor)
    revert_url = reverse("wagtailadmin_pages:revisions_revert", args=[story.pk, v1.pk])
    page = client.get(revert_url)
    assert page.status_code == 200
    data = querydict_from_html(page.content.decode(), form_id="page-edit-form")
    data["action-publish"] = "action-publish"

    response = client.post(admin_edit_url(story), data, follow=True)

    assert response.status_code == 200
    assert "The page could not be saved due to validation errors." in words_on(response)
    assert SUPERSEDED in words_on(response)
    assert not is_live(story)


def test_api_revert_then_publish_of_the_older_version_is_refused(client, replaced, editor):
    story, v1, _v2 = replaced
    api = api_client(client, editor)

    reverted = api.post(
        f"/api/v3/pages/{story.pk}/actions/revert/",
        {"revision_id": v1.pk},
        content_type="application/json",
    )
    published = api.post(f"/api/v3/pages/{story.pk}/actions/publish/")

    assert reverted.status_code == 200
    assert published.status_code == 403
    assert published.json()["detail"] == SUPERSEDED
    assert not is_live(story)


def test_a_scheduled_publish_of_the_older_version_is_refused(replaced):
    story, v1, _v2 = replaced
    v1.approved_go_live_at = timezone.now() - timedelta(minutes=5)
    v1.save(update_fields=["approved_go_live_at"])
    errors = io.StringIO()

    call_command("publish_scheduled", stdout=io.StringIO(), stderr=errors)

    assert not is_live(story)
    assert f"Not published: story {story.pk} (A story): {SUPERSEDED}" in errors.getvalue()


def test_workflow_finishing_on_an_older_version_does_not_publish_it(
    client, make_story, amara, editor
):
    story = make_story(amara)
    first = story.get_latest_revision()
    client.force_login(editor)
    data = admin_edit_form(client, story, body=NEW_WORDS)
    data["action-submit"] = "action-submit"
    client.post(admin_edit_url(story), data)
    review = services.open_review(story)
    approve(story, amara, revision=review.revision)  # her review done; editors' sign-off next
    # Then, in person, she chooses the first version after all: her newest decision.
    services.record_in_person_consent(
        story=story, revision=first, editor=editor, witness_name="Ana", scope=website_scope()
    )

    response = sign_off(client, story)

    assert response.status_code == 200
    assert not is_live(story)
    assert Notification.objects.filter(
        recipient=editor, story=story, kind=Notification.Kind.NOT_PUBLISHED
    ).exists()
    first.publish(user=editor)  # the version she chose last can be
    assert reload(story).body == OLD_WORDS


def test_a_new_version_she_approves_in_the_portal_takes_the_live_one_down(
    client, published_story, amara, editor
):
    client.force_login(editor)
    data = admin_edit_form(client, published_story, body=NEW_WORDS)
    data["action-submit"] = "action-submit"
    client.post(admin_edit_url(published_story), data, follow=True)
    assert services.open_review(published_story) is not None
    client.force_login(amara.user)
    response = approve_in_portal(client, published_story, follow=False)

    assert response.status_code == 302
    assert not is_live(published_story)
    assert client.get(published_story.url).status_code == 404


def test_her_own_edit_in_the_portal_takes_the_live_version_down(published_story, amara):
    services.edit_story(
        story=published_story,
        user=amara.user,
        title="A story",
        summary="A short summary.",
        body="<p>My own new words.</p>",
        scope=website_scope(),
    )

    assert not is_live(published_story)


def test_reapproving_the_live_words_keeps_them_live(published_story, amara):
    approve(
        published_story,
        amara,
        revision=published_story.live_revision,
        channels=("website", "print"),
    )

    assert is_live(published_story)


# -- a narrower grant takes effect at once ---------------------------------------------------


@pytest.fixture
def live_with_photo(make_story, amara, photo):
    story = make_story(amara, slug="with-photo", image=photo, image_alt="A field at dusk.")
    approve(story, amara, image_allowed=True)
    story.get_latest_revision().publish()
    return reload(story)


@pytest.mark.parametrize(
    "narrower",
    [
        {"image_allowed": False},
        {"channels": ("print",)},
        {"byline": StoryPage.Byline.ANONYMOUS, "image_allowed": True},
    ],
    ids=["no-photo", "fewer-places", "another-byline"],
)
def test_a_narrower_grant_takes_the_live_page_down_everywhere_at_once(
    client, live_with_photo, amara, editor, narrower, django_capture_on_commit_callbacks
):
    story = live_with_photo
    assert client.get(story.url).status_code == 200
    assert "/with-photo/" in client.get("/sitemap.xml").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        approve(story, amara, revision=story.live_revision, **narrower)

    assert not is_live(story)
    assert client.get(story.url).status_code == 404
    assert "/with-photo/" not in client.get("/sitemap.xml").content.decode()
    assert "A story" not in client.get("/feed/").content.decode()
    listing = client.get("/api/v3/pages/", {"type": "stories.StoryPage"})
    assert listing.status_code == 200
    assert story.pk not in [item["id"] for item in listing.json()["items"]]
    assert Notification.objects.filter(
        recipient=editor, story=story, kind=Notification.Kind.CONSENT_NARROWED
    ).exists()


def test_an_earlier_end_date_ends_it_on_that_day(live_with_photo, amara):
    story = live_with_photo
    soon = timezone.now().date() + timedelta(days=3)
    approve(story, amara, revision=story.live_revision, image_allowed=True, valid_until=soon)
    assert is_live(story)

    services.expire_due_grants(on_day=soon + timedelta(days=1))

    assert not is_live(story)
    latest = ConsentEntry.objects.filter(story=story).order_by("-sequence").first()
    assert latest.decision == ConsentEntry.Decision.EXPIRED


def test_only_the_newest_grant_expires(published_story, amara, editor):
    # An old grant with a past end date must not end the newer one she gave since.
    soon = timezone.now().date() + timedelta(days=2)
    approve(published_story, amara, revision=published_story.live_revision, valid_until=soon)
    approve(published_story, amara, revision=published_story.live_revision)

    created = services.expire_due_grants(on_day=soon + timedelta(days=5))

    assert created == []
    assert is_live(published_story)


# -- a request for changes --------------------------------------------------------------------


def test_changes_asked_for_another_version_leave_the_live_one_up(
    client, published_story, amara, editor
):
    v2 = new_version(published_story, editor)

    services.request_changes(story=published_story, revision=v2, user=amara.user, message="No.")

    assert is_live(published_story)
    assert client.get(published_story.url).status_code == 200
    assert publication_verdict(reload(published_story)).allowed


def test_changes_asked_for_the_live_words_block_them(published_story, amara, editor):
    live = published_story.live_revision

    services.request_changes(story=published_story, revision=live, user=amara.user, message="x")

    assert not is_live(published_story)
    with pytest.raises(ConsentRequired, match="Amara asked for changes to this version."):
        live.publish(user=editor)
    assert content_hash(live.as_object()) == (
        ConsentEntry.objects.filter(story=published_story).last().content_hash
    )

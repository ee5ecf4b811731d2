"""Every door Wagtail publishes through stops at the story's consent guard.

Each test goes through a real door (the admin's views, a management command, the v3 API
over HTTP) and checks what a person would notice: whether the story is live, and what they
are told.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import APIToken, Revision

from consent import services
from consent.exceptions import ConsentRequired
from consent.selectors import content_hash
from stories.models import StoryIndexPage, StoryPage

from tests.conftest import admin_edit_form, admin_edit_url, approve, edit_as_storyteller, words_on

pytestmark = pytest.mark.django_db

UNREAD_WORDS = "<p>Words the storyteller never read.</p>"
WAITING_FOR_AMARA = "Waiting for Amara's approval of this version."


# -- how people reach the doors --------------------------------------------------------------


def click_publish(client, story, **typed):
    data = admin_edit_form(client, story, **typed)
    data["action-publish"] = "action-publish"
    return client.post(admin_edit_url(story), data, follow=True)


def autosave(client, story, **typed):
    """The edit page's autosave: it rewrites the editor's latest version under the same id."""
    data = admin_edit_form(client, story, **typed)
    data["overwrite_revision_id"] = data["loaded_revision_id"]
    return client.post(admin_edit_url(story), data, HTTP_ACCEPT="application/json")


def submit_for_review(client, story):
    data = admin_edit_form(client, story)
    data["action-submit"] = "action-submit"
    response = client.post(admin_edit_url(story), data, follow=True)
    assert response.status_code == 200
    return services.open_review(story)


def sign_off(client, story):
    """An editor approves the "Editors' sign-off" task from the admin."""
    task_state = reload(story).current_workflow_task_state
    assert task_state.task.name == "Editors' sign-off"
    url = reverse("wagtailadmin_pages:workflow_action", args=[story.pk, "approve", task_state.pk])
    return client.post(url, {"comment": ""}, follow=True)


def bulk_publish_url(*stories):
    ids = "&".join(f"id={story.pk}" for story in stories)
    next_url = reverse("wagtailadmin_explore", args=[stories[0].get_parent().pk])
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    return f"{url}?{ids}&next={next_url}"


def api_client(client, user):
    _token, plaintext = APIToken.create_token(user=user, name="newsroom integration")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {plaintext}"
    return client


def reload(story):
    return StoryPage.objects.get(pk=story.pk)


def is_live(story):
    return reload(story).live


@pytest.fixture
def partner_index(home):
    """A second story section, where an alias can keep the story's own slug."""
    return home.add_child(instance=StoryIndexPage(title="Partner stories", slug="partners"))


# -- 1. the editor's Publish button ----------------------------------------------------------


def test_editor_publish_button_cannot_publish_unapproved_words(client, editor, make_story, amara):
    story = make_story(amara)
    client.force_login(editor)

    response = click_publish(client, story)

    assert response.status_code == 200
    assert "The page could not be saved due to validation errors." in words_on(response)
    assert WAITING_FOR_AMARA in words_on(response)
    assert not is_live(story)


def test_editor_publish_button_cannot_publish_words_changed_after_approval(
    client, editor, make_story, amara
):
    story = make_story(amara)
    approve(story, amara)
    client.force_login(editor)

    response = click_publish(client, story, body=UNREAD_WORDS)

    assert WAITING_FOR_AMARA in words_on(response)
    assert not is_live(story)


def test_editor_publish_button_publishes_approved_words(client, editor, make_story, amara):
    story = make_story(amara)
    approval = approve(story, amara)
    client.force_login(editor)

    response = click_publish(client, story)

    assert "Page 'A story' has been published." in words_on(response)
    live = reload(story)
    assert live.live
    assert content_hash(live) == approval.content_hash


# -- 2. the edit page shows Publish only for approved words ----------------------------------


def test_edit_page_hides_publish_and_says_why_for_unapproved_words(
    client, editor, make_story, amara
):
    story = make_story(amara)
    client.force_login(editor)

    response = client.get(admin_edit_url(story))

    assert 'name="action-publish"' not in response.content.decode()
    assert f"Publishing is not available. {WAITING_FOR_AMARA}" in words_on(response)


def test_edit_page_offers_publish_for_approved_words(client, editor, make_story, amara):
    story = make_story(amara)
    approve(story, amara)
    client.force_login(editor)

    response = client.get(admin_edit_url(story))

    assert 'name="action-publish"' in response.content.decode()
    assert "Amara approved this version." in words_on(response)
    assert "Publishing is not available." not in words_on(response)


# -- 3. completing the review workflow -------------------------------------------------------


@pytest.fixture
def approved_in_review(client, editor, make_story, amara, review_workflow):
    """Amara's story, submitted for review by the editor in the admin and approved by her:
    (the story, its review step)."""
    story = make_story(amara)
    client.force_login(editor)
    review = submit_for_review(client, story)
    assert review.workflow_state.workflow == review_workflow
    approve(story, amara, revision=review.revision)
    return story, review


def test_review_workflow_completion_publishes_exactly_the_approved_version(
    client, approved_in_review
):
    story, review = approved_in_review

    response = sign_off(client, story)

    assert response.status_code == 200
    live = reload(story)
    assert live.live
    assert live.live_revision_id == review.revision_id


def test_review_workflow_completion_does_not_publish_approved_words_rewritten_afterwards(
    client, editor, approved_in_review
):
    story, review = approved_in_review
    autosaved = autosave(client, story, body=UNREAD_WORDS)
    assert autosaved.json()["revision_id"] == review.revision_id  # same id, other words

    sign_off(client, story)

    assert not is_live(story)
    assert f"Publishing is not available. {WAITING_FOR_AMARA}" in words_on(
        client.get(admin_edit_url(story))
    )
    # ...and the editors are told, rather than the review ending in silence.
    from consent.models import Notification

    assert Notification.objects.filter(
        recipient=editor, story=story, kind=Notification.Kind.NOT_PUBLISHED
    ).exists()


def test_editor_change_after_approval_restarts_the_review_and_is_not_published(
    client, editor, approved_in_review
):
    story, review = approved_in_review
    client.post(admin_edit_url(story), admin_edit_form(client, story, body=UNREAD_WORDS))
    changed = reload(story).get_latest_revision()
    assert changed.pk != review.revision_id

    sign_off(client, story)

    assert not is_live(story)
    waiting = services.open_review(story)
    assert waiting is not None, "the storyteller's review should have started again"
    assert waiting.revision_id == changed.pk


# -- 4. bulk publish from the page listing ---------------------------------------------------


def test_bulk_publish_leaves_unapproved_story_a_draft_and_publishes_the_approved_one(
    client, editor, make_story, amara, lucia
):
    unapproved = make_story(amara, slug="unapproved")
    approved = make_story(lucia, slug="approved")
    approve(approved, lucia)
    client.force_login(editor)
    url = bulk_publish_url(unapproved, approved)

    confirmation = client.get(url)
    response = client.post(url, {"include_descendants": ""}, follow=True)

    assert confirmation.status_code == 200
    assert response.status_code == 200
    assert "1 page has been published" in words_on(response)
    assert not is_live(unapproved)
    assert is_live(approved)


# -- 5. the scheduler ------------------------------------------------------------------------


def schedule(story, editor, when):
    """A version due at `when`, the way Wagtail stores a scheduled publish."""
    draft = story.get_latest_revision_as_object()
    draft.go_live_at = when
    return draft.save_revision(user=editor, approved_go_live_at=when)


def test_publish_scheduled_skips_unapproved_story_and_publishes_the_approved_one(
    make_story, amara, lucia, editor
):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    unapproved = make_story(amara, slug="unapproved")
    unapproved_schedule = schedule(unapproved, editor, an_hour_ago)
    approved = make_story(lucia, slug="approved")
    schedule(approved, editor, an_hour_ago)
    approve(approved, lucia)
    errors = io.StringIO()

    call_command("publish_scheduled", stdout=io.StringIO(), stderr=errors)

    assert not is_live(unapproved)
    assert f"Not published: story {unapproved.pk} (A story): {WAITING_FOR_AMARA}" in (
        errors.getvalue()
    )
    unapproved_schedule.refresh_from_db()
    assert unapproved_schedule.approved_go_live_at is None  # not retried every run
    assert is_live(approved)


# -- 6. the v3 API ---------------------------------------------------------------------------


def test_api_publish_action_refuses_unapproved_story(client, editor, make_story, amara):
    story = make_story(amara)
    api = api_client(client, editor)

    response = api.post(f"/api/v3/pages/{story.pk}/actions/publish/")

    assert response.status_code == 403
    assert response.json()["detail"] == WAITING_FOR_AMARA
    assert not is_live(story)


def test_api_update_with_publish_action_refuses_unapproved_story(client, editor, make_story, amara):
    story = make_story(amara)
    api = api_client(client, editor)

    response = api.patch(
        f"/api/v3/pages/{story.pk}/",
        {"meta": {"type": "stories.StoryPage", "action": "publish"}, "title": "A story"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["detail"] == WAITING_FOR_AMARA
    assert not is_live(story)


def test_api_publish_action_publishes_approved_story(client, editor, make_story, amara):
    story = make_story(amara)
    approve(story, amara)
    api = api_client(client, editor)

    response = api.post(f"/api/v3/pages/{story.pk}/actions/publish/")

    assert response.status_code == 200
    assert response.json()["meta"]["first_published_at"] is not None
    assert is_live(story)


# -- 7. copying a published story ------------------------------------------------------------


def test_copying_a_published_story_with_keep_live_makes_a_draft(
    client, editor, published_story, story_index
):
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:copy", args=[published_story.pk])

    form = client.get(url)
    response = client.post(
        url,
        {
            "new_title": "A story (copy)",
            "new_slug": "a-story-copy",
            "new_parent_page": story_index.pk,
            "publish_copies": "on",
        },
        follow=True,
    )

    copy = StoryPage.objects.get(slug="a-story-copy")
    assert not copy.live
    assert copy.first_published_at is None
    assert is_live(published_story)
    assert "Page 'A story' copied." in words_on(response)
    assert "Publish copied page" not in words_on(form)


# -- 8. aliases ------------------------------------------------------------------------------


def make_alias(client, story, parent, slug):
    url = reverse("wagtailadmin_pages:copy", args=[story.pk])
    data = {"new_title": story.title, "new_slug": slug, "new_parent_page": parent.pk, "alias": "on"}
    return client.post(url, data, follow=True)


def test_alias_of_a_published_story_under_the_same_slug_goes_live(
    client, editor, published_story, partner_index
):
    client.force_login(editor)

    make_alias(client, published_story, partner_index, slug=published_story.slug)

    alias = StoryPage.objects.get(alias_of=published_story)
    assert alias.live
    client.logout()
    assert client.get(alias.url).status_code == 200


def test_alias_under_another_slug_is_refused_because_the_address_was_not_approved(
    client, editor, published_story, story_index
):
    client.force_login(editor)

    make_alias(client, published_story, story_index, slug="another-address")

    assert not StoryPage.objects.filter(alias_of=published_story).exists()
    assert not StoryPage.objects.filter(slug="another-address", live=True).exists()


def test_withdrawn_story_takes_its_aliases_down_and_they_cannot_be_made_live(
    client, editor, published_story, partner_index, amara
):
    client.force_login(editor)
    make_alias(client, published_story, partner_index, slug=published_story.slug)
    alias = StoryPage.objects.get(alias_of=published_story)

    services.withdraw_story(story=published_story, user=amara.user)

    alias = reload(alias)
    assert not alias.live
    alias.live = True
    with pytest.raises(ConsentRequired, match="Amara withdrew this story"):
        alias.save()
    assert not is_live(alias)
    assert client.get(alias.url).status_code == 410


# -- 9. autosave over the approved version ---------------------------------------------------


def test_autosave_over_the_approved_version_loses_the_approval(client, editor, make_story, amara):
    story = make_story(amara)
    approved = story.get_latest_revision()
    approve(story, amara, revision=approved)
    client.force_login(editor)

    response = autosave(client, story, body=UNREAD_WORDS)

    assert response.json()["success"]
    assert response.json()["revision_id"] == approved.pk
    rewritten = Revision.objects.get(pk=approved.pk)
    with pytest.raises(ConsentRequired, match=re.escape(WAITING_FOR_AMARA)):
        rewritten.publish(user=editor)
    assert not is_live(story)
    assert 'name="action-publish"' not in client.get(admin_edit_url(story)).content.decode()


def test_autosave_by_code_over_the_approved_version_loses_the_approval(editor, make_story, amara):
    story = make_story(amara)
    approved = story.get_latest_revision()
    approve(story, amara, revision=approved)
    draft = story.get_latest_revision_as_object()
    draft.body = UNREAD_WORDS

    rewritten = draft.save_revision(user=editor, overwrite_revision=approved)

    assert rewritten.pk == approved.pk
    with pytest.raises(ConsentRequired, match=re.escape(WAITING_FOR_AMARA)):
        rewritten.publish(user=editor)
    assert not is_live(story)


def test_approving_a_storytellers_own_version_from_the_page_editor_publishes_it(
    client, editor, make_story, amara
):
    # The storyteller's words were cleaned and stored by the portal, not by the admin's
    # rich-text editor; the editor's unchanged form must not count as a change to them.
    story = make_story(amara)
    edit_as_storyteller(story, amara, "<p>My words, <b>my</b> way.</p><ul><li>one</li></ul>")
    assert reload(story).current_workflow_task_state.task.name == "Editors' sign-off"
    client.force_login(editor)
    data = admin_edit_form(client, story)
    data.update({"action-workflow-action": "true", "workflow-action-name": "approve"})

    client.post(admin_edit_url(story), data, follow=True)

    assert is_live(story)
    assert "<b>my</b>" in reload(story).body

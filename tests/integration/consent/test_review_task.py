"""Only a story's own storyteller can finish its review, and what they decide is recorded."""

import pytest
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState

from consent import services
from consent.exceptions import NotTheStoryteller
from consent.models import ConsentEntry, StorytellerReviewTaskState
from consent.selectors import content_hash, revision_content_hash
from stories.models import StoryPage

from tests.conftest import approve, ask_for_changes, website_scope

pytestmark = pytest.mark.django_db


def review_state(story):
    state = StoryPage.objects.get(pk=story.pk).current_workflow_task_state.specific
    assert isinstance(state, StorytellerReviewTaskState)
    return state


def assert_nothing_recorded(story):
    assert not ConsentEntry.objects.filter(story_id=story.pk).exists()
    state = review_state(story)
    assert state.status == TaskState.STATUS_IN_PROGRESS
    assert state.workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not StoryPage.objects.get(pk=story.pk).live


# Someone else cannot decide for the storyteller


@pytest.mark.parametrize("who", ["lucia", "editor", "superuser"])
def test_someone_else_cannot_approve_the_review_task(in_review, who, request):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)

    with pytest.raises(NotTheStoryteller):
        review_state(in_review).approve(user=user)

    assert_nothing_recorded(in_review)


@pytest.mark.parametrize("who", ["lucia", "editor", "superuser"])
def test_someone_else_cannot_reject_the_review_task(in_review, who, request):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)

    with pytest.raises(NotTheStoryteller):
        review_state(in_review).reject(user=user, comment="Cut the second paragraph.")

    assert_nothing_recorded(in_review)


def test_nobody_at_all_cannot_finish_the_review_task(in_review):
    with pytest.raises(NotTheStoryteller):
        review_state(in_review).approve(user=None)
    with pytest.raises(NotTheStoryteller):
        review_state(in_review).reject(user=None)

    assert_nothing_recorded(in_review)


CUT = "Cut the second paragraph."
# Her decisions as the services take them, from anyone but her.
DECISIONS = {
    "approve": lambda story, someone: approve(story, someone),
    "ask for changes": lambda story, someone: ask_for_changes(
        story, someone, "Cut the second paragraph."
    ),
}


@pytest.mark.parametrize("who", ["lucia", "editor"])
@pytest.mark.parametrize("decision", DECISIONS)
def test_someone_else_cannot_decide_through_the_services(in_review, decision, who, request):
    with pytest.raises(NotTheStoryteller):
        DECISIONS[decision](in_review, request.getfixturevalue(who))

    assert_nothing_recorded(in_review)


def test_an_editor_is_offered_no_review_actions_in_the_admin(client, in_review, editor):
    client.force_login(editor)
    state = review_state(in_review)
    url = reverse("wagtailadmin_pages:workflow_action", args=[in_review.pk, "approve", state.pk])

    response = client.post(url, {"comment": ""})

    # Wagtail answers a permission refusal in the admin with a redirect to the dashboard.
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert_nothing_recorded(in_review)


# The storyteller decides


def test_the_storyteller_approving_records_a_grant_for_that_exact_version(in_review, amara):
    revision = in_review.get_latest_revision()

    entry = services.approve_story(
        story=in_review, revision=revision, user=amara.user, scope=website_scope()
    )

    entry.refresh_from_db()
    assert entry.decision == ConsentEntry.Decision.GRANTED
    assert entry.storyteller == amara
    assert entry.story_id == in_review.pk
    assert entry.revision_id == revision.pk
    assert entry.content_hash == revision_content_hash(revision)
    assert entry.content_hash == content_hash(in_review)
    assert entry.channels == ["website"]
    assert entry.method == ConsentEntry.Method.PORTAL


def test_approval_moves_the_review_on_to_the_editors(in_review, amara):
    services.approve_story(
        story=in_review,
        revision=in_review.get_latest_revision(),
        user=amara.user,
        scope=website_scope(),
    )

    approved = TaskState.objects.get(
        workflow_state__object_id=str(in_review.pk), task__name="Storyteller review"
    )
    assert approved.status == TaskState.STATUS_APPROVED
    assert approved.finished_by == amara.user
    current = StoryPage.objects.get(pk=in_review.pk).current_workflow_task
    assert current.name == "Editors' sign-off"
    # The editors have not signed off yet.
    assert not StoryPage.objects.get(pk=in_review.pk).live


def test_the_editors_sign_off_publishes_exactly_the_approved_words(in_review, amara, editor):
    approved_revision = in_review.get_latest_revision()
    services.approve_story(
        story=in_review, revision=approved_revision, user=amara.user, scope=website_scope()
    )

    StoryPage.objects.get(pk=in_review.pk).current_workflow_task_state.approve(user=editor)

    live = StoryPage.objects.get(pk=in_review.pk)
    assert live.live
    assert live.live_revision_id == approved_revision.pk
    assert content_hash(live) == ConsentEntry.objects.get(story=live).content_hash


def test_the_storyteller_asking_for_changes_records_the_message(in_review, amara):
    revision = in_review.get_latest_revision()

    entry = services.request_changes(
        story=in_review, revision=revision, user=amara.user, message="Leave out my town."
    )

    entry.refresh_from_db()
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert entry.message == "Leave out my town."
    assert entry.revision_id == revision.pk
    assert entry.content_hash == revision_content_hash(revision)
    state = TaskState.objects.get(pk=review_state_pk(in_review)).specific
    assert state.status == TaskState.STATUS_REJECTED
    assert state.comment == "Leave out my town."
    assert state.workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not StoryPage.objects.get(pk=in_review.pk).live


def review_state_pk(story):
    return TaskState.objects.get(
        workflow_state__object_id=str(story.pk), task__name="Storyteller review"
    ).pk


def test_the_storyteller_cannot_approve_the_task_without_giving_consent(in_review, amara):
    with pytest.raises(NotTheStoryteller, match="Record the storyteller's consent"):
        review_state(in_review).approve(user=amara.user)

    assert_nothing_recorded(in_review)


def test_a_version_from_another_story_is_refused(in_review, make_story, amara):
    other = make_story(amara, slug="another-story", body="<p>Other words.</p>")

    with pytest.raises(NotTheStoryteller, match="belongs to another story"):
        services.approve_story(
            story=in_review,
            revision=other.get_latest_revision(),
            user=amara.user,
            scope=website_scope(),
        )
    with pytest.raises(NotTheStoryteller, match="belongs to another story"):
        services.request_changes(
            story=in_review,
            revision=other.get_latest_revision(),
            user=amara.user,
            message="Not this one.",
        )

    assert not ConsentEntry.objects.exists()
    assert_nothing_recorded(in_review)

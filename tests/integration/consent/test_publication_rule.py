"""The one rule: a story is public only for words its storyteller approved, within scope."""

import pytest
from django.core.exceptions import ValidationError

from consent.exceptions import ConsentRequired
from consent.selectors import content_hash, publication_verdict
from stories.models import StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db


def test_a_draft_nobody_approved_cannot_be_published(make_story, amara):
    story = make_story(amara)

    with pytest.raises(ConsentRequired, match="Waiting for Amara's approval of this version"):
        story.get_latest_revision().publish()

    assert not StoryPage.objects.get(pk=story.pk).live


def test_the_approved_version_can_be_published(make_story, amara):
    story = make_story(amara)
    approve(story, amara)

    story.get_latest_revision().publish()

    assert StoryPage.objects.get(pk=story.pk).live


def test_an_editor_change_after_approval_cannot_be_published(published_story, amara, editor):
    draft = published_story.get_latest_revision_as_object()
    draft.body = "<p>Words the storyteller never read.</p>"
    revision = draft.save_revision(user=editor)

    with pytest.raises(ConsentRequired):
        revision.publish(user=editor)

    live = StoryPage.objects.get(pk=published_story.pk)
    assert live.body == "<p>The words the storyteller will read.</p>"


def test_consent_from_another_storyteller_does_not_count(make_story, amara, lucia, editor):
    # Changed on purpose (issue 10 item 2): the storyteller can't be changed once she has
    # decided, so the same words attributed to someone else can't even be saved...
    story = make_story(amara)
    approve(story, amara)
    draft = story.get_latest_revision_as_object()
    draft.storyteller = lucia  # same words, now attributed to someone who never approved
    with pytest.raises(ValidationError, match="The storyteller can't be changed"):
        draft.save_revision(user=editor)
    # ...and a version pointing elsewhere, saved before she was asked, is never published.
    other = make_story(amara, slug="other")
    early = other.get_latest_revision_as_object()
    early.storyteller = lucia
    early_revision = early.save_revision(user=editor)
    approve(other, amara, revision=other.revisions.order_by("pk").first())

    verdict = publication_verdict(early_revision.as_object())

    assert not verdict.allowed
    assert verdict.reason == "Waiting for Lucía's approval of this version."
    with pytest.raises(ConsentRequired, match="The storyteller can't be changed"):
        early_revision.publish(user=editor)
    assert StoryPage.objects.get(pk=other.pk).storyteller == amara


def test_scope_must_include_the_website(make_story, amara):
    story = make_story(amara)
    approve(story, amara, channels=("print",))

    verdict = publication_verdict(story.get_latest_revision_as_object())

    assert not verdict.allowed
    assert verdict.reason == "Amara did not agree to this story appearing on the website."


def test_the_byline_must_be_the_one_chosen(make_story, amara):
    story = make_story(amara)
    approve(story, amara, byline=StoryPage.Byline.ANONYMOUS)

    assert publication_verdict(story.get_latest_revision_as_object()).code == "byline"


def test_a_photo_needs_its_own_agreement(make_story, amara, photo):
    story = make_story(amara, image=photo, image_alt="A field")
    approve(story, amara, image_allowed=False)

    assert publication_verdict(story.get_latest_revision_as_object()).code == "image"


def test_the_hash_covers_exactly_the_public_whitelist(make_story, amara, lucia):
    story = make_story(amara)
    before = content_hash(story)

    story.storyteller = lucia  # private: not part of what a reader sees
    assert content_hash(story) == before
    story.summary = "Changed."
    assert content_hash(story) != before

"""Reads about advisory review: what members approved, and what waits for a member."""

import hashlib

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, TaskState

from consent.selectors import canonical_json

from .models import AdvisoryReviewTask, AdvisoryReviewTaskState


def campaign_content_hash(campaign):
    """SHA-256 of everything a reader sees on a campaign page, in canonical JSON."""
    return hashlib.sha256(canonical_json(campaign.public_content()).encode("utf-8")).hexdigest()


def advisory_approval_holds(campaign):
    """True when the advisory group approved exactly this campaign content."""
    if campaign.pk is None:
        return False
    return AdvisoryReviewTaskState.objects.filter(
        status=TaskState.STATUS_APPROVED,
        workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
        workflow_state__object_id=str(campaign.pk),
        content_hash=campaign_content_hash(campaign),
    ).exists()


def is_advisory_member(user):
    """True when user belongs to a group that some active advisory review task names."""
    if user is None or not user.is_authenticated:
        return False
    return AdvisoryReviewTask.objects.filter(active=True, groups__user=user).exists()


def reviews_waiting_for(user):
    """The advisory reviews in progress that this user, as a member, may finish."""
    task_ids = [
        task.pk for task in AdvisoryReviewTask.objects.filter(active=True) if task.is_member(user)
    ]
    return (
        AdvisoryReviewTaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS, task_id__in=task_ids
        )
        .select_related("revision", "workflow_state")
        .order_by("started_at", "pk")
    )


def review_waiting_on(campaign_pk, user):
    """The advisory review of this campaign this user may finish, or None."""
    return (
        reviews_waiting_for(user)
        .filter(
            workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
            workflow_state__object_id=str(campaign_pk),
        )
        .first()
    )


def finished_reviews():
    """Advisory reviews a member approved or asked changes on, newest decision first."""
    return (
        AdvisoryReviewTaskState.objects.filter(
            status__in=[TaskState.STATUS_APPROVED, TaskState.STATUS_REJECTED],
            finished_by__isnull=False,
        )
        .select_related("revision", "finished_by")
        .order_by("-finished_at", "-pk")
    )


def review_for_payment(pk):
    """A finished advisory review and the storyteller who did it, or (None, None)."""
    from consent.models import Storyteller

    review = finished_reviews().filter(pk=pk).first()
    if review is None:
        return None, None
    return review, Storyteller.objects.filter(user_id=review.finished_by_id).first()

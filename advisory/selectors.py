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

"""Reads about advisory review: what members approved, and what waits for a member.

The rules are consent's: the group's latest decision on a campaign is the one that counts
(a later "ask for changes" by any member outweighs every earlier approval), and an approval
holds only for exactly what the member was shown: the campaign's fields, its image file, and
each story that appeared, as readers get it.
"""

from wagtail.models import Page, TaskState

from consent.selectors import content_hash
from core.hashing import sha256_of

from .models import AdvisoryReviewTask, AdvisoryReviewTaskState


def campaign_content_hash(campaign):
    """SHA-256 of everything a reader sees on a campaign page, in canonical JSON."""
    return sha256_of(campaign.public_content())


def review_content(campaign):
    """What a member is shown: the campaign's fields and each story readers would get.

    Each story is bound by the hash of its own public content (words, photo file, blur), so
    a story that changes, or appears only later, is not covered by an earlier approval.
    """
    return {
        "campaign": campaign.public_content(),
        "stories": {
            str(story.pk): content_hash(story) for story in campaign.stories_readers_would_get()
        },
    }


def review_hash(content):
    """SHA-256 of what a member read (review_content), to compare it with what they approve."""
    return sha256_of(content)


def _decisions(campaign):
    """The group's decisions on this campaign (an alias shares its original's), newest first."""
    page = Page(pk=campaign.alias_of_id) if campaign.alias_of_id else campaign
    return (
        AdvisoryReviewTaskState.objects.for_instance(page)
        .filter(status__in=[TaskState.STATUS_APPROVED, TaskState.STATUS_REJECTED])
        .order_by("-finished_at", "-pk")
    )


def latest_decision(campaign):
    """The advisory group's latest approval or request for changes on a campaign, or None."""
    if campaign.pk is None:
        return None
    return _decisions(campaign).first()


def advisory_approval_holds(campaign):
    """True when the group's latest decision approved exactly this campaign content."""
    latest = latest_decision(campaign)
    return (
        latest is not None
        and latest.status == TaskState.STATUS_APPROVED
        and latest.content_hash == campaign_content_hash(campaign)
    )


def approved_stories(campaign):
    """{story id: content hash} of the stories members approved with this campaign content.

    Read from the newest approval of exactly this content, so a live campaign keeps showing
    what was approved while a newer draft waits; empty when nothing approved it.
    """
    if campaign.pk is None:
        return {}
    approval = (
        _decisions(campaign)
        .filter(status=TaskState.STATUS_APPROVED, content_hash=campaign_content_hash(campaign))
        .first()
    )
    return dict(approval.shown_stories) if approval is not None else {}


def is_advisory_member(user):
    """True when user, an open account, belongs to a group an active advisory task names."""
    if user is None or not user.is_authenticated or not user.is_active:
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
    return reviews_waiting_for(user).for_instance(Page(pk=campaign_pk)).first()


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

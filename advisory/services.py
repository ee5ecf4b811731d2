"""Writes about advisory review: a member approves a campaign or asks for changes."""

from django.db import transaction

from core.db import retrying

from .exceptions import NotAnAdvisoryMember


@retrying
@transaction.atomic
def approve_campaign(*, review, user, comment="", read_hash=None):
    """A member approves the campaign exactly as they read it (read_hash: review_hash)."""
    review = review.specific
    if not review.task.specific.is_member(user):
        raise NotAnAdvisoryMember("Only members of the advisory group can approve.")
    return review.approve(user=user, comment=comment, read_hash=read_hash)


@retrying
@transaction.atomic
def ask_for_changes(*, review, user, comment, read_hash=None):
    """A member sends the campaign, as they read it, back to the editors with their comment."""
    review = review.specific
    if not comment.strip():
        raise ValueError("Say what should change.")
    if not review.task.specific.is_member(user):
        raise NotAnAdvisoryMember("Only members of the advisory group can comment.")
    return review.reject(user=user, comment=comment.strip(), read_hash=read_hash)

"""What happens when a review workflow completes."""

import logging

from django.apps import apps

# Wagtail imports this module while defining WorkflowState, so models load lazily below.

logger = logging.getLogger(__name__)


def publish_approved_revision(workflow_state, user=None):
    """Publish exactly the version the storyteller approved — never a later one.

    Wagtail's default publishes the latest revision as the last approver, which would both
    skip consent and fail for a storyteller, who has no publish permission.
    """
    from wagtail.models import TaskState
    from wagtail.workflows import publish_workflow_state

    StoryPage = apps.get_model("stories", "StoryPage")
    from .models import StorytellerReviewTask
    from .selectors import revision_verdict

    page = workflow_state.content_object.specific
    if not isinstance(page, StoryPage):
        return publish_workflow_state(workflow_state, user=user)

    approved = (
        TaskState.objects.filter(
            workflow_state=workflow_state,
            status=TaskState.STATUS_APPROVED,
            task__in=StorytellerReviewTask.objects.all(),
        )
        .select_related("revision")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if approved is None:
        logger.warning("Review of story %s finished without a storyteller approval", page.pk)
        return None
    verdict = revision_verdict(approved.revision)
    if not verdict.allowed:
        # The approved words changed after approval (autosave) or consent ended meanwhile:
        # publish nothing, and tell the editors rather than finish silently.
        from .models import Notification
        from .notifications import notify_editors

        logger.warning("Not publishing story %s: %s", page.pk, verdict.code)
        kinds = {
            "no_payment_agreed": Notification.Kind.NO_PAYMENT_AGREED,
            "private_term": Notification.Kind.PRIVATE_WORDS,
        }
        notify_editors(kinds.get(verdict.code, Notification.Kind.NOT_PUBLISHED), page)
        return None
    # The model's own guard checks consent again as the page is saved; the storyteller's
    # approval plus the editors' sign-off is the permission here.
    return approved.revision.publish(user=user, skip_permission_checks=True)

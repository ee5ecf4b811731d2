"""Wagtail's "submitted for review" email, kept from the advisory group.

Wagtail emails every member of a group approval task's groups, and every superuser, when a
page reaches that task, with its title and links into the admin. Advisory members are
survivors who never use the admin: they learn of a campaign to read in their own space.
"""

from wagtail.admin.mail import GroupApprovalTaskStateSubmissionEmailNotifier
from wagtail.models import TaskState
from wagtail.signals import task_submitted

from .models import AdvisoryReviewTask

# Wagtail's own, so that connecting ours replaces its notifier whichever app is ready first.
DISPATCH_UID = "group_approval_task_submitted_email_notification"


class SubmissionEmailNotifier(GroupApprovalTaskStateSubmissionEmailNotifier):
    """Wagtail's notifier for group approval tasks, silent for the advisory review."""

    def can_handle(self, instance, **kwargs):
        if isinstance(instance.task.specific, AdvisoryReviewTask):
            return False
        return super().can_handle(instance, **kwargs)


# Held here: a signal keeps only a weak reference to its receivers.
submission_email_notifier = SubmissionEmailNotifier()


def replace_wagtail_submission_email():
    """Put submission_email_notifier where Wagtail connects its own."""
    task_submitted.disconnect(sender=TaskState, dispatch_uid=DISPATCH_UID)
    task_submitted.connect(submission_email_notifier, sender=TaskState, dispatch_uid=DISPATCH_UID)

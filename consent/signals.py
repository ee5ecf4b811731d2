"""Consent's signals, and its receivers that keep new story indexes under review.

Consent is built under the public site (stories imports consent, never the reverse): when a
decision takes pages off the site, consent says so with these signals and the site's
receivers (stories.signals) clear what it serves from: search, cached pages.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver
from wagtail.models import Workflow, WorkflowPage
from wagtail.signals import task_submitted

DEFAULT_WORKFLOW_NAME = "Story review"

# A story and its aliases left the public site (withdrawal, expiry, private words): keyword
# arguments ``story`` and ``pages``. Sent inside the decision's transaction.
story_taken_down = Signal()
# A story and its aliases are being erased, before their rows are deleted: ``story``, ``pages``.
story_erased = Signal()
# Someone's private words changed: every page rendered before may show them.
private_words_changed = Signal()


def assign_default_workflow(page):
    """Put a story index under the storyteller review workflow unless it has one."""
    workflow = Workflow.objects.filter(name=DEFAULT_WORKFLOW_NAME, active=True).first()
    if workflow is not None and not WorkflowPage.objects.filter(page=page).exists():
        WorkflowPage.objects.create(page=page, workflow=workflow)


@receiver(post_save, sender="stories.StoryIndexPage")
def story_index_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        assign_default_workflow(instance)


@receiver(task_submitted)
def tell_storyteller_something_is_ready(sender, instance, user=None, **kwargs):
    """A review reached the storyteller: let them know, unless they started it themselves."""
    from .models import StorytellerReviewTaskState, is_storyteller_of
    from .notifications import notify_storyteller_ready

    if not isinstance(instance, StorytellerReviewTaskState):
        return
    story = instance.revision.content_object.specific
    if is_storyteller_of(user, story):
        return
    transaction.on_commit(lambda: notify_storyteller_ready(story))

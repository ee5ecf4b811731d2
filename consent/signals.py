"""Keeps new story indexes under the default storyteller review workflow."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import Workflow, WorkflowPage

DEFAULT_WORKFLOW_NAME = "Story review"


def assign_default_workflow(page):
    """Put a story index under the storyteller review workflow unless it has one."""
    workflow = Workflow.objects.filter(name=DEFAULT_WORKFLOW_NAME, active=True).first()
    if workflow is not None and not WorkflowPage.objects.filter(page=page).exists():
        WorkflowPage.objects.create(page=page, workflow=workflow)


@receiver(post_save, sender="stories.StoryIndexPage")
def story_index_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        assign_default_workflow(instance)

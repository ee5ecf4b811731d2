"""Keeps new campaign indexes under the campaign review workflow."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import Workflow, WorkflowPage

CAMPAIGN_WORKFLOW_NAME = "Campaign review"


@receiver(post_save, sender="stories.CampaignIndexPage")
def campaign_index_created(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    workflow = Workflow.objects.filter(name=CAMPAIGN_WORKFLOW_NAME, active=True).first()
    if workflow is not None and not WorkflowPage.objects.filter(page=instance).exists():
        WorkflowPage.objects.create(page=instance, workflow=workflow)

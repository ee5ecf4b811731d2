"""The survivor advisory group and the "Campaign review" workflow: advisory review, then
the editors' sign-off (the last step publishes, and advisory members have no admin rights)."""

from django.db import migrations

ADVISORY_GROUP = "Survivor advisory group"
WORKFLOW_NAME = "Campaign review"


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    AdvisoryReviewTask = apps.get_model("advisory", "AdvisoryReviewTask")
    CampaignIndexPage = apps.get_model("stories", "CampaignIndexPage")

    advisory_group, _ = Group.objects.get_or_create(name=ADVISORY_GROUP)
    if Workflow.objects.filter(name=WORKFLOW_NAME).exists():
        return

    review_type, _ = ContentType.objects.get_or_create(
        app_label="advisory", model="advisoryreviewtask"
    )
    signoff_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    review = AdvisoryReviewTask.objects.create(
        name="Survivor advisory review", content_type=review_type, active=True
    )
    review.groups.set([advisory_group])
    signoff = GroupApprovalTask.objects.create(
        name="Editors' campaign sign-off", content_type=signoff_type, active=True
    )
    signoff.groups.set(Group.objects.filter(name__in=["Editors", "Moderators"]))

    workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    WorkflowTask.objects.create(workflow=workflow, task_id=review.pk, sort_order=0)
    WorkflowTask.objects.create(workflow=workflow, task_id=signoff.pk, sort_order=1)
    for index_page in CampaignIndexPage.objects.all():
        WorkflowPage.objects.get_or_create(page_id=index_page.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0001_initial"),
        ("stories", "0004_campaignpage_channel_and_more"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]

"""The Storytellers group (no admin access) and the default "Story review" workflow."""

from django.db import migrations

WORKFLOW_NAME = "Story review"


def create_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    StorytellerReviewTask = apps.get_model("consent", "StorytellerReviewTask")
    StoryIndexPage = apps.get_model("stories", "StoryIndexPage")

    Group.objects.get_or_create(name="Storytellers")
    if Workflow.objects.filter(name=WORKFLOW_NAME).exists():
        return

    review_type, _ = ContentType.objects.get_or_create(
        app_label="consent", model="storytellerreviewtask"
    )
    signoff_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    review = StorytellerReviewTask.objects.create(
        name="Storyteller review", content_type=review_type, active=True
    )
    signoff = GroupApprovalTask.objects.create(
        name="Editors' sign-off", content_type=signoff_type, active=True
    )
    signoff.groups.set(Group.objects.filter(name__in=["Editors", "Moderators"]))

    workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
    WorkflowTask.objects.create(workflow=workflow, task_id=review.pk, sort_order=0)
    WorkflowTask.objects.create(workflow=workflow, task_id=signoff.pk, sort_order=1)
    for index_page in StoryIndexPage.objects.all():
        WorkflowPage.objects.get_or_create(page_id=index_page.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0002_initial"),
        ("stories", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_workflow, migrations.RunPython.noop)]

from django.db import migrations, models


def pin_campaigns_that_ever_needed_review(apps, schema_editor):
    """Campaigns whose row or any saved version ever needed the group's review keep needing it."""
    CampaignPage = apps.get_model("stories", "CampaignPage")
    Revision = apps.get_model("wagtailcore", "Revision")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ever = set(
        CampaignPage.objects.filter(requires_advisory_review=True).values_list("pk", flat=True)
    )
    campaign_type = ContentType.objects.filter(app_label="stories", model="campaignpage").first()
    revisions = Revision.objects.filter(content_type=campaign_type) if campaign_type else []
    for revision in revisions:
        if (revision.content or {}).get("requires_advisory_review"):
            ever.add(int(revision.object_id))
    CampaignPage.objects.filter(pk__in=ever).update(advisory_review_pinned=True)


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0006_story_remembers_what_it_was_copied_from"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaignpage",
            name="advisory_review_pinned",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(pin_campaigns_that_ever_needed_review, migrations.RunPython.noop),
    ]

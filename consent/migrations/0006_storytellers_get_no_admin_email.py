"""Storytellers already created get no Wagtail moderation emails (they name the story).

New storytellers get the same from services.create_storyteller.
"""

from django.db import migrations

FLAGS = [
    "submitted_notifications",
    "approved_notifications",
    "rejected_notifications",
    "updated_comments_notifications",
]


def silence(apps, schema_editor):
    Storyteller = apps.get_model("consent", "Storyteller")
    UserProfile = apps.get_model("wagtailusers", "UserProfile")
    for user_id in Storyteller.objects.values_list("user_id", flat=True):
        UserProfile.objects.update_or_create(user_id=user_id, defaults=dict.fromkeys(FLAGS, False))


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0005_editors_manage_storytellers"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [migrations.RunPython(silence, migrations.RunPython.noop)]

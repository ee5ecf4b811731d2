"""Editors record agreements, payments and payment preferences, and read storytellers' answers.

Nobody changes or deletes a payment or an answer (the viewset policies refuse it): a
mistake in a payment is corrected with a reversing entry.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [
    "add_agreement",
    "change_agreement",
    "delete_agreement",
    "view_agreement",
    "add_payment",
    "view_payment",
    "view_compensationresponse",
    "add_paymentpreference",
    "change_paymentpreference",
    "view_paymentpreference",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("compensation")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="compensation", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Editors"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="compensation", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="Editors"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0001_payments_ledger"),
        # The Editors group exists from here on.
        ("consent", "0005_editors_manage_storytellers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""Give the consent ledger its head (core.LedgerHead), built from its newest entry.

From now on every append locks and moves the head, and verify_ledger compares the ledger's
end with it, so deleting the newest entries is caught.
"""

from django.db import migrations

from core.ledger import build_head


def build_consent_head(apps, schema_editor):
    build_head(
        apps.get_model("core", "LedgerHead"),
        apps.get_model("consent", "ConsentEntry"),
        "consent.consententry",
    )


def remove_consent_head(apps, schema_editor):
    apps.get_model("core", "LedgerHead").objects.filter(ledger="consent.consententry").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0012_notifications_about_payment"),
        ("core", "0001_ledger_heads"),
    ]

    operations = [migrations.RunPython(build_consent_head, remove_consent_head)]

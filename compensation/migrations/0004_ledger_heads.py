"""Give the payments ledger and the answers ledger their heads, from their newest entries.

From now on every append locks and moves its ledger's head, and verify_ledger compares
each ledger's end with it, so deleting the newest entries is caught.
"""

from django.db import migrations

from core.ledger import build_head

LEDGERS = {
    "compensation.payment": "Payment",
    "compensation.compensationresponse": "CompensationResponse",
}


def build_heads(apps, schema_editor):
    for name, model in LEDGERS.items():
        build_head(
            apps.get_model("core", "LedgerHead"), apps.get_model("compensation", model), name
        )


def remove_heads(apps, schema_editor):
    apps.get_model("core", "LedgerHead").objects.filter(ledger__in=LEDGERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0003_answers_payload_can_be_erased"),
        ("core", "0001_ledger_heads"),
    ]

    operations = [migrations.RunPython(build_heads, remove_heads)]

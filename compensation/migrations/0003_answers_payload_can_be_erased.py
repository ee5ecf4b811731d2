"""The answers ledger's personal payload gets a salted hash, so erasure can blank it.

Existing answers are re-chained in order: each gets a salt and payload hash, and every entry
hash is computed again in the new form. A chain that doesn't verify in the old form is
refused, so tampering is never laundered into fresh hashes.
"""

import hashlib
import json
import secrets
from datetime import UTC

from django.db import migrations, models

GENESIS_HASH = "0" * 64


def _sha256_of(data):
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _base(entry):
    return {
        "sequence": entry.sequence,
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "previous_hash": entry.previous_hash,
    }


def _old_fields(entry):
    return {
        **_base(entry),
        "receipt_id": str(entry.receipt_id),
        "storyteller": entry.storyteller_id,
        "response": entry.response,
        "agreement": entry.agreement_id,
        "story": entry.story_id,
        "payment": entry.payment_id,
        "terms_hash": entry.terms_hash,
        "message": entry.message,
        "method": entry.method,
        "recorded_by": entry.recorded_by_id,
        "witness_name": entry.witness_name,
    }


def payload_hash(entry):
    return _sha256_of(
        {
            "story": entry.story_id,
            "message": entry.message,
            "recorded_by": entry.recorded_by_id,
            "witness_name": entry.witness_name,
            "salt": entry.payload_salt,
        }
    )


def new_fields(entry):
    return {
        **_base(entry),
        "receipt_id": str(entry.receipt_id),
        "storyteller": entry.storyteller_id,
        "response": entry.response,
        "agreement": entry.agreement_id,
        "payment": entry.payment_id,
        "terms_hash": entry.terms_hash,
        "method": entry.method,
        "payload_hash": entry.payload_hash,
    }


def rechain(apps, schema_editor):
    Answer = apps.get_model("compensation", "CompensationResponse")
    entries = list(Answer.objects.order_by("sequence"))
    previous = GENESIS_HASH
    for number, entry in enumerate(entries, start=1):
        if (
            entry.sequence != number
            or entry.previous_hash != previous
            or _sha256_of(_old_fields(entry)) != entry.entry_hash
        ):
            raise RuntimeError(
                f"The storytellers' answers ledger fails verification at entry {entry.sequence}; "
                "not re-chaining it. Investigate before migrating."
            )
        previous = entry.entry_hash
    previous = GENESIS_HASH
    for entry in entries:
        entry.payload_salt = secrets.token_hex(32)
        entry.payload_hash = payload_hash(entry)
        entry.previous_hash = previous
        entry.entry_hash = _sha256_of(new_fields(entry))
        # The ledger refuses updates through the application; a migration is not one.
        models.QuerySet.update(
            Answer.objects.filter(pk=entry.pk),
            payload_salt=entry.payload_salt,
            payload_hash=entry.payload_hash,
            previous_hash=entry.previous_hash,
            entry_hash=entry.entry_hash,
        )
        previous = entry.entry_hash




class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0002_editors_record_payments"),
    ]

    operations = [
        migrations.AddField(
            model_name="compensationresponse",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="compensationresponse",
            name="payload_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="compensationresponse",
            name="payload_salt",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(rechain, migrations.RunPython.noop),
    ]

"""Re-chain the consent ledger so an entry's personal payload can later be erased.

Until now each entry's hash covered every field, so erasing a story's words from the
ledger would have broken the chain. From now on the entry hash covers the entry's place,
dates and decision plus the *hash* of its salted payload (models.ConsentEntry); erasure
blanks the payload and keeps the hashes, and the chain still verifies.

The existing chain is verified under the old rule first: re-hashing a tampered ledger would
launder the tampering, so the migration refuses and names the broken entries instead.
Receipts issued before this migration carry the old entry hash.

Editors who may confirm erasure: the Moderators group (superusers always can).
"""

import hashlib
import json
import secrets
from datetime import UTC

from django.contrib.auth.management import create_permissions
from django.db import migrations

GENESIS_HASH = "0" * 64


def _sha256_of(data):
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _old_hash(entry):
    return _sha256_of(
        {
            "sequence": entry.sequence,
            "storyteller": entry.storyteller_id,
            "story": entry.story_id,
            "revision": entry.revision_id,
            "content_hash": entry.content_hash,
            "decision": entry.decision,
            "channels": sorted(entry.channels),
            "byline": entry.byline,
            "image_allowed": entry.image_allowed,
            "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
            "method": entry.method,
            "recorded_by": entry.recorded_by_id,
            "witness_name": entry.witness_name,
            "message": entry.message,
            "created_at": entry.created_at.astimezone(UTC).isoformat(),
            "receipt_id": str(entry.receipt_id),
            "previous_hash": entry.previous_hash,
        }
    )


def _payload_hash(entry):
    return _sha256_of(
        {
            "storyteller": entry.storyteller_id,
            "story": entry.story_id,
            "revision": entry.revision_id,
            "content_hash": entry.content_hash,
            "channels": sorted(entry.channels),
            "byline": entry.byline,
            "image_allowed": entry.image_allowed,
            "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
            "method": entry.method,
            "recorded_by": entry.recorded_by_id,
            "witness_name": entry.witness_name,
            "message": entry.message,
            "salt": entry.payload_salt,
        }
    )


def _entry_hash(entry):
    return _sha256_of(
        {
            "sequence": entry.sequence,
            "decision": entry.decision,
            "created_at": entry.created_at.astimezone(UTC).isoformat(),
            "receipt_id": str(entry.receipt_id),
            "erases": list(entry.erases),
            "payload_hash": entry.payload_hash,
            "previous_hash": entry.previous_hash,
        }
    )


def rechain(apps, schema_editor):
    ConsentEntry = apps.get_model("consent", "ConsentEntry")
    entries = list(ConsentEntry.objects.order_by("sequence"))
    problems = []
    previous = GENESIS_HASH
    for position, entry in enumerate(entries, start=1):
        linked = entry.sequence == position and entry.previous_hash == previous
        if not linked or _old_hash(entry) != entry.entry_hash:
            problems.append(entry.sequence)
        previous = entry.entry_hash
    if problems:
        raise RuntimeError(
            "The consent ledger fails verification at entries "
            f"{problems}; investigate before migrating (nothing was changed)."
        )
    # Entry hashes are unique: park every row on a placeholder first, so a new hash can
    # never collide with an old one still waiting to be rewritten.
    for entry in entries:
        ConsentEntry.objects.filter(pk=entry.pk).update(entry_hash=f"rechain-{entry.pk}")
    previous = GENESIS_HASH
    for entry in entries:
        entry.previous_hash = previous
        entry.payload_salt = secrets.token_hex(32)
        entry.payload_hash = _payload_hash(entry)
        entry.entry_hash = _entry_hash(entry)
        ConsentEntry.objects.filter(pk=entry.pk).update(
            previous_hash=entry.previous_hash,
            payload_salt=entry.payload_salt,
            payload_hash=entry.payload_hash,
            entry_hash=entry.entry_hash,
        )
        previous = entry.entry_hash


def grant_confirm_erasure(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("consent")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="consent", codename="confirm_erasure"
    )
    for group in Group.objects.filter(name="Moderators"):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0009_ledger_tombstones_and_erasure"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.RunPython(rechain, migrations.RunPython.noop),
        migrations.RunPython(grant_confirm_erasure, migrations.RunPython.noop),
    ]

"""Consent receipts a storyteller can keep, following the Kantara Consent Receipt v1.1 fields."""

from django.conf import settings
from django.utils.translation import gettext as _

from core.ledger import receipt_block

from .models import Channel, ConsentEntry

COLLECTION_METHODS = {
    ConsentEntry.Method.PORTAL: "Given by the storyteller in the Sayso portal",
    ConsentEntry.Method.IN_PERSON: "Given in person, recorded by an editor before a witness",
    ConsentEntry.Method.SYSTEM: "Recorded automatically when the agreed end date passed",
}


def organisation():
    return settings.SAYSO_ORGANISATION


def title_decided_on(entry):
    """The story's title in the version the decision names: the words she saw then.

    Today's title may have been written since, by someone else (even for someone else).
    """
    from wagtail.models import Revision

    content = (
        Revision.page_revisions.filter(pk=entry.revision_id)
        .values_list("content", flat=True)
        .first()
        if entry.revision_id
        else None
    )
    if content and content.get("title"):
        return content["title"]
    return entry.story.title


def kantara_receipt(entry):
    """The entry as a Kantara Consent Receipt v1.1 document (a JSON-ready dict)."""
    org = organisation()
    title = title_decided_on(entry)
    channels = dict(Channel.choices)
    purposes = [
        {
            "purpose": f"Publish the story “{title}” through: {channels[c]}",
            "purposeCategory": ["Publication of the storyteller's own account"],
            "consentType": "EXPLICIT",
            "piiCategory": ["Story text", "Byline"] + (["Photo"] if entry.image_allowed else []),
            "primaryPurpose": True,
            "termination": (
                f"Until {entry.valid_until.isoformat()} or withdrawal"
                if entry.valid_until
                else "Until withdrawn by the storyteller"
            ),
            "thirdPartyDisclosure": c != Channel.WEBSITE,
            "thirdPartyName": "" if c == Channel.WEBSITE else str(channels[c]),
        }
        for c in entry.channels
    ]
    return {
        "version": "KI-CR-v1.1.0",
        "jurisdiction": org["jurisdiction"],
        "consentTimestamp": int(entry.created_at.timestamp()),
        "collectionMethod": COLLECTION_METHODS[entry.method],
        "consentReceiptID": str(entry.receipt_id),
        "language": "en",
        "piiPrincipalId": entry.storyteller.pseudonym,
        "piiControllers": [
            {
                "piiController": org["name"],
                "onBehalf": False,
                "contact": org["contact"],
                "address": org["address"],
                "email": org["email"],
                "phone": org["phone"],
                "piiControllerUrl": org["url"],
            }
        ],
        "policyUrl": org["policy_url"],
        "services": [
            {
                "service": "Sayso story publication",
                "decision": entry.decision,
                "purposes": purposes,
            }
        ],
        "sensitive": True,
        "spiCat": [_("Experience of human trafficking")],
        "sayso": {
            "story": title,
            "decision": entry.get_decision_display(),
            "contentSha256": entry.content_hash,
            "entryHash": entry.entry_hash,
            "previousHash": entry.previous_hash,
            "byline": entry.byline,
            "imageAllowed": entry.image_allowed,
            "validUntil": entry.valid_until.isoformat() if entry.valid_until else None,
            "witness": entry.witness_name,
            # The ledger's head when the receipt was issued: this entry was the newest, so
            # its place and hash prove it existed (consent.ledger.verify_receipt).
            "ledger": receipt_block(entry),
        },
    }

"""Consent receipts a storyteller can keep, following the Kantara Consent Receipt v1.1 fields."""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.ledger import receipt_block

from .models import Byline, Channel, ConsentEntry

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


def decided_version_content(entry):
    """What readers would get from the version her decision names (empty if it's gone)."""
    from wagtail.models import Revision

    revision = Revision.page_revisions.filter(pk=entry.revision_id).first()
    if revision is None:
        return {}
    return revision.as_object().public_content()


def when_in_words(moment):
    """A date and time as a person says it, in the organisation's own time."""
    from django.utils import formats, timezone

    local = timezone.localtime(moment)
    return _("%(day)s at %(time)s") % {
        "day": formats.date_format(local, "l j F Y"),
        "time": formats.time_format(local, "H:i"),
    }


DECIDED = {
    ConsentEntry.Decision.GRANTED: gettext_lazy("You approved your story."),
    ConsentEntry.Decision.CHANGES_REQUESTED: gettext_lazy("You asked the editors for changes."),
    ConsentEntry.Decision.WITHDRAWN: gettext_lazy("You withdrew your story."),
    ConsentEntry.Decision.EXPIRED: gettext_lazy("Your approval ended on the date you chose."),
}

HOW = {
    ConsentEntry.Method.PORTAL: gettext_lazy("By you, here in your own space."),
    ConsentEntry.Method.IN_PERSON: gettext_lazy(
        "In person: an editor wrote it down for you, with a witness there."
    ),
    ConsentEntry.Method.SYSTEM: gettext_lazy("Automatically, when the date you chose had passed."),
}


def _named(entry, content):
    name = content.get("byline_name") or ""
    if entry.byline == Byline.ANONYMOUS:
        return _("No name at all: your story is shown without a name.")
    if entry.byline == Byline.FIRST_NAME:
        return (
            _("By your first name: %(name)s") % {"name": name} if name else _("By your first name.")
        )
    return (
        _("By the name you chose: %(name)s") % {"name": name}
        if name
        else _("By the name you chose.")
    )


def _photo(entry, content):
    image = content.get("image")
    if not image:
        return _("There is no photo with this version.")
    if not entry.image_allowed:
        return _("Your photo must not be shown.")
    if image.get("blurred"):
        return _("Your photo may be shown, blurred: readers only ever get a blurred copy.")
    return _("Your photo may be shown.")


def receipt_in_words(entry):
    """The receipt as she reads it: (label, words) rows, without codes or numbers to decode.

    What she decided, about which story, when, how, and for an approval where, under which
    name, with or without her photo, and until when. Ids and hashes are for the technical
    details (receipt_technical_details), never these rows.
    """
    from django.utils import formats

    rows = [
        (_("What you decided"), DECIDED.get(entry.decision, entry.get_decision_display())),
        (_("Your story"), title_decided_on(entry)),
        (_("When"), when_in_words(entry.created_at)),
        (_("How"), HOW.get(entry.method, entry.get_method_display())),
    ]
    if entry.is_grant:
        content = decided_version_content(entry)
        rows += [
            (_("Where it may appear"), ", ".join(str(label) for label in entry.channel_labels())),
            (_("How you are named"), _named(entry, content)),
            (_("Your photo"), _photo(entry, content)),
            (
                _("Until when"),
                _("Until %(date)s, unless you withdraw it sooner.")
                % {"date": formats.date_format(entry.valid_until, "j F Y")}
                if entry.valid_until
                else _("Until you withdraw it. You can do that at any time."),
            ),
        ]
    if entry.witness_name:
        rows.append((_("Witness"), entry.witness_name))
    if entry.message and entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED:
        rows.append((_("What you asked for"), entry.message))
    elif entry.message and entry.is_grant:
        # An approval's note says how it came about ("Edited by the storyteller.").
        rows.append((_("Note"), entry.message))
    return rows


def receipt_technical_details(entry):
    """What proves the receipt, for anyone who checks it: numbers, not for reading."""
    rows = [(_("Receipt number"), str(entry.receipt_id))]
    if entry.content_hash:
        rows.append((_("Code that identifies exactly these words"), entry.content_hash))
    rows += [
        (_("Its number in the record of decisions"), str(entry.sequence)),
        (_("Seal of the record when this was issued"), entry.entry_hash),
        (_("Exact time"), entry.created_at.isoformat()),
    ]
    return rows

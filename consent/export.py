"""Everything Sayso holds about one storyteller, as plain data they can download and keep.

Hers, complete and only hers. What she decided is read from the ledgers and the records
that name her (consent entries, payments and her answers, her advisory reviews), never
from whoever a story's storyteller field names today: a story moved to someone else keeps
her versions in her export and gives none of them to the other person. A version is hers
when she wrote it or a decision of hers names it; versions only editors ever saw are not.

Nothing of anyone else's: editors appear only as "an editor" (their names are their own
personal data, and a storyteller's file can end up in the wrong hands, where naming staff
would put them at risk too); the storyteller is "you". Witness names do appear, on the
in-person decisions they witnessed, because the storyteller's receipts already show them.
A model's `never_exported` fields (payment notes, hash salts) never appear.

WHAT_IS_EXPORTED lists the sections in her words; the portal shows it next to the download
link, and a test holds the two to each other.
"""

import re
from datetime import date, datetime
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Revision, TaskState

from .models import ConsentEntry, ErasureRequest, Invitation, Notification, Storyteller
from .receipts import kantara_receipt
from .selectors import content_hash, story_status

EXPORT_FORMAT = "sayso-storyteller-export/3"
YOU = "you"
AN_EDITOR = "an editor"

# The file's sections, each in plain words: the portal lists exactly these.
WHAT_IS_EXPORTED = {
    "profile": _("Your details: your name here, your email, and the private details we keep."),
    "stories": _(
        "Your stories: every version you wrote or made a decision about, with its date. "
        "Versions only the editors saw, and words written by anyone else, are not included."
    ),
    "consent_entries": _(
        "Every decision you made about your stories, with your messages and receipts."
    ),
    "payments": _(
        "What was agreed to pay you, what was paid, how you like to be paid (without the "
        "private payment details), and everything you told us about payments."
    ),
    "advisory_reviews": _(
        "Your reviews of campaigns for the advisory group: what you decided and your comments."
    ),
    "conversation": _(
        "What you asked the editors to change in your stories, and what they wrote back to you."
    ),
    "readings": _("When you opened each version of your stories to read it."),
    "notifications": _("The messages we showed you."),
    "notes_to_editors_about_you": _("When the editors were told about something you did."),
    "invitations": _("The links you were sent to set up your account."),
    "erasure_requests": _("Your requests to erase a story, and when they were done."),
}


def storyteller_export(storyteller):
    """The storyteller's profile, her versions of her stories, her decisions, payments,
    advisory reviews, her conversation with the editors, her readings and notifications, as
    a JSON-ready dict."""
    StoryPage = apps.get_model("stories", "StoryPage")
    entries = list(
        ConsentEntry.objects.filter(storyteller=storyteller)
        .select_related("story", "storyteller")
        .order_by("sequence")
    )
    stories = StoryPage.objects.filter(
        models.Q(pk__in=_stories_she_wrote_or_decided(storyteller, entries))
        | models.Q(storyteller=storyteller),
        alias_of__isnull=True,
    ).order_by("pk")
    her_stories = [_story(story, storyteller, entries) for story in stories]
    titles = {story["id"]: story["title"] for story in her_stories}
    sections = {
        "profile": _profile(storyteller),
        "stories": her_stories,
        "consent_entries": [_entry(entry, storyteller) for entry in entries],
        "payments": compensation_export(storyteller),
        "advisory_reviews": _advisory_reviews(storyteller),
        "conversation": _conversation(storyteller, entries, list(titles)),
        "readings": _readings(storyteller, titles),
        "notifications": [
            {
                "what": str(note.get_kind_display()),
                "story": note.story_id,
                "created_at": _iso(note.created_at),
                "read_at": _iso(note.read_at),
            }
            for note in Notification.objects.filter(recipient=storyteller.user).order_by(
                "created_at"
            )
        ],
        "notes_to_editors_about_you": _notes_to_editors(storyteller),
        "invitations": [
            {
                "created_at": _iso(invitation.created_at),
                "expires_at": _iso(invitation.expires_at),
                "used_at": _iso(invitation.used_at),
            }
            for invitation in Invitation.objects.filter(storyteller=storyteller).order_by(
                "created_at"
            )
        ],
        "erasure_requests": [
            {
                "story": request.story_id,
                "requested_at": _iso(request.requested_at),
                "confirmed_at": _iso(request.confirmed_at),
            }
            for request in ErasureRequest.objects.filter(storyteller=storyteller)
        ],
    }
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "held_by": settings.SAYSO_ORGANISATION["name"],
        **sections,
    }


def _stories_she_wrote_or_decided(storyteller, entries):
    written = Revision.page_revisions.filter(user_id=storyteller.user_id).values_list(
        "object_id", flat=True
    )
    return {entry.story_id for entry in entries if entry.story_id} | {int(pk) for pk in written}


def _advisory_reviews(storyteller):
    """Her decisions as a member of the advisory group, with her comments."""
    if not apps.is_installed("advisory"):
        return []
    AdvisoryReviewTaskState = apps.get_model("advisory", "AdvisoryReviewTaskState")

    labels = {
        TaskState.STATUS_APPROVED: "approved",
        TaskState.STATUS_REJECTED: "asked for changes",
    }
    reviews = AdvisoryReviewTaskState.objects.filter(
        finished_by_id=storyteller.user_id, status__in=list(labels)
    ).select_related("workflow_state")
    return [
        {
            "campaign": int(review.workflow_state.object_id),
            "decision": labels[review.status],
            "comment": review.comment,
            "decided_at": _iso(review.finished_at),
            "content_sha256": review.content_hash or None,
        }
        for review in reviews.order_by("finished_at", "pk")
    ]


def _conversation(storyteller, entries, story_ids):
    """Her requests for changes and the editors' replies written to her, oldest first.

    A reply is hers when the version it was written about named her as its storyteller
    (without one, when the story names her now): a story moved to someone else keeps the
    replies she was sent in her export, and gives none of them to the other person.
    """
    from .models import EditorReply

    said = [
        (entry.created_at, YOU, entry.story_id, entry.revision_id, entry.message)
        for entry in entries
        if entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
        and entry.message
        and entry.story_id
    ]
    replies = list(EditorReply.objects.filter(story_id__in=story_ids).select_related("story"))
    written_to = {
        revision.pk: revision.content.get("storyteller")
        for revision in Revision.page_revisions.filter(
            pk__in=[reply.revision_id for reply in replies if reply.revision_id]
        )
    }
    said += [
        (reply.created_at, AN_EDITOR, reply.story_id, reply.revision_id, reply.text)
        for reply in replies
        if written_to.get(reply.revision_id, reply.story.storyteller_id) == storyteller.pk
    ]
    return [
        {
            "story": story_id,
            "from": who,
            "message": text,
            "written_at": _iso(when),
            "about_version": revision_id,
        }
        for when, who, story_id, revision_id, text in sorted(said, key=lambda m: m[0])
    ]


def _readings(storyteller, titles):
    """When she opened each version of her stories (StoryReading: only ever her own)."""
    from .models import StoryReading

    return [
        {
            "story": reading.story_id,
            "story_title": titles.get(reading.story_id),
            "version": reading.revision_id,
            "first_read_at": _iso(reading.first_read_at),
            "last_read_at": _iso(reading.last_read_at),
            "content_sha256": reading.content_hash,
        }
        for reading in StoryReading.objects.filter(storyteller=storyteller).order_by(
            "first_read_at", "pk"
        )
    ]


def _notes_to_editors(storyteller):
    # Each decision notifies every editor; the storyteller needs to see it once.
    seen = []
    for created_at, kind in (
        Notification.objects.filter(storyteller=storyteller)
        .exclude(recipient=storyteller.user)
        .order_by("created_at", "kind")
        .values_list("created_at", "kind")
    ):
        if (created_at, kind) not in seen:
            seen.append((created_at, kind))
    labels = dict(Notification.Kind.choices)
    return [{"what": str(labels[kind]), "created_at": _iso(when)} for when, kind in seen]


def _profile(storyteller):
    user = storyteller.user
    profile = {
        "username": user.get_username(),
        "email": user.email,
        "account_created_at": _iso(user.date_joined),
        "last_signed_in_at": _iso(user.last_login),
    }
    # Every field of the storyteller record, encrypted ones decrypted: it is their own.
    for field in Storyteller._meta.concrete_fields:
        if field.primary_key or field.name == "user":
            continue
        profile[field.name] = _plain(field.value_from_object(storyteller))
    profile["contact_preference_label"] = str(storyteller.get_contact_preference_display())
    return profile


def _story(story, storyteller, entries):
    decided = {entry.revision_id for entry in entries if entry.story_id == story.pk}
    revisions = [
        revision
        for revision in Revision.page_revisions.filter(object_id=str(story.pk)).order_by(
            "created_at", "pk"
        )
        if revision.user_id == storyteller.user_id or revision.pk in decided
    ]
    versions = [
        _version(number, revision, story, storyteller)
        for number, revision in enumerate(revisions, start=1)
    ]
    yours_now = story.storyteller_id == storyteller.pk
    data = {
        "id": story.pk,
        # The title of her newest version: today's title may be someone else's words.
        "title": versions[-1]["content"].get("title") if versions else None,
        "yours_now": yours_now,
        "versions": versions,
    }
    if yours_now:
        data["status"] = str(story_status(story).label)
    if yours_now and versions:
        # Where it is shown is hers to know only when the words there can be hers.
        data.update(
            public_now=story.live,
            address=story.get_url() if story.live else None,
            first_published_at=_iso(story.first_published_at),
            also_shown_at=[alias.get_url() for alias in story.aliases.live()],
        )
    return data


def _version(number, revision, story, storyteller):
    page = revision.as_object()
    return {
        "number": number,
        "saved_at": _iso(revision.created_at),
        "saved_by": _who(revision.user_id, storyteller),
        "is_the_public_one": story.live and revision.pk == story.live_revision_id,
        "content": page.public_content(),
        "content_sha256": content_hash(page),
    }


def _entry(entry, storyteller):
    return {
        "receipt_id": str(entry.receipt_id),
        "sequence": entry.sequence,
        "created_at": _iso(entry.created_at),
        "decision": entry.decision,
        "decision_label": str(entry.get_decision_display()),
        "method": str(entry.get_method_display()),
        "story": entry.story_id,
        "content_sha256": entry.content_hash,
        "channels": entry.channels,
        "byline": entry.byline,
        "image_allowed": entry.image_allowed,
        "valid_until": _iso(entry.valid_until),
        "recorded_by": _who(entry.recorded_by_id, storyteller) if entry.recorded_by_id else None,
        "witness_name": entry.witness_name,
        "message": entry.message,
        "entry_hash": entry.entry_hash,
        "previous_hash": entry.previous_hash,
        "receipt": kantara_receipt(entry),
    }


def compensation_export(storyteller):
    """What the compensation app holds about the storyteller: every row that names them.

    Read generically (each model of the app with a link to the storyteller), so agreements
    and payments appear whatever their shape; people other than the storyteller appear
    only as "an editor". Empty until the app is installed.
    """
    if not apps.is_installed("compensation"):
        return {}
    held = {}
    for model in apps.get_app_config("compensation").get_models():
        links = [
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is Storyteller
        ]
        if not links:
            continue
        rows = model._default_manager.filter(
            models.Q.create([(name, storyteller) for name in links], connector=models.Q.OR)
        ).order_by("pk")
        held[str(model._meta.verbose_name_plural)] = [_row(row, storyteller) for row in rows]
    return held


def _row(row, storyteller):
    data = {}
    never = set(getattr(row, "never_exported", ()))
    for field in row._meta.concrete_fields:
        if field.name in never:
            continue
        value = field.value_from_object(row)
        if field.is_relation and field.related_model is get_user_model():
            value = _who(value, storyteller) if value else None
        elif field.is_relation and field.related_model is Storyteller:
            value = YOU if value == storyteller.pk else None
        data[field.name] = _plain(value)
    return data


def _who(user_id, storyteller):
    if user_id is None:
        return None
    return YOU if user_id == storyteller.user_id else AN_EDITOR


def _iso(value):
    if value is None:
        return None
    return value.isoformat()


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | dict | str | int | float | bool) or value is None:
        return value
    return str(value)


# -- The same, to read and print --------------------------------------------------------------

# Fields that prove rather than say something: kept for the technical details.
_TECHNICAL = {"sequence", "id", "public_id", "story", "agreement", "corrects", "payment"}
# Said by the section itself ("you"), or as part of another row (an amount's currency).
_UNSAID = {"storyteller", "currency"}
_TECHNICAL_SUFFIXES = ("_hash", "_sha256", "receipt_id", "_salt")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}.*)?$")


def _is_technical(name):
    return name in _TECHNICAL or name.endswith(_TECHNICAL_SUFFIXES)


def _say(value):
    """A stored value in words: dates as dates, yes/no, nothing as a dash."""
    from django.utils import formats
    from django.utils import timezone as tz

    from .receipts import when_in_words

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return when_in_words(value) if tz.is_aware(value) else formats.date_format(value)
    if isinstance(value, date):
        return formats.date_format(value, "j F Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _profile_in_words(storyteller):
    user = storyteller.user
    rows = [
        (_("The name you use here"), storyteller.pseudonym),
        (_("The name you sign in with"), user.get_username()),
        (_("Your email"), user.email),
        (_("Your legal name"), storyteller.legal_name),
        (_("Your phone"), storyteller.phone),
        (_("Your postal address"), storyteller.postal_address),
        (_("How to reach you safely"), storyteller.contact_notes),
        (_("Words that must never appear"), ", ".join(storyteller.private_term_list())),
        (_("How we contact you"), storyteller.get_contact_preference_display()),
        (_("Your account was made"), user.date_joined),
        (_("You last signed in"), user.last_login),
    ]
    return [{"title": "", "rows": [(label, _say(value)) for label, value in rows]}]


def _stories_in_words(data):
    from core.text.diff import html_to_text

    items = []
    for story in data["stories"]:
        versions = []
        for version in story["versions"]:
            content = version["content"]
            versions.append(
                {
                    "title": _("Version %(number)s, saved %(when)s by %(who)s")
                    % {
                        "number": version["number"],
                        "when": _say(datetime.fromisoformat(version["saved_at"])),
                        "who": _("you") if version["saved_by"] == YOU else _("an editor"),
                    },
                    "rows": [
                        (_("Title"), content.get("title")),
                        (_("Summary"), content.get("summary")),
                        (_("Your story"), html_to_text(content.get("body"))),
                        (_("On the website now"), _say(version["is_the_public_one"])),
                    ],
                    "technical": [(_("Code of these words"), version["content_sha256"])],
                }
            )
        items.append(
            {
                "title": story["title"] or _("A story"),
                "rows": [(_("Where it stands"), story.get("status", "—"))],
                "versions": versions,
                "technical": [(_("Story number"), str(story["id"]))],
            }
        )
    return items


def _decisions_in_words(storyteller):
    from .receipts import receipt_in_words, receipt_technical_details

    entries = (
        ConsentEntry.objects.filter(storyteller=storyteller)
        .select_related("story", "storyteller")
        .order_by("sequence")
    )
    return [
        {
            "title": "",
            "rows": receipt_in_words(entry),
            "technical": receipt_technical_details(entry),
        }
        for entry in entries
        if entry.story_id
    ]


def _conversation_in_words(data):
    titles = {story["id"]: story["title"] for story in data["stories"]}
    return [
        {
            "title": _("About “%(title)s”")
            % {"title": titles.get(message["story"]) or _("a story")},
            "rows": [
                (_("From"), _("You") if message["from"] == YOU else _("An editor")),
                (_("When"), _say(message["written_at"])),
                (_("Message"), message["message"]),
            ],
            "technical": [(_("Story number"), str(message["story"]))],
        }
        for message in data["conversation"]
    ]


def _readings_in_words(data):
    return [
        {
            "title": reading["story_title"] or _("A story"),
            "rows": [
                (_("You first opened this version"), _say(reading["first_read_at"])),
                (_("You last opened it"), _say(reading["last_read_at"])),
            ],
            "technical": [
                (_("Story number"), str(reading["story"])),
                (_("Version number"), str(reading["version"])),
                (_("Code of these words"), reading["content_sha256"]),
            ],
        }
        for reading in data["readings"]
    ]


def _records_in_words(rows, model=None):
    """Rows of the export as (label, words), technical fields apart."""
    items = []
    for row in rows:
        said, technical = [], []
        for name, value in row.items():
            if name in _UNSAID:
                continue
            label = name.replace("_", " ").capitalize()
            fields = {field.name: field for field in model._meta.concrete_fields} if model else {}
            if name in fields:
                label = str(fields[name].verbose_name).capitalize()
            (technical if _is_technical(name) else said).append((label, _say(value)))
        items.append({"title": "", "rows": said, "technical": technical})
    return items


def _payments_in_words(storyteller, data):
    """Agreements and payments as she reads them in "My payments"; the rest field by field."""
    if not apps.is_installed("compensation"):
        return []
    Agreement = apps.get_model("compensation", "Agreement")
    Payment = apps.get_model("compensation", "Payment")
    items = [
        {
            "title": _("Agreed for: %(what)s") % {"what": agreement.for_what()},
            "rows": [
                (_("Agreed"), agreement.agreed_amount()),
                (_("Paid so far"), agreement.paid_amount()),
                (_("Still owed"), agreement.owed_amount()),
                (_("Where it stands"), agreement.status_label()),
                (_("Date agreed"), agreement.agreed_on_date()),
            ],
            "technical": [(_("Agreement number"), str(agreement.public_id))],
        }
        for agreement in Agreement.objects.filter(storyteller=storyteller).order_by("pk")
    ]
    items += [
        {
            "title": _("Payment: %(what)s") % {"what": payment.for_work()},
            "rows": [
                (_("Date"), payment.paid_on_date()),
                (_("Amount"), payment.signed_display()),
                (_("How it was paid"), payment.method_label()),
                (_("What it was"), payment.kind_label()),
                (_("What you said about it"), payment.answer_label() or "—"),
            ],
            "technical": [(_("Seal in the record of payments"), payment.entry_hash)],
        }
        for payment in Payment.objects.filter(storyteller=storyteller)
        .select_related("agreement__story")
        .order_by("sequence")
    ]
    shown = {str(Agreement._meta.verbose_name_plural), str(Payment._meta.verbose_name_plural)}
    by_name = {
        str(model._meta.verbose_name_plural): model
        for model in apps.get_app_config("compensation").get_models()
    }
    for name, rows in data["payments"].items():
        if name not in shown:
            items += _records_in_words(rows, by_name.get(name))
    return items


def export_in_words(storyteller):
    """Everything in the download, as sections to read or print: (key, heading, items)."""
    data = storyteller_export(storyteller)
    payments = _payments_in_words(storyteller, data)
    sections = {
        "profile": _profile_in_words(storyteller),
        "stories": _stories_in_words(data),
        "consent_entries": _decisions_in_words(storyteller),
        "payments": payments,
        "advisory_reviews": _records_in_words(data["advisory_reviews"]),
        "conversation": _conversation_in_words(data),
        "readings": _readings_in_words(data),
        "notifications": _records_in_words(data["notifications"]),
        "notes_to_editors_about_you": _records_in_words(data["notes_to_editors_about_you"]),
        "invitations": _records_in_words(data["invitations"]),
        "erasure_requests": _records_in_words(data["erasure_requests"]),
    }
    return [(key, WHAT_IS_EXPORTED[key], sections[key]) for key in WHAT_IS_EXPORTED]

"""Reads about consent. `publication_verdict` is the one answer to "may this be public?"."""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date

from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from images.embeds import embedded_image_ids

from . import redaction
from .models import Channel, ConsentEntry, Storyteller

logger = logging.getLogger(__name__)

RENDERED_PAGE = "page"
# What an editor calls each public field, for the redaction guard's reason.
PUBLIC_FIELD_LABELS = {
    "title": gettext_lazy("title"),
    "seo_title": gettext_lazy("title for search engines"),
    "search_description": gettext_lazy("search description"),
    "slug": gettext_lazy("web address (slug)"),
    "summary": gettext_lazy("summary"),
    "body": gettext_lazy("story"),
    "content_warnings": gettext_lazy("content warnings"),
    "byline_name": gettext_lazy("name shown"),
    "image": gettext_lazy("photo description"),
    "topics": gettext_lazy("topics"),
    "region": gettext_lazy("country"),
    RENDERED_PAGE: gettext_lazy("page as readers see it"),
}


def canonical_json(data):
    """Serialise data the same way every time: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(page):
    """SHA-256 of the fields a reader sees on this story page, in canonical JSON."""
    return hashlib.sha256(canonical_json(page.public_content()).encode("utf-8")).hexdigest()


def revision_content_hash(revision):
    """SHA-256 of a revision's public content as it is stored now (autosave can rewrite it)."""
    return content_hash(revision.as_object())


def today():
    return timezone.now().date()


@dataclass(frozen=True)
class Verdict:
    """Whether a version may be public, and the plain reason an editor is shown."""

    allowed: bool
    code: str
    storyteller_id: int | None = None
    grant: ConsentEntry | None = None
    on: date | None = None
    extra: dict = field(default_factory=dict)

    def __bool__(self):
        return self.allowed

    @cached_property
    def storyteller_name(self):
        if self.storyteller_id is None:
            return ""
        return (
            Storyteller.objects.filter(pk=self.storyteller_id)
            .values_list("pseudonym", flat=True)
            .first()
            or ""
        )

    @property
    def reason(self):
        name = self.storyteller_name
        when = formats.date_format(self.on, "j F Y") if self.on else ""
        messages = {
            "approved": _("%(name)s approved this version.") % {"name": name},
            "no_storyteller": _("Choose the storyteller before this story can be published."),
            "waiting": _("Waiting for %(name)s's approval of this version.") % {"name": name},
            "changes_requested": _("%(name)s asked for changes to this version.") % {"name": name},
            "withdrawn": _(
                "%(name)s withdrew this story on %(date)s. Only %(name)s can bring it back."
            )
            % {"name": name, "date": when},
            "expired": _("%(name)s's approval of this version ended on %(date)s.")
            % {"name": name, "date": when},
            "not_website": _("%(name)s did not agree to this story appearing on the website.")
            % {"name": name},
            "byline": _(
                "%(name)s chose to be named “%(chosen)s”; this version names them differently."
            )
            % {"name": name, "chosen": self.extra.get("chosen", "")},
            "image": _("%(name)s did not agree to show the photo.") % {"name": name},
            "no_payment_agreed": _(
                "No payment is agreed with %(name)s for this story yet. Record an agreement "
                "for it, or %(name)s can choose not to be paid."
            )
            % {"name": name},
            "private_term": self._private_term_reason(name),
            "unchecked": _("Sayso could not check %(name)s's approval of this version.")
            % {"name": name},
        }
        return messages[self.code]

    def _private_term_reason(self, name):
        # Names the places, never the word: this reason reaches editors' screens and logs.
        parts = self.extra.get("fields", [])
        labels = [str(PUBLIC_FIELD_LABELS.get(part, part)) for part in parts]
        if len(labels) == 1:
            return _("The %(field)s contains one of %(name)s's private words.") % {
                "field": labels[0],
                "name": name,
            }
        return _("The %(fields)s contain %(name)s's private words.") % {
            "fields": get_text_list(labels, _("and")),
            "name": name,
        }


def publication_verdict(
    page, *, require_website=True, on_day=None, entries=None, rendered=None, publishing=True
):
    """May this story page, with exactly its current field values, be public — and if not, why?

    Every door asks this: the page's save guard, the editor's form and panel, the workflow's
    finish action, serving, listings, feeds, the expiry sweep and the portal. ``entries``
    (the story's ledger entries, newest first) may be passed in by batch callers; serving
    passes the ``rendered`` page too, so the guard also reads exactly what a reader would get.
    The organisation's payment rule (compensation) gates going live, not staying live:
    serving, listings and the expiry sweep pass ``publishing=False`` and pay nothing for it.
    """
    storyteller_id = page.storyteller_id
    if storyteller_id is None:
        return Verdict(False, "no_storyteller")
    # No version carrying its storyteller's private words is public, whatever consent says:
    # the words could have been added to their list after they approved.
    fields = private_words_in(page, rendered=rendered)
    if fields:
        return Verdict(False, "private_term", storyteller_id, extra={"fields": fields})
    # An alias is governed by its original's consent.
    story_id = page.alias_of_id or page.pk
    if story_id is None:
        return Verdict(False, "waiting", storyteller_id)

    digest = content_hash(page)
    on_day = on_day or today()
    if entries is None:
        entries = ConsentEntry.objects.filter(story_id=story_id).order_by("-sequence")
    for entry in entries:
        if entry.decision == ConsentEntry.Decision.WITHDRAWN:
            return Verdict(False, "withdrawn", storyteller_id, on=entry.created_at.date())
        if entry.content_hash != digest or entry.storyteller_id != storyteller_id:
            continue
        if entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED:
            return Verdict(False, "changes_requested", storyteller_id)
        if entry.decision == ConsentEntry.Decision.EXPIRED:
            return Verdict(False, "expired", storyteller_id, on=entry.created_at.date())
        verdict = _check_grant_scope(page, entry, storyteller_id, on_day, require_website)
        if verdict.allowed and publishing and not _payment_settled(story_id, storyteller_id):
            return Verdict(False, "no_payment_agreed", storyteller_id, entry)
        return verdict
    return Verdict(False, "waiting", storyteller_id)


def _payment_settled(story_id, storyteller_id):
    """The storyteller has a payment agreement for the story, or chose not to be paid."""
    from compensation.selectors import publishing_policy_allows

    return publishing_policy_allows(story_id, storyteller_id)


def _check_grant_scope(page, grant, storyteller_id, on_day, require_website):
    if grant.valid_until and grant.valid_until < on_day:
        return Verdict(False, "expired", storyteller_id, grant, on=grant.valid_until)
    if require_website and Channel.WEBSITE not in grant.channels:
        return Verdict(False, "not_website", storyteller_id, grant)
    if grant.byline != page.byline_kind:
        chosen = dict(page.Byline.choices).get(grant.byline, grant.byline)
        return Verdict(False, "byline", storyteller_id, grant, extra={"chosen": str(chosen)})
    if not grant.image_allowed and (page.image_id or embedded_image_ids(page.body)):
        # "Don't show the photo" covers every picture of hers, those in the text too.
        return Verdict(False, "image", storyteller_id, grant)
    return Verdict(True, "approved", storyteller_id, grant)


def private_words_in(page, *, rendered=None):
    """The public fields of a story page (or "page", for its rendering) holding a private word.

    Reads the storyteller's row for their words: free when it was fetched with the page
    (select_related("storyteller"), as serving and public_stories() do), one query otherwise.
    """
    terms = page.storyteller.guarded_terms()
    if not terms:
        return []
    content = page.public_content()
    del content["byline_kind"]  # a code, not words
    if content["image"]:
        content["image"] = content["image"]["alt"]
    if content["region"]:
        content["region"] = [content["region"], str(countries.name(content["region"]))]
    fields = redaction.fields_containing(content, terms)
    if rendered is not None and redaction.html_contains_any(rendered, terms):
        fields.append(RENDERED_PAGE)
    return fields


def publicly_consented(stories, *, on_day=None):
    """The stories (live pages) whose consent holds right now, in the order given.

    One ledger query for the lot; prefetch content_warnings, topics and image on the
    queryset, and select_related storyteller, to keep the checks free of per-story queries.
    """
    stories = list(stories)
    _attach_storytellers(stories)
    by_story = {}
    story_ids = {story.alias_of_id or story.pk for story in stories}
    for entry in ConsentEntry.objects.filter(story_id__in=story_ids).order_by("-sequence"):
        by_story.setdefault(entry.story_id, []).append(entry)
    return [
        story
        for story in stories
        if verdict_or_refusal(
            story,
            on_day=on_day,
            entries=by_story.get(story.alias_of_id or story.pk, []),
            publishing=False,
        ).allowed
    ]


def verdict_or_refusal(page, **kwargs):
    """publication_verdict for a public door that must answer: a verdict that can't be
    reached (a broken row, a missing related record) counts as a refusal, never a 500.

    A listing then leaves the story out; serving answers as for any refused story.
    """
    try:
        return publication_verdict(page, **kwargs)
    except Exception:
        logger.exception("Could not check consent for page %s; leaving it out", page.pk)
        return Verdict(False, "unchecked", page.storyteller_id)


def _attach_storytellers(stories):
    """Load the storytellers of stories fetched without them, in one query for the lot."""
    missing = {
        story.storyteller_id
        for story in stories
        if story.storyteller_id and not type(story)._meta.get_field("storyteller").is_cached(story)
    }
    if not missing:
        return
    storytellers = Storyteller.objects.in_bulk(missing)
    for story in stories:
        if story.storyteller_id in storytellers:
            story.storyteller = storytellers[story.storyteller_id]


def revision_verdict(revision, *, require_website=True, publishing=True):
    """The verdict for a saved version, rebuilt from the revision as it is stored now."""
    return publication_verdict(
        revision.as_object(), require_website=require_website, publishing=publishing
    )


def consent_has_ended(story):
    """True when the story's latest decisive entry is a withdrawal or an expiry."""
    latest = (
        ConsentEntry.objects.filter(
            story_id=story.pk,
            decision__in=[
                ConsentEntry.Decision.GRANTED,
                ConsentEntry.Decision.WITHDRAWN,
                ConsentEntry.Decision.EXPIRED,
            ],
        )
        .order_by("-sequence")
        .values_list("decision", flat=True)
        .first()
    )
    return latest in (ConsentEntry.Decision.WITHDRAWN, ConsentEntry.Decision.EXPIRED)


def is_withdrawn(story):
    """True when the storyteller's most recent say about the story is a withdrawal."""
    latest = (
        ConsentEntry.objects.filter(
            story_id=story.pk,
            decision__in=[ConsentEntry.Decision.GRANTED, ConsentEntry.Decision.WITHDRAWN],
        )
        .order_by("-sequence")
        .values_list("decision", flat=True)
        .first()
    )
    return latest == ConsentEntry.Decision.WITHDRAWN


def entries_for_storyteller(storyteller):
    return ConsentEntry.objects.filter(storyteller=storyteller).select_related("story")


@dataclass(frozen=True)
class StoryStatus:
    """Where a story stands, in the storyteller's words, and what happens next."""

    code: str
    label: str
    next_step: str


def open_review_revision(story):
    """The version waiting for the storyteller's decision, if any."""
    from .services import open_review

    review = open_review(story)
    return review.revision if review else None


def story_status(story):
    """The plain status a storyteller sees for one of their stories."""
    latest = (
        ConsentEntry.objects.filter(story_id=story.pk)
        .exclude(decision=ConsentEntry.Decision.CHANGES_REQUESTED)
        .order_by("-sequence")
        .first()
    )
    if latest and latest.decision == ConsentEntry.Decision.WITHDRAWN:
        return StoryStatus(
            "withdrawn",
            _("Withdrawn by you"),
            _("It is not on the website. Only you can bring it back, by approving it again."),
        )
    if latest and latest.decision == ConsentEntry.Decision.EXPIRED and not story.live:
        when = formats.date_format(latest.created_at.date(), "j F Y")
        return StoryStatus(
            "ended",
            _("Ended on %(date)s") % {"date": when},
            _("Your approval ended, so it left the website. You can approve it again."),
        )
    if open_review_revision(story) is not None:
        return StoryStatus(
            "ready",
            _("Ready for you to read"),
            _("Read it and decide: approve it, ask for changes, or edit it yourself."),
        )
    newest = ConsentEntry.objects.filter(story_id=story.pk).order_by("-sequence").first()
    if newest and newest.decision == ConsentEntry.Decision.CHANGES_REQUESTED:
        return StoryStatus(
            "changes_requested",
            _("You asked for changes"),
            _("The editors are working on it. You'll see it here again when it's ready."),
        )
    if story.live:
        return StoryStatus(
            "published",
            _("Published — you approved this"),
            _("It is on the website. You can withdraw it at any time."),
        )
    if latest and latest.decision == ConsentEntry.Decision.GRANTED:
        return StoryStatus(
            "approved",
            _("Approved — not published yet"),
            _("The editors will publish it soon. You can still withdraw it."),
        )
    return StoryStatus(
        "preparing",
        _("Being prepared"),
        _("The editors are still working on it. You'll see it here when it's ready to read."),
    )


def version_to_read(story):
    """What the storyteller reads: the version waiting for them, else what is public, else
    the version they last approved, else nothing yet."""
    revision = open_review_revision(story)
    if revision is not None:
        return revision
    if story.live and story.live_revision_id:
        return story.live_revision
    return last_approved_revision(story)


def last_approved_revision(story):
    """The most recent version the storyteller approved that still exists."""
    from wagtail.models import Revision

    revision_ids = (
        ConsentEntry.objects.filter(
            story_id=story.pk,
            decision=ConsentEntry.Decision.GRANTED,
            revision_id__isnull=False,
        )
        .order_by("-sequence")
        .values_list("revision_id", flat=True)
    )
    for revision_id in revision_ids:
        revision = Revision.objects.filter(pk=revision_id).first()
        if revision is not None:
            return revision
    return None


def latest_grant(storyteller, story=None):
    """The storyteller's most recent grant (for one story, if given)."""
    grants = ConsentEntry.objects.filter(
        storyteller=storyteller, decision=ConsentEntry.Decision.GRANTED
    )
    if story is not None:
        grants = grants.filter(story_id=story.pk)
    return grants.order_by("-sequence").first()

"""Reads about consent. `publication_verdict` is the one answer to "may this be public?"."""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from core.hashing import sha256_of
from core.text import redaction
from images.embeds import embedded_image_ids

from .exceptions import ConsentRequired
from .models import Channel, ConsentEntry, Storyteller
from .publication import publication_checks

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
    "intro": gettext_lazy("introduction"),
    "image_alt": gettext_lazy("image description"),
    "name": gettext_lazy("name"),
    RENDERED_PAGE: gettext_lazy("page as readers see it"),
}


def content_hash(page):
    """SHA-256 of the fields a reader sees on this story page, in canonical JSON."""
    return sha256_of(page.public_content())


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
            "superseded": _(
                "%(name)s has since approved a newer version, so this one can't be published "
                "any more. Only the version they approved last can be."
            )
            % {"name": name},
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
            "private_term": self._private_term_reason(name),
            "private_term_any": self._private_term_any_reason(),
            "no_private_words": _("No storyteller's private words are on this page."),
            "unchecked": (
                _("Sayso could not check %(name)s's approval of this version.") % {"name": name}
                if name
                else _("Sayso could not check whether this version may be published.")
            ),
        }
        return messages[self.code]

    def refusal(self):
        """The exception a publish door raises for this verdict (the model guards do)."""
        return ConsentRequired(self.reason)

    def _labels(self):
        return [str(PUBLIC_FIELD_LABELS.get(part, part)) for part in self.extra.get("fields", [])]

    def _private_term_any_reason(self):
        # Neither the word nor whose it is: only where, so the editor can take it out.
        labels = self._labels()
        if len(labels) == 1:
            return _("The %(field)s contains a storyteller's private words.") % {"field": labels[0]}
        return _("The %(fields)s contain a storyteller's private words.") % {
            "fields": get_text_list(labels, _("and"))
        }

    def _private_term_reason(self, name):
        # Names the places, never the word: this reason reaches editors' screens and logs.
        labels = self._labels()
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
    """May this page, with exactly its current field values, be public — and if not, why?

    Every door asks this: the page's save guard, the editor's form and panel, the workflow's
    finish action, serving, listings, feeds, the expiry sweep and the portal. It runs the
    checks named in ``SAYSO_PUBLICATION_CHECKS`` (consent.publication) in order: the first
    refusal is the answer; otherwise the page may be public only if some check approved it
    (for a story, consent's own rule, storyteller_consent). It fails closed: a check that
    can't be loaded or raises is logged and refuses ("unchecked").

    ``entries`` (the story's ledger entries, newest first) may be passed in by batch callers;
    serving passes the ``rendered`` page too, so the guard also reads exactly what a reader
    would get. Rules that gate going live, not staying live (the payment rule), pass when
    ``publishing=False``, as serving, listings and the expiry sweep ask.
    """
    context = {
        "require_website": require_website,
        "on_day": on_day,
        "entries": entries,
        "rendered": rendered,
        "publishing": publishing,
    }
    storyteller_id = getattr(page, "storyteller_id", None)
    try:
        configured = publication_checks()
    except Exception:
        logger.exception("The publication checks can't be loaded; page %s stays private", page.pk)
        return Verdict(False, "unchecked", storyteller_id)
    approval = None
    for path, check in configured:
        try:
            verdict = check(page, **context)
        except Exception:
            logger.exception(
                "Publication check %s failed on page %s; it stays private", path, page.pk
            )
            return Verdict(False, "unchecked", storyteller_id)
        if verdict is None:
            continue
        if not verdict.allowed:
            return verdict
        approval = approval or verdict
    return approval or Verdict(False, "unchecked", storyteller_id)


def storyteller_consent(
    page, *, require_website=True, on_day=None, entries=None, rendered=None, publishing=True
):
    """Consent's rule (mandatory in SAYSO_PUBLICATION_CHECKS): does her say-so cover this page?

    None for a page that is no story (it has no storyteller field).

    Her latest decision is the only one that counts (DESIGN invariant 2): only the story's
    newest grant can make a version public, only for its own words (hash) and scope, and only
    if she is the page's storyteller. An older grant never counts again once she approves or
    writes a newer version, so no revert, old revision or schedule brings back words she has
    replaced. After that grant: a withdrawal ends it; an expiry of that grant ends it; her
    request for changes to those same words blocks them. A request for changes to *another*
    version does not touch the grant: asking for changes is not a withdrawal, so the version
    she approved may stay public while the editors rework the draft (see latest_decision).
    """
    if not hasattr(page, "storyteller_id"):
        return None
    storyteller_id = page.storyteller_id
    if storyteller_id is None:
        return Verdict(False, "no_storyteller")
    # No version carrying its storyteller's private words is public, whatever consent says:
    # the words could have been added to their list after they approved.
    fields = private_words_in(page, rendered=rendered)
    if fields:
        return Verdict(False, "private_term", storyteller_id, extra={"fields": fields})
    # Going live, the names it shares with other stories (warnings, topics) must hold
    # nobody's words either (a word added later takes such stories down, in services).
    shared = shared_names_with_private_words(page) if publishing else []
    if shared:
        return Verdict(False, "private_term_any", storyteller_id, extra={"fields": shared})
    # An alias is governed by its original's consent.
    story_id = page.alias_of_id or page.pk
    if story_id is None:
        return Verdict(False, "waiting", storyteller_id)

    if entries is None:
        entries = ConsentEntry.objects.filter(story_id=story_id).order_by("-sequence")
    decision = latest_decision(entries)
    if decision.withdrawal is not None:
        on = decision.withdrawal.created_at.date()
        return Verdict(False, "withdrawn", storyteller_id, on=on)
    grant = decision.grant
    if grant is None or grant.storyteller_id != storyteller_id:
        return Verdict(False, "waiting", storyteller_id)
    if content_hash(page) != grant.content_hash:
        if decision.superseded_hash(content_hash(page)):
            return Verdict(False, "superseded", storyteller_id, grant)
        return Verdict(False, "waiting", storyteller_id)
    if decision.changes_requested:
        return Verdict(False, "changes_requested", storyteller_id)
    if decision.expiry is not None:
        return Verdict(False, "expired", storyteller_id, on=decision.expiry.created_at.date())
    return _check_grant_scope(page, grant, storyteller_id, on_day or today(), require_website)


@dataclass(frozen=True)
class LatestDecision:
    """What a story's ledger says now: her newest grant and what came after it.

    ``withdrawal`` is set when she withdrew after her newest grant (or never granted since);
    ``expiry`` when that grant was recorded as ended; ``changes_requested`` when she asked for
    changes to that grant's own words afterwards. ``older_hashes`` are the words of grants the
    newest one replaced: they never count again.
    """

    grant: ConsentEntry | None = None
    withdrawal: ConsentEntry | None = None
    expiry: ConsentEntry | None = None
    changes_requested: bool = False
    older_hashes: frozenset = frozenset()

    def superseded_hash(self, digest):
        return digest in self.older_hashes

    @property
    def grant_in_force(self):
        """Her newest grant, unless she withdrew after it or it was recorded as ended."""
        if self.withdrawal is not None or self.expiry is not None:
            return None
        return self.grant


def latest_decision(entries):
    """Read a story's ledger entries (newest first) the one way the rule reads them."""
    after = []
    grant = None
    older = set()
    for entry in entries:
        if grant is None:
            if entry.decision == ConsentEntry.Decision.GRANTED:
                grant = entry
            else:
                after.append(entry)
        elif entry.decision == ConsentEntry.Decision.GRANTED:
            older.add(entry.content_hash)
    withdrawal = next(
        (entry for entry in after if entry.decision == ConsentEntry.Decision.WITHDRAWN), None
    )
    if grant is None:
        return LatestDecision(withdrawal=withdrawal)
    expiry = next(
        (
            entry
            for entry in after
            if entry.decision == ConsentEntry.Decision.EXPIRED
            and entry.content_hash == grant.content_hash
        ),
        None,
    )
    changes = any(
        entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
        and entry.content_hash == grant.content_hash
        for entry in after
    )
    return LatestDecision(
        grant=grant,
        withdrawal=withdrawal,
        expiry=expiry,
        changes_requested=changes,
        older_hashes=frozenset(older - {grant.content_hash}),
    )


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


def shared_names_with_private_words(page):
    """The names a story shares with others (content warnings, topics) that hold any
    storyteller's private words: one query for everyone's words."""
    shared = {
        "content_warnings": [warning.name for warning in page.content_warnings.all()],
        "topics": [name for topic in page.topics.all() for name in (topic.name, topic.slug)],
    }
    if not any(shared.values()):
        return []
    return redaction.fields_containing(shared, everyones_guarded_terms())


def everyones_guarded_terms():
    """Every storyteller's private words and legal name: what no shared page may show.

    One query, decrypting each storyteller's row: callers load it once per publish or render
    and pass the list on, never once per story.
    """
    terms = []
    for storyteller in Storyteller.objects.only("pk", "legal_name", "private_terms"):
        terms.extend(storyteller.guarded_terms())
    return redaction.clean_terms(terms)


def public_page_verdict(page, *, rendered=None, terms=None):
    """May this page, which is not a story, be public? Only holding nobody's private words.

    The one rule for every other page type (home, indexes, campaigns, search) and for the
    names shared between stories (topics, content warnings): none of their public strings
    (``page.public_strings()``), nor the page as rendered for a reader when ``rendered`` is
    given, may contain any storyteller's private words or legal name, invisible characters
    and entities notwithstanding. Fails closed: if the words can't be read, the error
    propagates and nothing is saved or served. ``terms`` (everyones_guarded_terms()) may be
    passed by callers that check many pages. The reason names the field, never the word.
    """
    if terms is None:
        terms = everyones_guarded_terms()
    fields = []
    if page is not None:  # None: a page that is only a view (search), checked as rendered
        fields = redaction.fields_containing(
            page.public_strings(), terms, html_fields=page.public_html_fields
        )
    if rendered is not None and redaction.html_contains_any(rendered, terms):
        fields.append(RENDERED_PAGE)
    if fields:
        return Verdict(False, "private_term_any", extra={"fields": fields})
    return Verdict(True, "no_private_words")


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


def storyteller_is_fixed(story, stored=None):
    """True when the story's storyteller can no longer be changed (DESIGN invariant 2).

    Fixed once she has been asked to review it (a review task was ever started for her),
    once there is any entry about it in the ledger, for every alias (it follows its
    original) and for every copy (it keeps its storyteller for good). Editors start a new
    story for someone else. ``stored`` is the page row as saved (the row, not a revision,
    says whether it is a copy or an alias).
    """
    from wagtail.models import TaskState

    from .models import StorytellerReviewTask

    if story.pk is None:
        return False
    if stored is None:
        stored = type(story).objects.filter(pk=story.pk).values("copied_from_id", "alias_of_id")
        stored = stored.first() or {}
    if stored.get("copied_from_id") or stored.get("alias_of_id"):
        return True
    if ConsentEntry.objects.filter(story_id=story.pk).exists():
        return True
    return (
        TaskState.objects.for_instance(story)
        .filter(task__in=StorytellerReviewTask.objects.all())
        .exists()
    )


def revision_verdict(revision, *, require_website=True, publishing=True):
    """The verdict for a saved version, rebuilt from the revision as it is stored now."""
    return publication_verdict(
        revision.as_object(), require_website=require_website, publishing=publishing
    )


def story_decision(story):
    """latest_decision for one story, read from its own ledger entries."""
    return latest_decision(ConsentEntry.objects.filter(story_id=story.pk).order_by("-sequence"))


def grants_in_force(story_ids=None):
    """Each story's newest grant that no withdrawal or expiry came after (of these stories).

    The ledger read the one way (latest_decision), one query for the lot.
    """
    entries = ConsentEntry.objects.filter(story__isnull=False)
    if story_ids is not None:
        entries = entries.filter(story_id__in=story_ids)
    by_story = {}
    for entry in entries.order_by("-sequence"):
        by_story.setdefault(entry.story_id, []).append(entry)
    in_force = {}
    for story_id, story_entries in by_story.items():
        grant = latest_decision(story_entries).grant_in_force
        if grant is not None:
            in_force[story_id] = grant
    return in_force


def consent_has_ended(story):
    """True when she withdrew after her newest grant, or that grant was recorded as ended."""
    decision = story_decision(story)
    return decision.withdrawal is not None or decision.expiry is not None


def is_withdrawn(story):
    """True when the storyteller's most recent say about the story is a withdrawal."""
    return story_decision(story).withdrawal is not None


def entries_for_storyteller(storyteller):
    return ConsentEntry.objects.filter(storyteller=storyteller).select_related("story")


@dataclass(frozen=True)
class StoryStatus:
    """Where a story stands, in the storyteller's words, and what happens next."""

    code: str
    label: str
    next_step: str
    # What readers get now, when that is not what she is reading or asked about.
    website: str = ""


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
    # Readers get a page only while her newest decision covers it (serving asks the same
    # verdict), so "on the website" is said only when that holds for the live words.
    shown = story.live and publication_verdict(story, publishing=False).allowed
    earlier_shown = _("The website still shows your earlier version, the one you approved.")
    if open_review_revision(story) is not None:
        return StoryStatus(
            "ready",
            _("Ready for you to read"),
            _("Read it and decide: approve it, ask for changes, or edit it yourself."),
            website=earlier_shown if shown else "",
        )
    newest = ConsentEntry.objects.filter(story_id=story.pk).order_by("-sequence").first()
    if newest and newest.decision == ConsentEntry.Decision.CHANGES_REQUESTED:
        return StoryStatus(
            "changes_requested",
            _("You asked for changes"),
            _("The editors are working on it. You'll see it here again when it's ready."),
            website=earlier_shown if shown else "",
        )
    if (
        not story.live
        and story.first_published_at is not None
        and latest
        and latest.decision == ConsentEntry.Decision.GRANTED
    ):
        # Her newest grant replaced the one the public version had (a new version, or a
        # narrower agreement), so that version left the website until the editors publish
        # one her newest decision covers.
        return StoryStatus(
            "waiting_for_editors",
            _("Approved — off the website until the editors publish it"),
            _(
                "The version that was on the website no longer matches what you agreed to, "
                "so it was taken off. The editors will publish the version you approved. "
                "You can still withdraw it."
            ),
        )
    if shown:
        return StoryStatus(
            "published",
            _("Published — on the website"),
            _(
                "The website shows exactly the version you approved. You can withdraw it at "
                "any time."
            ),
        )
    if story.live:
        # Live, but her newest decision doesn't cover these words (an end date passed
        # today, a word added to her list): readers are refused it already.
        return StoryStatus(
            "not_shown",
            _("Not shown on the website"),
            _(
                "What is there no longer matches what you agreed to, so readers can't see it. "
                "The editors will take it down or send you a new version."
            ),
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


def approved_content_hash(story, revision):
    """The content hash the storyteller last approved for this version ("" if never)."""
    return (
        ConsentEntry.objects.filter(
            story_id=story.pk, revision_id=revision.pk, decision=ConsentEntry.Decision.GRANTED
        )
        .order_by("-sequence")
        .values_list("content_hash", flat=True)
        .first()
        or ""
    )


@dataclass(frozen=True)
class ConversationMessage:
    """One message about a story: hers (a request for changes) or an editor's reply."""

    from_storyteller: bool
    text: str
    at: object
    revision_id: int | None = None


def conversation(story):
    """Her requests for changes and the editors' replies about one story, oldest first."""
    from .models import EditorReply

    requests = ConsentEntry.objects.filter(
        story_id=story.pk,
        storyteller_id=story.storyteller_id,
        decision=ConsentEntry.Decision.CHANGES_REQUESTED,
    ).exclude(message="")
    messages = [
        ConversationMessage(True, entry.message, entry.created_at, entry.revision_id)
        for entry in requests
    ]
    messages += [
        ConversationMessage(False, reply.text, reply.created_at, reply.revision_id)
        for reply in EditorReply.objects.filter(story_id=story.pk)
    ]
    return sorted(messages, key=lambda message: message.at)


def _existing_revision(revision_id):
    from wagtail.models import Revision

    if revision_id is None:
        return None
    return Revision.page_revisions.filter(pk=revision_id).first()


def reading_before(storyteller, story, revision):
    """The version of the story she read last before this one (a StoryReading), if any."""
    from .models import StoryReading

    return (
        StoryReading.objects.filter(storyteller=storyteller, story_id=story.pk)
        .exclude(revision_id=revision.pk)
        .order_by("-last_read_at", "-pk")
        .first()
    )


def reading_of(storyteller, story, revision):
    """Her reading of exactly this version, if she opened it before."""
    from .models import StoryReading

    return StoryReading.objects.filter(
        storyteller=storyteller, story_id=story.pk, revision_id=revision.pk
    ).first()


def revision_she_asked_to_change(story):
    """The version her newest request for changes was about, if it still exists."""
    revision_id = (
        ConsentEntry.objects.filter(
            story_id=story.pk,
            storyteller_id=story.storyteller_id,
            decision=ConsentEntry.Decision.CHANGES_REQUESTED,
            revision_id__isnull=False,
        )
        .order_by("-sequence")
        .values_list("revision_id", flat=True)
        .first()
    )
    return _existing_revision(revision_id)


def earlier_version(story, storyteller, since, current):
    """The version "what changed" compares the one she reads with, and when it was from.

    ``since``: "read" (the version she read before this one), "asked" (the one she asked to
    change) or "approved" (the one she approved last). Returns (revision, date) or
    (None, None).
    """
    if since == "read":
        reading = reading_before(storyteller, story, current)
        if reading is None:
            return None, None
        return _existing_revision(reading.revision_id), reading.last_read_at
    if since == "asked":
        return _decided_on(
            story, revision_she_asked_to_change(story), ConsentEntry.Decision.CHANGES_REQUESTED
        )
    if since == "approved":
        return _decided_on(story, last_approved_revision(story), ConsentEntry.Decision.GRANTED)
    return None, None


def _decided_on(story, revision, decision):
    """(revision, when she last made this decision on it); the date is None if she never did."""
    entry = (
        ConsentEntry.objects.filter(
            story_id=story.pk,
            decision=decision,
            revision_id=revision.pk if revision else None,
        )
        .order_by("-sequence")
        .first()
    )
    return revision, entry.created_at if entry else None


def replaced_while_reading(story, revision):
    """True when the editors sent her a newer version while she read this one.

    An editor's new version replaces the one under her review
    (services.send_new_version_to_storyteller): a decision posted from the page she had
    open names the version it replaced, which she is no longer asked about.
    """
    waiting = open_review_revision(story)
    return waiting is not None and waiting.pk != revision.pk


# Generated sign-in names start with this (services.create_storyteller); a storyteller who
# chose her own has one she can type.
GENERATED_USERNAME_PREFIX = "storyteller-"


@dataclass(frozen=True)
class AccountStatus:
    """Where a storyteller's account stands, in an editor's words: one line each."""

    code: str  # "not_invited", "invited", "link_ended", "active"
    lines: tuple


def account_status(storyteller, *, now=None):
    """Whether she was invited, until when her link works, and when she last signed in."""
    now = now or timezone.now()
    user = storyteller.user
    invitation = storyteller.invitations.order_by("-created_at", "-pk").first()
    lines = []
    if invitation is not None and invitation.used_at is None:
        when = formats.date_format(timezone.localtime(invitation.expires_at), "j F Y, H:i")
        if invitation.expires_at > now:
            code = "invited"
            lines.append(_("Invited — the link ends on %(date)s.") % {"date": when})
        else:
            code = "link_ended"
            lines.append(
                _("The invitation link ended on %(date)s without being used.") % {"date": when}
            )
    elif invitation is None and not user.has_usable_password():
        code = "not_invited"
        lines.append(_("Not invited yet."))
    else:
        code = "active"
    if user.last_login:
        lines.append(
            _("Signed in last on %(date)s.")
            % {"date": formats.date_format(timezone.localtime(user.last_login), "j F Y, H:i")}
        )
    else:
        lines.append(_("Has not signed in yet."))
    if user.has_usable_password() and not user.username.startswith(GENERATED_USERNAME_PREFIX):
        lines.append(_("Has a sign-in name: %(name)s") % {"name": user.username})
    elif user.has_usable_password():
        lines.append(_("No sign-in name of their own yet."))
    return AccountStatus(code, tuple(lines))

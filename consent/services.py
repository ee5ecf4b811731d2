"""Writes about consent: every decision goes through these functions, whoever calls them.

Every decision first locks the story's page row (``lock_story``), as does the page's save
when it goes live: a publish and a withdrawal running at the same moment are decided one
after the other, so the ledger never says "withdrawn" while the page is live. After a grant,
the live page is checked against her newest decision at once (``_enforce_latest_decision``):
a narrower grant or a newer version takes the old one down in the same transaction.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.actions.unpublish_page import UnpublishPageAction
from wagtail.models import Page, TaskState

from core.db import retrying
from core.hashing import require_what_was_read, sha256_hex
from core.in_person import witness_named

from .exceptions import (
    ConsentRequired,
    NotTheStoryteller,
    PrivateWordsFound,
    StoryChanged,
    StoryWithdrawn,
)
from .models import (
    Byline,
    Channel,
    ConsentEntry,
    Notification,
    StorytellerReviewTask,
    is_storyteller_of,
)
from .selectors import (
    content_hash,
    is_withdrawn,
    public_page_verdict,
    publication_verdict,
    replaced_while_reading,
    revision_content_hash,
    story_decision,
    today,
)
from .signals import private_words_changed, story_taken_down

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """What a storyteller agreed to: where, under which name, with or without the photo, until."""

    channels: tuple[str, ...]
    byline: str
    image_allowed: bool = False
    valid_until: date | None = None

    def __post_init__(self):
        unknown = set(self.channels) - set(Channel.values)
        if unknown or not self.channels:
            raise ValueError(f"Choose at least one place the story may appear: {unknown or ''}")
        if self.byline not in Byline.values:
            raise ValueError(f"Unknown byline: {self.byline}")
        if self.valid_until is not None and self.valid_until < today():
            raise ValueError("The end date is in the past.")


def lock_story(story):
    """Lock the row of the story whose consent governs ``story``; return it as stored now.

    Call it inside a transaction, before reading anything the decision depends on: whoever
    publishes or decides second waits here for the first to commit, then reads its result.
    (On PostgreSQL a row lock; SQLite has no row locks, so a no-op write takes its database
    write lock, unless the transaction already holds it.)
    """
    StoryPage = apps.get_model("stories", "StoryPage")
    story_id = story.alias_of_id or story.pk
    lock_story_row(story_id)
    return StoryPage.objects.get(pk=story_id)


def lock_story_row(story_id):
    """Lock one story's page row until the transaction ends (see lock_story)."""
    from django.db import connection
    from django.db.models import F

    if story_id is None:
        return
    if connection.vendor == "sqlite":
        Page.objects.filter(pk=story_id).update(depth=F("depth"))
    else:
        list(Page.objects.select_for_update().filter(pk=story_id).values_list("pk", flat=True))


def _append(story, *, decision, method, revision_id=None, digest="", scope=None, **fields):
    entry = ConsentEntry(
        storyteller_id=story.storyteller_id,
        story=story,
        revision_id=revision_id,
        content_hash=digest,
        decision=decision,
        method=method,
        **fields,
    )
    if scope is not None:
        entry.channels = sorted(scope.channels)
        entry.byline = scope.byline
        entry.image_allowed = scope.image_allowed
        entry.valid_until = scope.valid_until
    entry.save()
    return entry


def _tell_editors(kind, story):
    from .notifications import notify_editors

    transaction.on_commit(lambda: notify_editors(kind, story))


def _require_storyteller(user, story):
    if not is_storyteller_of(user, story):
        raise NotTheStoryteller(_("Only the story's own storyteller can decide this."))


def _require_revision_of(revision, story):
    if revision.base_content_type_id != ContentType.objects.get_for_model(Page).pk or (
        str(revision.object_id) != str(story.pk)
    ):
        raise NotTheStoryteller(_("That version belongs to another story."))


def _hash_of_what_she_read(story, revision, expected_hash):
    """The version's content hash, when it is still the one she read (``expected_hash``).

    Checked under the story's lock, for her approval and her request for changes alike: if
    what she read changed (an autosave, an editor's change), or the editors sent her a newer
    version meanwhile (send_new_version_to_storyteller), she is no longer asked about it.
    """
    digest = revision_content_hash(revision)
    changed = StoryChanged(_("The story changed while you were reading it."))
    require_what_was_read(expected_hash, digest, changed)
    if expected_hash is not None and replaced_while_reading(story, revision):
        raise changed
    return digest


def open_review(story):
    """The storyteller review waiting on this story, if any."""
    state = (
        TaskState.objects.for_instance(story)
        .filter(
            status=TaskState.STATUS_IN_PROGRESS,
            task__in=StorytellerReviewTask.objects.all(),
        )
        .select_related("revision")
        .first()
    )
    return state.specific if state else None


def _refuse_private_words(version):
    """No one approves words carrying the storyteller's private words (the one rule says why)."""
    verdict = publication_verdict(version, require_website=False)
    if verdict.code == "private_term":
        raise PrivateWordsFound(verdict.reason, fields=verdict.extra["fields"])


@retrying
@transaction.atomic
def approve_story(*, story, revision, user, scope, expected_hash=None):
    """The storyteller approves exactly this version, within the scope they chose.

    ``expected_hash`` is the content hash of what she read: checked under the story's lock,
    so an autosave or an editor's change in between can't slip into her approval.
    """
    story = lock_story(story)
    _require_storyteller(user, story)
    _require_revision_of(revision, story)
    digest = _hash_of_what_she_read(story, revision, expected_hash)
    _refuse_private_words(revision.as_object())
    entry = _append(
        story,
        decision=ConsentEntry.Decision.GRANTED,
        method=ConsentEntry.Method.PORTAL,
        revision_id=revision.pk,
        digest=digest,
        scope=scope,
    )
    review = open_review(story)
    if review is not None and review.revision_id == revision.pk:
        review.approve(user=user)
    if not _enforce_latest_decision(story):
        _tell_editors(Notification.Kind.APPROVED, story)
    return entry


def _enforce_latest_decision(story, *, notify=True):
    """After a grant: the live page stays only if her newest grant covers it exactly.

    A grant for new words makes the older words' grant stop counting; a narrower grant for
    the same words (fewer places, another byline, no photo, an earlier end) may no longer
    cover what is live. Either way the live page comes down in this same transaction (a
    review under way carries on), and the editors are told her new version waits for them.
    Returns True when it took the page down.
    """
    story = type(story).objects.get(pk=story.pk)
    verdict = publication_verdict(story, publishing=False)
    if not story.live or verdict.allowed:
        return False
    take_down(story, log_action="sayso.superseded", keep_review=True)
    if not notify:
        return True
    kind = (
        Notification.Kind.NEW_VERSION_WAITING
        if verdict.code in ("superseded", "waiting")
        else Notification.Kind.CONSENT_NARROWED
    )
    _tell_editors(kind, story)
    return True


@retrying
@transaction.atomic
def request_changes(*, story, revision, user, message, expected_hash=None):
    """The storyteller asks the editors for changes to this version.

    A request is not a withdrawal: it blocks those words, and leaves any other version she
    approved (the live one, say) as it is (selectors.publication_verdict). Refusing part of
    a version (its photo, the name it gives her) is such a request too: services never
    turn her "no" into an error, it reaches the editors as what she asked for.
    """
    story = lock_story(story)
    _require_storyteller(user, story)
    _require_revision_of(revision, story)
    digest = _hash_of_what_she_read(story, revision, expected_hash)
    entry = _append(
        story,
        decision=ConsentEntry.Decision.CHANGES_REQUESTED,
        method=ConsentEntry.Method.PORTAL,
        revision_id=revision.pk,
        digest=digest,
        message=message,
    )
    review = open_review(story)
    if review is not None and review.revision_id == revision.pk:
        review.reject(user=user, comment=message)
    _tell_editors(Notification.Kind.CHANGES_REQUESTED, story)
    # Only when she asked to change the very words that are live do they come down.
    _enforce_latest_decision(story, notify=False)
    return entry


@retrying
@transaction.atomic
def record_in_person_consent(*, story, revision, editor, witness_name, scope):
    """An editor records consent the storyteller gave in person, before a named witness.

    Never after a withdrawal, of the story or of the story it was copied from (or the alias
    it was converted from): only she can bring withdrawn words back, in the portal.
    """
    story = lock_story(story)
    if not story.permissions_for_user(editor).can_edit():
        raise NotTheStoryteller(_("You can't record consent for this story."))
    _require_revision_of(revision, story)
    witness_name = witness_named(witness_name)
    if is_withdrawn(story) or withdrawn_origin(story):
        raise ConsentRequired(
            _("This story was withdrawn. Only the storyteller can give consent again.")
        )
    _refuse_private_words(revision.as_object())
    entry = _append(
        story,
        decision=ConsentEntry.Decision.GRANTED,
        method=ConsentEntry.Method.IN_PERSON,
        revision_id=revision.pk,
        digest=revision_content_hash(revision),
        scope=scope,
        recorded_by=editor,
        witness_name=witness_name,
    )
    _enforce_latest_decision(story)
    return entry


def withdrawn_origin(story):
    """True when the story was copied (or converted from an alias) from a withdrawn story."""
    StoryPage = apps.get_model("stories", "StoryPage")
    origin_id = story.copied_from_id
    seen = set()
    while origin_id and origin_id not in seen:
        seen.add(origin_id)
        origin = StoryPage.objects.filter(pk=origin_id).only("pk", "copied_from_id").first()
        if origin is None:
            return False
        if is_withdrawn(origin):
            return True
        origin_id = origin.copied_from_id
    return False


@retrying
@transaction.atomic
def withdraw_story(*, story, user=None, recorded_by=None, witness_name=""):
    """Withdraw consent for a story: it leaves every public place in this same transaction.

    Either the storyteller withdraws (``user``), or an editor records a withdrawal the
    storyteller asked for in person (``recorded_by`` with ``witness_name``). The story is read
    again once locked: a publish that committed meanwhile is taken down too.
    """
    story = lock_story(story)
    if recorded_by is not None:
        # As for in-person consent: only someone who may edit the story records for its
        # storyteller, or any account (another storyteller) could take a story down.
        if not story.permissions_for_user(recorded_by).can_edit():
            raise NotTheStoryteller(_("You can't record a withdrawal for this story."))
        witness_name = witness_named(witness_name)
        method = ConsentEntry.Method.IN_PERSON
    else:
        _require_storyteller(user, story)
        method = ConsentEntry.Method.PORTAL
    live_revision = story.live_revision if story.live else None
    entry = _append(
        story,
        decision=ConsentEntry.Decision.WITHDRAWN,
        method=method,
        revision_id=live_revision.pk if live_revision else None,
        digest=content_hash(story) if story.live else "",
        recorded_by=recorded_by,
        witness_name=witness_name.strip(),
    )
    take_down(story)
    _tell_editors(Notification.Kind.WITHDRAWN, story)
    return entry


def places_she_can_stop(story):
    """Her newest grant for the story, when she may stop some of its places and keep others.

    Only a grant still in force can be narrowed: after a withdrawal, an expiry or her request
    for changes to those same words, a narrowed copy of the grant would bring them back.
    """
    decision = story_decision(story)
    grant = decision.grant_in_force
    if (
        grant is None
        or decision.changes_requested
        or (grant.valid_until and grant.valid_until < today())
        or len(grant.channels) < 2
    ):
        return None
    return grant


@retrying
@transaction.atomic
def narrow_consent(*, story, user, stop):
    """The storyteller stops some places (``stop``, channel values) and keeps the others.

    A new grant for the same words with fewer places, recorded at once; what is live stays
    only if her narrower grant still covers it (no website, no live page), in this same
    transaction. To stop every place she withdraws (withdraw_story).
    """
    story = lock_story(story)
    _require_storyteller(user, story)
    grant = places_she_can_stop(story)
    if grant is None:
        raise ConsentRequired(_("There is nothing you agreed to that can be narrowed."))
    stop = set(stop)
    keep = [channel for channel in grant.channels if channel not in stop]
    if not stop or not stop <= set(grant.channels):
        raise ValueError("Choose places the story may appear in now.")
    if not keep:
        raise ValueError("Stopping every place is a withdrawal.")
    scope = Scope(
        channels=tuple(keep),
        byline=grant.byline,
        image_allowed=grant.image_allowed,
        valid_until=grant.valid_until,
    )
    labels = dict(Channel.choices)
    entry = _append(
        story,
        decision=ConsentEntry.Decision.GRANTED,
        method=ConsentEntry.Method.PORTAL,
        revision_id=grant.revision_id,
        digest=grant.content_hash,
        scope=scope,
        message=_("Stopped by the storyteller: %(places)s.")
        % {"places": ", ".join(str(labels[c]) for c in grant.channels if c in stop)},
    )
    if not _enforce_latest_decision(story):
        _tell_editors(Notification.Kind.CONSENT_NARROWED, story)
    return entry


def take_down(story, *, log_action="sayso.take_down", keep_review=False):
    """Remove a story from every public place: pages, aliases, search, renditions, caches.

    Search and cached pages are the public site's (stories.signals, on story_taken_down).
    """
    from images.services import take_down_story_renditions

    review = None if keep_review else open_review(story)
    if review is not None:
        review.workflow_state.cancel()
    aliases = list(story.aliases.all().specific())
    if story.live:
        # Wagtail's unpublish also unpublishes the aliases.
        UnpublishPageAction(story, user=None, log_action=log_action).execute(
            skip_permission_checks=True
        )
    for alias in aliases:
        if alias.live:
            UnpublishPageAction(alias, user=None).execute(skip_permission_checks=True)
    pages = [story, *aliases]
    take_down_story_renditions(story, reason=log_action)
    story_taken_down.send(sender=type(story), story=story, pages=pages)


def take_down_stories_with_private_words(storyteller):
    """Take down the storyteller's live stories that now contain one of their private words.

    Runs whenever their private words or legal name change (Storyteller.save): a word
    added after publication must not stay public. Like a withdrawal, minus the ledger entry:
    the storyteller's consent stands, and a corrected version can be approved again.
    """
    StoryPage = apps.get_model("stories", "StoryPage")
    taken_down = []
    # Aliases go down with their original (take_down), so only originals are checked.
    live = (
        StoryPage.objects.live()
        .filter(storyteller_id=storyteller.pk, alias_of__isnull=True)
        .select_related("image")
    )
    for story in live:
        story.storyteller = storyteller
        verdict = publication_verdict(story)
        if verdict.code != "private_term":
            continue
        # A review of a corrected version may be under way: it carries on.
        take_down(story, log_action="sayso.private_words", keep_review=True)
        _tell_editors(Notification.Kind.PRIVATE_WORDS, story)
        taken_down.append(story)
    others = take_down_other_pages_with_private_words(storyteller)
    if taken_down:
        logger.warning(
            "Took down %d stories of storyteller %s: private words",
            len(taken_down),
            storyteller.pk,
        )
    elif not others:
        # Cached pages are rendered text; the serve-time check must see fresh pages.
        private_words_changed.send(sender=type(storyteller), storyteller=storyteller)
    return taken_down


def take_down_other_pages_with_private_words(storyteller):
    """Take down every other live page now showing one of the storyteller's words.

    Her words may be on pages that are not her stories: the home page, an index, a campaign
    (their aliases go down with them), or a content warning or topic shown by anyone's
    story, whose stories then go down too (an editor renames it, and they go back through
    review). Runs with take_down_stories_with_private_words; the pages taken down, listed.
    """
    from django.db.models import Q

    # The public site's page types, by name: stories is built on consent.
    CampaignIndexPage, CampaignPage, ContentWarning, HomePage, StoryIndexPage, StoryPage, Topic = (
        apps.get_model("stories", name)
        for name in (
            "CampaignIndexPage",
            "CampaignPage",
            "ContentWarning",
            "HomePage",
            "StoryIndexPage",
            "StoryPage",
            "Topic",
        )
    )
    terms = storyteller.guarded_terms()
    if not terms:
        return []
    taken_down = []
    for model in (HomePage, StoryIndexPage, CampaignIndexPage, CampaignPage):
        for page in model.objects.live():
            if not public_page_verdict(page, terms=terms).allowed:
                UnpublishPageAction(page, user=None, log_action="sayso.private_words").execute(
                    skip_permission_checks=True
                )
                taken_down.append(page)
    warnings = [
        warning.pk
        for warning in ContentWarning.objects.all()
        if not public_page_verdict(warning, terms=terms).allowed
    ]
    topics = [
        topic.pk for topic in Topic.objects.all() if not public_page_verdict(topic, terms=terms)
    ]
    if warnings or topics:
        showing = (
            StoryPage.objects.live()
            .filter(alias_of__isnull=True)
            .filter(Q(content_warnings__in=warnings) | Q(topics__in=topics))
            .distinct()
        )
        for story in showing:
            take_down(story, log_action="sayso.private_words", keep_review=True)
            _tell_editors(Notification.Kind.PRIVATE_WORDS, story)
            taken_down.append(story)
    if taken_down:
        logger.warning("Took down %d other pages: private words", len(taken_down))
    return taken_down


@retrying
@transaction.atomic
def change_private_terms(storyteller, *, add=(), remove=()):
    """Add and remove private words without losing anyone else's change made meanwhile."""
    from core.text.redaction import clean_terms, fold

    from .models import Storyteller

    locked = Storyteller.objects.select_for_update().get(pk=storyteller.pk)
    removed = {fold(term) for term in remove}
    terms = [term for term in locked.private_term_list() if fold(term) not in removed]
    locked.private_terms = "\n".join(clean_terms([*terms, *add]))
    locked.save(update_fields=["private_terms"])
    storyteller.private_terms = locked.private_terms
    return locked.stories_taken_down


def expire_due_grants(on_day=None):
    """Record an expiry for each grant past its end date and take those stories down.

    Idempotent: a grant already followed by an expiry or a withdrawal is left alone.
    """
    on_day = on_day or today()
    expired = []
    due = ConsentEntry.objects.filter(
        decision=ConsentEntry.Decision.GRANTED, valid_until__lt=on_day, story__isnull=False
    ).values_list("story_id", flat=True)
    StoryPage = apps.get_model("stories", "StoryPage")
    for story_id in sorted(set(due)):
        with transaction.atomic():
            story = lock_story(StoryPage(pk=story_id))
            expired.extend(_expire_story_grants(story, on_day))
            if (
                story.live
                and not publication_verdict(story, on_day=on_day, publishing=False).allowed
            ):
                take_down(story)
    return expired


def _expire_story_grants(story, on_day):
    """Record the end of the story's newest grant, once its end date has passed.

    Only the newest grant counts (selectors.latest_decision), so only it can expire; one
    already followed by an expiry or a withdrawal is left alone.
    """
    grant = story_decision(story).grant_in_force
    if grant is None or not grant.valid_until or grant.valid_until >= on_day:
        return []
    return [
        _append(
            story,
            decision=ConsentEntry.Decision.EXPIRED,
            method=ConsentEntry.Method.SYSTEM,
            revision_id=grant.revision_id,
            digest=grant.content_hash,
            message=str(grant.receipt_id),
        )
    ]


@transaction.atomic
def create_storyteller(*, pseudonym, contact_preference=None, username=None):
    """Create a storyteller and their account, which can never open the Wagtail admin."""
    import secrets

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .models import STORYTELLERS_GROUP, Storyteller

    user = get_user_model().objects.create_user(
        username=username or f"storyteller-{secrets.token_hex(6)}", is_staff=False
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    group, _created = Group.objects.get_or_create(name=STORYTELLERS_GROUP)
    user.groups.add(group)
    silence_admin_emails(user)
    return Storyteller.objects.create(
        user=user,
        pseudonym=pseudonym,
        contact_preference=contact_preference or Storyteller.Contact.NONE,
    )


def silence_admin_emails(user):
    """Wagtail's own moderation emails name the page; a storyteller must never get one.

    When a storyteller edits her story she starts its review, so Wagtail counts her as the
    requester and would email her "The page “<title>” has been approved/rejected".
    Storytellers hear from Sayso only "Something is ready for you" (notifications.py).
    """
    from wagtail.users.models import UserProfile

    UserProfile.objects.update_or_create(
        user=user,
        defaults={
            "submitted_notifications": False,
            "approved_notifications": False,
            "rejected_notifications": False,
            "updated_comments_notifications": False,
        },
    )


INVITATION_LIFETIME = timedelta(days=7)


def _token_hash(token):
    return sha256_hex(token)


@transaction.atomic
def create_invitation(*, storyteller, created_by):
    """Make a new single-use link for a storyteller; earlier unused links stop working.

    Returns (invitation, token). The token is shown once and never stored.
    """
    from .models import Invitation

    storyteller.invitations.filter(used_at__isnull=True).update(expires_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        storyteller=storyteller,
        token_hash=_token_hash(token),
        created_by=created_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    return invitation, token


def find_invitation(token):
    """The usable invitation for this token, or None."""
    from .models import Invitation

    invitation = (
        Invitation.objects.select_related("storyteller__user")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def accept_invitation(*, invitation, pseudonym, password, sign_in_name=None):
    """The storyteller chooses her sign-in name, name and password; the link can't be used
    again. Raises ValueError for a used link, ValidationError for a name taken meanwhile."""
    from django.contrib.auth.models import Group

    from core.sign_in_names import validate_sign_in_name

    from .models import STORYTELLERS_GROUP, Invitation

    # Lock the row so a link opened twice at once is still used only once.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError(_("This link has already been used or has expired."))
    storyteller = invitation.storyteller
    storyteller.pseudonym = pseudonym
    storyteller.save(update_fields=["pseudonym"])
    user = storyteller.user
    fields = ["password"]
    if sign_in_name is not None:
        # One welcome at a time chooses a name, so two people can't both take "Rose" and
        # "rose" at once (SQLite's immediate transactions already queue every writer).
        Group.objects.select_for_update().filter(name=STORYTELLERS_GROUP).first()
        user.username = validate_sign_in_name(sign_in_name, exclude_user=user)
        fields.append("username")
    user.set_password(password)
    user.save(update_fields=fields)
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return user


@retrying
@transaction.atomic
def edit_story(*, story, user, title, summary, body, scope, photo=None):
    """The storyteller rewrites their own story: a new version by them, approved by them.

    Their edit counts as their consent to exactly these words, within the scope they chose;
    any later change by an editor makes a new version that needs their approval again.
    Her version follows her choices: the photo (``photo``: "shown", "blurred" or "hidden")
    and how she is named (scope.byline), so what she approves is what she chose.
    """
    from core.text.sanitise import clean_plain_text, clean_story_html

    story = lock_story(story)
    _require_storyteller(user, story)
    if is_withdrawn(story):
        # Saving counts as her approval: on a withdrawn story that would bring it back by a
        # side door. Only approving a version the editors send her again does that.
        raise StoryWithdrawn(_("This story is withdrawn, so it can't be edited."))
    draft = story.get_latest_revision_as_object()
    draft.title = clean_plain_text(title)
    draft.draft_title = draft.title
    draft.summary = clean_plain_text(summary)
    draft.body = clean_story_html(body)
    _apply_her_choices(draft, story, scope, photo)
    _refuse_private_words(draft)
    revision = draft.save_revision(user=user, log_action=True)
    entry = _append(
        story,
        decision=ConsentEntry.Decision.GRANTED,
        method=ConsentEntry.Method.PORTAL,
        revision_id=revision.pk,
        digest=revision_content_hash(revision),
        scope=scope,
        message=_("Edited by the storyteller."),
    )
    _restart_review_after_storyteller_edit(story, revision, user)
    _tell_editors(Notification.Kind.EDITED, story)
    _enforce_latest_decision(story)
    return entry


def _apply_her_choices(draft, story, scope, photo):
    """Her version shows her photo as she chose, or not at all, and names her as she chose."""
    if draft.image_id and (photo == "hidden" or (photo is None and not scope.image_allowed)):
        draft.image = None
        draft.image_alt = ""
        draft.image_blurred = False
    elif draft.image_id and photo in ("shown", "blurred"):
        draft.image_blurred = photo == "blurred"
    if scope.byline == draft.byline_kind:
        return
    if scope.byline == draft.Byline.ANONYMOUS:
        draft.byline_kind = scope.byline
    elif scope.byline == draft.Byline.PSEUDONYM:
        draft.byline_kind = scope.byline
        draft.byline_name = story.storyteller.pseudonym
    else:
        # Her first name is hers to give the editors; it is never guessed.
        raise ValueError("This version has no first name to show.")


def _restart_review_after_storyteller_edit(story, revision, user):
    """Send the storyteller's new words to the editors' sign-off; their own review is done."""
    workflow_state = story.current_workflow_state
    if workflow_state is not None:
        workflow_state.cancel(user=user)
    workflow = story.get_workflow()
    if workflow is None:
        return
    story.refresh_from_db()
    workflow.start(story, user)
    review = open_review(story)
    if review is not None and review.revision_id == revision.pk:
        review.approve(user=user)


def send_new_version_to_storyteller(story, revision, user):
    """An editor's new version of a story she is reviewing goes to her at once.

    Called whenever a version of a story is saved (StoryPage.save_revision), so every door
    that saves one (the admin's Save draft, a revert, the API, a script) sends it. What she
    was reading is replaced by the new version: her review of it ends and a new one starts
    on the new version (Wagtail's own "resume" of the task), and she is told something is
    ready for her (signals.tell_storyteller_something_is_ready). She could otherwise approve
    words the editors have already replaced, and the editors would wait on a version nobody
    will publish. Her own edits start their own review (edit_story); an autosave rewrites
    the version she has in place, and her approval then stops at the changed words (the
    portal compares the words' hash). Returns the new review, or None.
    """
    if is_storyteller_of(user, story):
        return None
    review = open_review(story)
    if review is None or review.revision_id == revision.pk:
        return None
    with transaction.atomic():
        review.cancel(user=user, resume=True)
    return open_review(story)


def record_reading(*, storyteller, story, revision):
    """Note that she opened this version now (for "what changed since you last read it")."""
    from .models import StoryReading

    now = timezone.now()
    digest = revision_content_hash(revision)
    reading, created = StoryReading.objects.get_or_create(
        storyteller=storyteller,
        story_id=story.pk,
        revision_id=revision.pk,
        defaults={"content_hash": digest, "first_read_at": now, "last_read_at": now},
    )
    if not created:
        StoryReading.objects.filter(pk=reading.pk).update(last_read_at=now, content_hash=digest)
    return reading


@transaction.atomic
def reply_to_storyteller(*, story, editor, text):
    """An editor answers the storyteller about her story; she reads it in its conversation.

    Plain text only (it is shown to her escaped, and markup is dropped before it is kept).
    She is told only that something is ready for her, never what.
    """
    from core.text.sanitise import clean_plain_text

    from .models import EditorReply
    from .notifications import notify_storyteller_ready

    if not story.permissions_for_user(editor).can_edit():
        raise NotTheStoryteller(_("You can't reply about this story."))
    text = clean_plain_text(text)
    if not text:
        raise ValueError(_("Write a reply first."))
    reply = EditorReply.objects.create(
        story=story,
        written_by=editor,
        revision_id=story.get_latest_revision().pk if story.get_latest_revision() else None,
        text=text,
    )
    transaction.on_commit(lambda: notify_storyteller_ready(story))
    return reply

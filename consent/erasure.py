"""Erasure: a storyteller asks, an editor with the right confirms, the story is gone.

What goes, in one transaction: every version of the story and its title, its aliases, every
photo no other page uses (original file and renditions), its search entries, its review
history and admin log, the notifications about it, and the personal payload of its consent
entries. What stays: the ledger's tombstones (place, dates, decision and hashes, so the chain
still verifies) and the request itself (who asked, when, who confirmed).

When it was the storyteller's last story, their personal fields go too (legal name, contact
details, private terms, email): while another story of theirs remains, its private terms
are what keeps their name out of it, so they stay until then.
"""

import logging

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import EncryptedTextField

from .exceptions import NotTheStoryteller
from .models import ConsentEntry, ErasureRequest, Notification, Storyteller, is_storyteller_of
from .selectors import is_withdrawn
from .signals import story_erased

logger = logging.getLogger(__name__)

CONFIRM_PERMISSION = "consent.confirm_erasure"


class ErasureNotPossible(Exception):
    """The story can't be erased (yet): its storyteller's consent is not withdrawn."""


class CopyRefused(PermissionDenied):
    """A story under an erasure request can't be copied or aliased."""


def may_be_erased(story):
    """True when a story can be erased: withdrawn by its storyteller, and not public."""
    return not story.live and is_withdrawn(story)


def has_lapsed(erasure_request):
    """True when she approved the story again after asking: the request is over for good.

    Read from the ledger, not from the story's state now, so a later withdrawal can't
    revive it; she has to ask again.
    """
    return ConsentEntry.objects.filter(
        story_id=erasure_request.story_id,
        storyteller_id=erasure_request.storyteller_id,
        decision=ConsentEntry.Decision.GRANTED,
        created_at__gt=erasure_request.requested_at,
    ).exists()


def pending_request(story):
    """The request waiting on an editor for this story, unless it has lapsed."""
    erasure_request = ErasureRequest.objects.filter(
        story_id=story.pk, confirmed_at__isnull=True
    ).first()
    if erasure_request is None or has_lapsed(erasure_request):
        return None
    return erasure_request


def refuse_copy_of_story_under_erasure(page):
    """A copy or alias of a story she asked to erase would keep her words: refused until
    the request is confirmed (the story is then gone) or she changes her mind."""
    page = getattr(page, "specific", page)
    story = getattr(page, "consent_story", page)
    if story.pk is not None and pending_request(story) is not None:
        raise CopyRefused(
            _(
                "The storyteller asked for this story to be erased, so it can't be copied "
                "or shown somewhere else."
            )
        )


@transaction.atomic
def request_erasure(*, story, user):
    """The storyteller asks for their withdrawn story to be erased; an editor will confirm."""
    story = story.specific
    if not is_storyteller_of(user, story):
        raise NotTheStoryteller(_("Only the story's own storyteller can ask for this."))
    if not may_be_erased(story):
        raise ErasureNotPossible(_("Withdraw the story first; then you can ask for erasure."))
    existing = ErasureRequest.objects.filter(story_id=story.pk, confirmed_at__isnull=True).first()
    if existing is not None and not has_lapsed(existing):
        return existing
    if existing is not None:
        _forget(existing)
    erasure_request = ErasureRequest.objects.create(
        storyteller=Storyteller.objects.get(user_id=user.pk), story=story
    )
    _tell_confirmers(story)
    return erasure_request


@transaction.atomic
def cancel_erasure(*, story, user):
    """The storyteller changed their mind before an editor confirmed."""
    if not is_storyteller_of(user, story):
        raise NotTheStoryteller(_("Only the story's own storyteller can change this."))
    for erasure_request in ErasureRequest.objects.filter(
        story_id=story.pk, storyteller__user_id=user.pk, confirmed_at__isnull=True
    ):
        _forget(erasure_request)


def _forget(erasure_request):
    """A request she took back, or that lapsed: it goes, with the editors' reminders of it."""
    Notification.objects.filter(
        story_id=erasure_request.story_id, kind=Notification.Kind.ERASURE_REQUESTED
    ).delete()
    erasure_request.delete()


def confirmers():
    """Active accounts allowed to confirm erasure: holders of the permission, and superusers."""
    permission = Permission.objects.get(
        content_type__app_label="consent", codename="confirm_erasure"
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions=permission)
            | Q(groups__permissions=permission)
        )
        .exclude(storyteller__isnull=False)
        .distinct()
    )


def _tell_confirmers(story):
    from django.conf import settings
    from django.urls import reverse

    from .notifications import enqueue_email

    recipients = list(confirmers())
    for user in recipients:
        Notification.objects.create(
            recipient=user,
            kind=Notification.Kind.ERASURE_REQUESTED,
            story=story,
            storyteller_id=story.storyteller_id,
        )
    link = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("consent_erasure_requests")
    body = _("A storyteller asked for a story to be erased.\n\nConfirm it in Sayso: %(link)s\n")
    enqueue_email(recipients, _("Sayso: a request waits for you"), body % {"link": link})


@transaction.atomic
def confirm_erasure(*, erasure_request, editor):
    """An editor with the right confirms a storyteller's request: the story is erased now.

    Returns the confirmed request, or None when the request had lapsed.
    """
    if not editor.has_perm(CONFIRM_PERMISSION):
        raise PermissionDenied
    erasure_request = ErasureRequest.objects.select_for_update().get(pk=erasure_request.pk)
    if not erasure_request.is_pending or erasure_request.story_id is None:
        raise ErasureNotPossible(_("This request was already confirmed."))
    story = erasure_request.story.specific
    # She may have approved the story again since asking: only her latest say counts, so
    # the request lapses for good and nothing is erased, even if she withdrew again since.
    if has_lapsed(erasure_request) or not may_be_erased(story):
        _forget(erasure_request)
        return None
    erase_story(story, storyteller=erasure_request.storyteller, confirmed_by=editor)
    ErasureRequest.objects.filter(pk=erasure_request.pk).update(
        confirmed_at=timezone.now(), confirmed_by=editor, story=None
    )
    erasure_request.refresh_from_db()
    return erasure_request


def what_erasure_deletes(erasure_request):
    """What confirming would delete, for the editor to read first (counts, not content)."""
    from wagtail.models import Revision

    story = erasure_request.story.specific
    storyteller = erasure_request.storyteller
    aliases = list(story.aliases.values_list("pk", flat=True))
    page_ids = [story.pk, *aliases]
    return {
        "versions": Revision.page_revisions.filter(
            object_id__in=[str(pk) for pk in page_ids]
        ).count(),
        "aliases": len(aliases),
        "photos": len(_photos_only_these_pages_use(page_ids)),
        "consent_entries": story.consent_entries.filter(storyteller=storyteller).count(),
        "personal_fields": is_last_story(storyteller, page_ids),
    }


def is_last_story(storyteller, page_ids):
    """True when no story of hers remains besides these pages: her personal fields go too."""
    return not storyteller.stories.exclude(pk__in=page_ids).exists()


def erase_story(story, *, storyteller, confirmed_by):
    """Delete every trace of a story and of its storyteller's decisions about it; her ledger
    entries become tombstones. `storyteller` is the one who asked (the request names her),
    whatever the story's storyteller field says now. Call in a transaction, after checking
    she asked for it (confirm_erasure does both)."""
    story = story.specific
    aliases = list(story.aliases.all().specific())
    pages = [*aliases, story]
    page_ids = [page.pk for page in pages]
    images = _photos_only_these_pages_use(page_ids)

    # The ledger protects every entry's story link: anyone else's decisions about this story
    # are theirs to keep, so such a story can't be erased here (nothing has changed yet).
    others = story.consent_entries.exclude(storyteller_id=storyteller.pk).exclude(
        storyteller__isnull=True
    )
    if others.exists():
        raise ErasureNotPossible(
            _(
                "Another storyteller has decisions recorded about this story, so it can't be "
                "erased. Nothing was changed."
            )
        )
    last_story = is_last_story(storyteller, page_ids)
    story.consent_entries.filter(storyteller_id=storyteller.pk).reduce_to_tombstones(
        confirmed_by=confirmed_by
    )
    erase_compensation_records(story, storyteller=storyteller, last_story=last_story)
    # The public site drops it from search now and deletes its cached copies once the
    # erasure is committed (stories.signals).
    story_erased.send(sender=type(story), story=story, pages=pages)
    _delete_page_history(page_ids)
    for page in pages:
        page.delete()
    # Deleting logs "wagtail.delete" under the page's title: that goes too.
    _delete_page_history(page_ids)
    for image in images:
        _delete_photo(image)
    if last_story:
        erase_personal_fields(storyteller)
    _compact_search_index()


def erase_compensation_records(story, *, storyteller, last_story):
    """What the compensation app holds about this story and her, in the same transaction.

    Agreements and payments stay, because the law requires payment records to be kept: her
    agreements for the story lose the link to it and their free-text description, and keep
    the work, the amounts and the dates. Her answers about being paid for it (in a hash
    chain, like consent) become tombstones: what she said and about which payment stays,
    the story and her own words go. When it was her last story, everything else the erase
    page promises goes too: how she likes to be paid (a mobile-money number, say), all her
    messages about payments and the editors' reminders of them.
    """
    if not apps.is_installed("compensation"):
        return
    # Compensation is built on consent: its models are named, not imported.
    Agreement, CompensationResponse, PaymentPreference = (
        apps.get_model("compensation", name)
        for name in ("Agreement", "CompensationResponse", "PaymentPreference")
    )

    her_agreements = Agreement.objects.filter(story_id=story.pk, storyteller_id=storyteller.pk)
    answers = CompensationResponse.objects.filter(storyteller_id=storyteller.pk)
    if not last_story:
        answers = answers.filter(
            Q(story_id=story.pk)
            | Q(agreement__in=her_agreements)
            | Q(payment__agreement__in=her_agreements)
        )
    answers.reduce_to_tombstones()
    her_agreements.update(story=None, description="")
    if last_story:
        PaymentPreference.objects.filter(storyteller_id=storyteller.pk).delete()
        Notification.objects.filter(
            storyteller_id=storyteller.pk, kind=Notification.Kind.PAYMENT_PROBLEM
        ).delete()


def erase_personal_fields(storyteller):
    """Blank the storyteller's personal fields: whatever is encrypted, and their email."""
    storyteller = Storyteller.objects.select_for_update().get(pk=storyteller.pk)
    changed = []
    for field in Storyteller._meta.concrete_fields:
        if isinstance(field, EncryptedTextField):
            setattr(storyteller, field.attname, None if field.null else "")
            changed.append(field.attname)
    storyteller.contact_preference = Storyteller.Contact.NONE
    storyteller.save(update_fields=[*changed, "contact_preference"])
    user = storyteller.user
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.save(update_fields=["email", "first_name", "last_name"])


def _photos_only_these_pages_use(page_ids):
    """Photos any version of these pages showed that nothing else uses."""
    from wagtail.images import get_image_model
    from wagtail.models import Page, ReferenceIndex, Revision

    StoryPage = apps.get_model("stories", "StoryPage")
    CampaignPage = apps.get_model("stories", "CampaignPage")
    keys = [str(pk) for pk in page_ids]
    page_type = ContentType.objects.get_for_model(Page)
    revisions = Revision.page_revisions.filter(object_id__in=keys)
    image_ids = {content.get("image") for content in revisions.values_list("content", flat=True)}
    image_ids.update(StoryPage.objects.filter(pk__in=page_ids).values_list("image_id", flat=True))
    image_ids.discard(None)
    Image = get_image_model()
    image_type = ContentType.objects.get_for_model(Image)
    only_ours = []
    for image in Image.objects.filter(pk__in=image_ids):
        used_elsewhere = (
            StoryPage.objects.filter(image=image).exclude(pk__in=page_ids).exists()
            or CampaignPage.objects.filter(image=image).exists()
            or Revision.objects.filter(content__image=image.pk)
            .exclude(base_content_type=page_type, object_id__in=keys)
            .exists()
            or ReferenceIndex.objects.filter(to_content_type=image_type, to_object_id=str(image.pk))
            .exclude(base_content_type=page_type, object_id__in=keys)
            .exists()
        )
        if not used_elsewhere:
            only_ours.append(image)
    return only_ours


def _delete_page_history(page_ids):
    """Versions, review history, admin log and editing sessions of these pages."""
    from wagtail.admin.models import EditingSession
    from wagtail.models import Page, PageLogEntry, Revision, WorkflowState

    StoryPage = apps.get_model("stories", "StoryPage")
    keys = [str(pk) for pk in page_ids]
    page_type = ContentType.objects.get_for_model(Page)
    WorkflowState.objects.filter(base_content_type=page_type, object_id__in=keys).delete()
    PageLogEntry.objects.filter(page_id__in=page_ids).delete()
    Revision.page_revisions.filter(object_id__in=keys).delete()
    EditingSession.objects.filter(
        content_type__in=ContentType.objects.get_for_models(Page, StoryPage).values(),
        object_id__in=keys,
    ).delete()


def _delete_photo(image):
    from wagtail.models import ModelLogEntry

    from images.services import take_down_renditions

    # The public files are recorded and retried until gone (images.services); Wagtail
    # deletes the private original once the transaction commits.
    take_down_renditions(image.renditions.all(), reason="sayso.erasure")
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(image), object_id=str(image.pk)
    ).delete()
    image.delete()


def _compact_search_index():
    # SQLite's full-text index keeps deleted words in its segments until they are merged;
    # "optimize" merges them now, so the story's words leave the file too.
    if connection.vendor != "sqlite":
        return
    from wagtail.search.models import IndexEntry

    table = f"{IndexEntry._meta.db_table}_fts"
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s", [table])
        if cursor.fetchone():
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")  # noqa: S608

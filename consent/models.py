"""Storytellers, the append-only consent ledger, and the storyteller review task."""

import secrets
import uuid
from datetime import UTC

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from core.crypto import EncryptedTextField
from core.exceptions import LedgerIsAppendOnly
from core.hashing import sha256_of
from core.ledger import AppendOnlyQuerySet, LedgerEntry

from .exceptions import ErasureRequestIsFixed, NotTheStoryteller

STORYTELLERS_GROUP = "Storytellers"


class Storyteller(models.Model):
    """A survivor who tells a story; their say-so is the only way it becomes public."""

    class Contact(models.TextChoices):
        EMAIL = "email", _("Email me when something is ready")
        NONE = "none", _("Don't contact me — I'll check myself")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="storyteller"
    )
    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=80,
        unique=True,
        help_text=_("The name editors use for this storyteller. Never their legal name."),
    )
    contact_preference = models.CharField(
        _("contact"), max_length=10, choices=Contact.choices, default=Contact.NONE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Personal data, encrypted at rest (core.crypto): a database dump shows ciphertext.
    # Deliberately unsearchable; find storytellers by pseudonym.
    legal_name = EncryptedTextField(
        _("legal name"),
        blank=True,
        help_text=_("Never shown publicly. A story that contains it can't be published."),
    )
    phone = EncryptedTextField(_("phone"), blank=True)
    postal_address = EncryptedTextField(_("postal address"), blank=True)
    contact_notes = EncryptedTextField(
        _("how to reach them safely"),
        blank=True,
        help_text=_("Safe times to call, a trusted person to ask for, what never to say."),
    )
    private_terms = EncryptedTextField(
        _("words that must never appear"),
        blank=True,
        help_text=_(
            "One per line: relatives' names, home town, workplace, anything that could identify "
            "them. A story containing one can't be published. The legal name is always checked "
            "as a whole; add the family name on its own line if it must never appear either."
        ),
    )

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("storyteller")

    def __str__(self):
        return self.pseudonym

    def save(self, *args, **kwargs):
        # The invariant behind the redaction guard: no live story carries its storyteller's
        # private words. A word added after publication takes such a story down at once,
        # whoever adds it and wherever (admin, portal, a script).
        update_fields = kwargs.get("update_fields")
        words_may_have_changed = self.pk is not None and (
            update_fields is None or {"legal_name", "private_terms"} & set(update_fields)
        )
        with transaction.atomic():
            super().save(*args, **kwargs)
            if words_may_have_changed:
                from .services import take_down_stories_with_private_words

                self.stories_taken_down = take_down_stories_with_private_words(self)

    def private_term_list(self):
        """The private words the storyteller or their editors listed, one per line."""
        from core.text.redaction import clean_terms

        return clean_terms((self.private_terms or "").splitlines())

    def guarded_terms(self):
        """Everything no public page may contain: the private words and the legal name."""
        from core.text.redaction import clean_terms

        return clean_terms([*self.private_term_list(), self.legal_name or ""])


class Channel(models.TextChoices):
    WEBSITE = "website", _("This website")
    SOCIAL = "social", _("Social media")
    PRINT = "print", _("Print")
    FUNDRAISING = "fundraising", _("Fundraising")
    PRESS = "press", _("Press")


class Byline(models.TextChoices):
    """How readers see the storyteller named: what she agrees to (a grant's byline) and what
    a story page shows (StoryPage.Byline is this)."""

    PSEUDONYM = "pseudonym", _("Pseudonym")
    FIRST_NAME = "first_name", _("First name")
    ANONYMOUS = "anonymous", _("Anonymous")


class ConsentEntryQuerySet(AppendOnlyQuerySet):
    def reduce_to_tombstones(self, *, confirmed_by):
        """Erase these entries' personal payload, keeping their place and hash in the chain.

        The only change the ledger ever accepts, used by consent.erasure alone. Each entry
        keeps its sequence, dates, decision and hashes; an erasure entry appended in the
        same transaction names them, so a tombstone made any other way fails verification.
        """
        with transaction.atomic():
            entries = list(self.select_for_update().order_by("sequence"))
            if any(entry.decision == ConsentEntry.Decision.ERASURE for entry in entries):
                raise LedgerIsAppendOnly("An erasure entry is never itself erased.")
            sequences = [entry.sequence for entry in entries if entry.erased_at is None]
            if not sequences:
                return None
            models.QuerySet.update(
                ConsentEntry.objects.filter(sequence__in=sequences),
                erased_at=timezone.now(),
                **ConsentEntry.TOMBSTONE_PAYLOAD,
            )
            marker = ConsentEntry(
                decision=ConsentEntry.Decision.ERASURE,
                method=ConsentEntry.Method.SYSTEM,
                recorded_by=confirmed_by,
                erases=sequences,
            )
            marker.save()
            return marker


class ConsentEntry(LedgerEntry):
    """One decision by a storyteller about one version of one story. Never changed.

    An entry in core's one hash-chained ledger (core.ledger): sequence, date, previous and
    own hash, the head lock and verification come from there; what is consent's own is the
    payload, hashed apart so erasure can blank it and leave the chain whole.
    """

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Asked for changes")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Ended")
        # Not a storyteller's decision about a story: the record that earlier entries were
        # reduced to tombstones at their storyteller's request (see reduce_to_tombstones).
        ERASURE = "erasure", _("Erased at the storyteller's request")

    class Method(models.TextChoices):
        PORTAL = "portal", _("By the storyteller, in the portal")
        IN_PERSON = "in_person", _("In person, recorded by an editor with a witness")
        SYSTEM = "system", _("Automatically, when the agreed date passed")

    # Empty only on tombstones (and erasure entries): erasure keeps no link to a person.
    storyteller = models.ForeignKey(
        Storyteller,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_entries",
    )
    story = models.ForeignKey(
        "stories.StoryPage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consent_entries",
    )
    # The id alone proves nothing (autosave rewrites revisions in place); the hash does.
    revision_id = models.PositiveBigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    channels = models.JSONField(default=list, blank=True)
    byline = models.CharField(max_length=20, blank=True)
    image_allowed = models.BooleanField(default=False)
    valid_until = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The editor who recorded an in-person decision."),
    )
    witness_name = models.CharField(max_length=120, blank=True)
    message = models.TextField(blank=True)
    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The entry hash covers the payload only through its hash, so the payload can be erased
    # while the chain still verifies. The salt, erased with it, keeps a tombstone's payload
    # hash from confirming a guess ("was this text in the ledger?").
    payload_salt = models.CharField(max_length=64, blank=True, editable=False)
    payload_hash = models.CharField(max_length=64, blank=True, editable=False)
    # On an erasure entry: the sequence numbers it reduced to tombstones.
    erases = models.JSONField(default=list, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ConsentEntryQuerySet.as_manager()

    ledger_title = "The consent ledger"

    class Meta(LedgerEntry.Meta):
        verbose_name = _("consent entry")
        verbose_name_plural = _("consent ledger")
        indexes = [models.Index(fields=["story", "-sequence"])]

    def __str__(self):
        return f"{self.get_decision_display()} · {self.receipt_id}"

    def seal(self):
        self.payload_salt = secrets.token_hex(32)
        self.payload_hash = self.compute_payload_hash()

    # What erasure blanks: everything that says who, which story, or what was said.
    TOMBSTONE_PAYLOAD = {
        "storyteller": None,
        "story": None,
        "revision_id": None,
        "content_hash": "",
        "channels": [],
        "byline": "",
        "image_allowed": False,
        "valid_until": None,
        "method": "",
        "recorded_by": None,
        "witness_name": "",
        "message": "",
        "payload_salt": "",
    }

    @property
    def is_tombstone(self):
        return self.erased_at is not None

    def payload_fields(self):
        """The personal part of the entry, in a canonical form; erasure can remove it."""
        return {
            "storyteller": self.storyteller_id,
            "story": self.story_id,
            "revision": self.revision_id,
            "content_hash": self.content_hash,
            "channels": sorted(self.channels),
            "byline": self.byline,
            "image_allowed": self.image_allowed,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "method": self.method,
            "recorded_by": self.recorded_by_id,
            "witness_name": self.witness_name,
            "message": self.message,
            "salt": self.payload_salt,
        }

    def chained_fields(self):
        """What the entry hash covers: its place, dates and decision, and the payload's hash."""
        return {
            "sequence": self.sequence,
            "decision": self.decision,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "receipt_id": str(self.receipt_id),
            "erases": list(self.erases),
            "payload_hash": self.payload_hash,
            "previous_hash": self.previous_hash,
        }

    def compute_payload_hash(self):
        return sha256_of(self.payload_fields())

    def contents_intact(self):
        """The entry and its payload hash as recorded; a tombstone's payload must be gone."""
        if self.is_tombstone:
            payload_intact = self.payload_is_erased()
        else:
            payload_intact = self.compute_payload_hash() == self.payload_hash
        return payload_intact and super().contents_intact()

    @classmethod
    def entry_label(cls):
        return "Entry"

    @classmethod
    def ledger_problems(cls):
        """A tombstone must be named by a later erasure entry, or someone blanked it by hand."""
        erased = set()
        erasures = cls.objects.filter(decision=cls.Decision.ERASURE).only("sequence", "erases")
        for entry in erasures:
            erased.update(sequence for sequence in entry.erases if sequence < entry.sequence)
        tombstones = cls.objects.filter(erased_at__isnull=False).order_by("sequence")
        return [
            f"Entry {sequence}: erased without an erasure entry that names it."
            for sequence in tombstones.values_list("sequence", flat=True)
            if sequence not in erased
        ]

    def payload_is_erased(self):
        """True when nothing of the payload is left (what a tombstone must look like)."""
        blank = ConsentEntry(**ConsentEntry.TOMBSTONE_PAYLOAD)
        return self.payload_fields() == blank.payload_fields()

    @property
    def is_grant(self):
        return self.decision == self.Decision.GRANTED

    def covers_website(self):
        return Channel.WEBSITE in self.channels

    # The receipt is read by the storyteller: the places and the name in words, not codes.
    def channel_labels(self):
        labels = dict(Channel.choices)
        return [labels.get(channel, channel) for channel in self.channels]

    def byline_label(self):
        return dict(Byline.choices).get(self.byline, self.byline)


class StorytellerReviewTaskState(TaskState):
    """A review waiting on one storyteller; only that storyteller can finish it."""

    class Meta:
        verbose_name = _("storyteller review")

    def approve(self, user=None, update=True, comment="", **kwargs):
        from .selectors import revision_verdict

        self._check_storyteller(user)
        # Approval without a grant for these exact words would let the workflow publish
        # them; the portal records the grant first (services.approve_story).
        # (Whether payment is agreed matters when the story goes live, not to her say-so.)
        if not revision_verdict(self.revision, require_website=False, publishing=False).allowed:
            raise NotTheStoryteller("Record the storyteller's consent before approving.")
        return super().approve(user=user, update=update, comment=comment, **kwargs)

    def reject(self, user=None, update=True, comment="", **kwargs):
        self._check_storyteller(user)
        return super().reject(user=user, update=update, comment=comment, **kwargs)

    def _check_storyteller(self, user):
        story = self.revision.content_object.specific
        if not is_storyteller_of(user, story):
            raise NotTheStoryteller("Only the story's own storyteller can finish this review.")


def is_storyteller_of(user, story):
    """True when user is the storyteller a story belongs to."""
    if user is None or not user.is_authenticated:
        return False
    story = getattr(story, "consent_story", story)
    storyteller_id = getattr(story, "storyteller_id", None)
    return storyteller_id is not None and (
        Storyteller.objects.filter(pk=storyteller_id, user_id=user.pk).exists()
    )


class StorytellerReviewTask(Task):
    """Waits for the story's own storyteller to read this version and decide."""

    task_state_class = StorytellerReviewTaskState

    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = _("storyteller review")
        verbose_name_plural = _("storyteller reviews")

    def user_can_access_editor(self, obj, user):
        return False

    def locked_for_user(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if is_storyteller_of(user, obj):
            return [
                ("approve", _("Approve"), True),
                ("reject", _("Ask for changes"), True),
            ]
        return []

    def on_action(self, task_state, user, action_name, **kwargs):
        from . import services

        story = task_state.revision.content_object.specific
        if action_name == "approve":
            services.approve_story(
                story=story,
                revision=task_state.revision,
                user=user,
                scope=kwargs["scope"],
            )
        elif action_name == "reject":
            services.request_changes(
                story=story,
                revision=task_state.revision,
                user=user,
                message=kwargs.get("comment", ""),
            )
        else:
            return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        story_ids = [
            str(pk)
            for pk in Storyteller.objects.filter(user_id=user.pk).values_list(
                "stories__pk", flat=True
            )
            if pk
        ]
        return TaskState.objects.filter(
            status=TaskState.STATUS_IN_PROGRESS,
            task=self.task_ptr,
            workflow_state__object_id__in=story_ids,
        )

    @classmethod
    def get_description(cls):
        return _("Only the story's own storyteller can approve or ask for changes.")


class Invitation(models.Model):
    """A single-use, expiring link an editor hands to a storyteller to set up their account."""

    storyteller = models.ForeignKey(
        Storyteller, on_delete=models.CASCADE, related_name="invitations"
    )
    # Only the token's hash is kept: a database copy cannot be used to sign in.
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")

    def __str__(self):
        return f"Invitation for {self.storyteller}"

    @property
    def is_usable(self):
        return self.used_at is None and self.expires_at > timezone.now()


class Notification(models.Model):
    """Something for a person to look at: shown in the admin for editors, maybe emailed."""

    class Kind(models.TextChoices):
        READY_FOR_STORYTELLER = "ready", _("Something is ready for you")
        APPROVED = "approved", _("A storyteller approved a story")
        CHANGES_REQUESTED = "changes_requested", _("A storyteller asked for changes")
        EDITED = "edited", _("A storyteller edited their story")
        WITHDRAWN = "withdrawn", _("A storyteller withdrew a story")
        NOT_PUBLISHED = "not_published", _("A review finished but the story was not published")
        PRIVATE_WORDS = "private_words", _("A story can't be public: it has private words")
        ERASURE_REQUESTED = "erasure_requested", _("A storyteller asked for a story to be erased")
        NO_PAYMENT_AGREED = "no_payment_agreed", _("A review finished but no payment is agreed")
        PAYMENT_PROBLEM = "payment_problem", _("A storyteller says a payment is wrong")
        NEW_VERSION_WAITING = "new_version", _("A storyteller's new version waits for you")
        CONSENT_NARROWED = "narrowed", _("A storyteller narrowed what they agreed to")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sayso_notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    story = models.ForeignKey(
        "stories.StoryPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    storyteller = models.ForeignKey(
        Storyteller, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")

    def __str__(self):
        return self.get_kind_display()


class ErasureRequestQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Who asked and about which story is fixed for good; only erasing the story
        # itself (story=None, with the confirmation) may touch the story field.
        moves = {"storyteller", "storyteller_id"} & set(kwargs)
        for name in ("story", "story_id"):
            if name in kwargs and kwargs[name] is not None:
                moves.add(name)
        if moves:
            raise ErasureRequestIsFixed("An erasure request always names who asked and what.")
        return super().update(**kwargs)


class ErasureRequest(models.Model):
    """A storyteller asks for a withdrawn story to be erased; an editor with the right confirms.

    The request names its storyteller and story for good: neither can be pointed elsewhere
    after it is made (save and update refuse), and erasure acts on the storyteller it names,
    never on whoever the story's storyteller field names by then.

    What stays once it is done: this row (who asked, when, who confirmed) without the story,
    and the ledger's tombstones (dates, decisions and hashes) so the chain still verifies.
    """

    storyteller = models.ForeignKey(
        Storyteller, on_delete=models.CASCADE, related_name="erasure_requests"
    )
    story = models.ForeignKey(
        "stories.StoryPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty once the story is erased."),
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("erasure request")
        permissions = [("confirm_erasure", _("Can confirm a storyteller's request for erasure"))]
        constraints = [
            models.UniqueConstraint(
                fields=["story"],
                condition=models.Q(confirmed_at__isnull=True),
                name="one_pending_erasure_per_story",
            )
        ]

    def __str__(self):
        return f"Erasure request {self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            stored = (
                ErasureRequest.objects.filter(pk=self.pk)
                .values("storyteller_id", "story_id")
                .first()
            )
            if stored is not None and (
                stored["storyteller_id"] != self.storyteller_id
                or self.story_id not in (stored["story_id"], None)
            ):
                raise ErasureRequestIsFixed("An erasure request always names who asked and what.")
        super().save(*args, **kwargs)

    @property
    def is_pending(self):
        return self.confirmed_at is None

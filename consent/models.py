"""Storytellers, the append-only consent ledger, and the storyteller review task."""

import hashlib
import json
import uuid
from datetime import UTC

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from .exceptions import LedgerIsAppendOnly, NotTheStoryteller

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

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("storyteller")

    def __str__(self):
        return self.pseudonym


class Channel(models.TextChoices):
    WEBSITE = "website", _("This website")
    SOCIAL = "social", _("Social media")
    PRINT = "print", _("Print")
    FUNDRAISING = "fundraising", _("Fundraising")
    PRESS = "press", _("Press")


class ConsentEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerIsAppendOnly("Consent entries cannot be changed.")

    def delete(self):
        raise LedgerIsAppendOnly("Consent entries cannot be deleted.")

    # bulk_update goes through QuerySet.update; bulk_create would skip the hash chain.
    def bulk_create(self, *args, **kwargs):
        raise LedgerIsAppendOnly("Consent entries are added one at a time.")


class ConsentEntry(models.Model):
    """One decision by a storyteller about one version of one story. Never changed."""

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Asked for changes")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Ended")

    class Method(models.TextChoices):
        PORTAL = "portal", _("By the storyteller, in the portal")
        IN_PERSON = "in_person", _("In person, recorded by an editor with a witness")
        SYSTEM = "system", _("Automatically, when the agreed date passed")

    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    storyteller = models.ForeignKey(
        Storyteller, on_delete=models.PROTECT, related_name="consent_entries"
    )
    story = models.ForeignKey(
        "stories.StoryPage", on_delete=models.PROTECT, related_name="consent_entries"
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
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = ConsentEntryQuerySet.as_manager()

    GENESIS_HASH = "0" * 64

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("consent entry")
        verbose_name_plural = _("consent ledger")
        indexes = [models.Index(fields=["story", "-sequence"])]

    def __str__(self):
        return f"{self.get_decision_display()} · {self.receipt_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerIsAppendOnly("Consent entries cannot be changed.")
        with transaction.atomic():
            last = (
                ConsentEntry.objects.select_for_update()
                .order_by("-sequence")
                .only("sequence", "entry_hash")
                .first()
            )
            self.sequence = last.sequence + 1 if last else 1
            self.previous_hash = last.entry_hash if last else self.GENESIS_HASH
            self.entry_hash = self.compute_hash()
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("Consent entries cannot be deleted.")

    def chained_fields(self):
        """What the entry hash covers: every field, in a canonical form."""
        return {
            "sequence": self.sequence,
            "storyteller": self.storyteller_id,
            "story": self.story_id,
            "revision": self.revision_id,
            "content_hash": self.content_hash,
            "decision": self.decision,
            "channels": sorted(self.channels),
            "byline": self.byline,
            "image_allowed": self.image_allowed,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "method": self.method,
            "recorded_by": self.recorded_by_id,
            "witness_name": self.witness_name,
            "message": self.message,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "receipt_id": str(self.receipt_id),
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self):
        payload = json.dumps(
            self.chained_fields(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

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
        from stories.models import StoryPage

        return dict(StoryPage.Byline.choices).get(self.byline, self.byline)


class StorytellerReviewTaskState(TaskState):
    """A review waiting on one storyteller; only that storyteller can finish it."""

    class Meta:
        verbose_name = _("storyteller review")

    def approve(self, user=None, update=True, comment="", **kwargs):
        from .selectors import revision_verdict

        self._check_storyteller(user)
        # Approval without a grant for these exact words would let the workflow publish
        # them; the portal records the grant first (services.approve_story).
        if not revision_verdict(self.revision, require_website=False).allowed:
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

"""The survivor advisory group's review of campaigns: a Wagtail task only its members finish."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import AbstractGroupApprovalTask, Task, TaskState

from core.hashing import require_what_was_read

from .exceptions import CampaignChangedWhileRead, NotAnAdvisoryMember

ADVISORY_GROUP = "Survivor advisory group"


class AdvisoryReviewTaskState(TaskState):
    """A campaign waiting on the advisory group; only a member can approve or comment.

    Wagtail's TaskState.approve()/reject() never check the user, so the check lives here,
    where every caller (the portal, a script, a future view) has to pass through it.
    """

    # What the members approved, to the byte: CampaignPage.save compares it with what is
    # about to go live, so an edit after their approval needs their approval again.
    content_hash = models.CharField(max_length=64, blank=True)
    # The stories the member was shown, each with the hash of the content readers get: a
    # story hidden while she read (withdrawn at that moment, say) is not among them, so it
    # can't appear in the live campaign until a member reviews it there.
    shown_stories = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("advisory review")

    def approve(self, user=None, update=True, comment="", read_hash=None, **kwargs):
        """A member approves; read_hash (selectors.review_hash) is what they were shown."""
        from .selectors import campaign_content_hash

        self._check_member(user)
        version = self.revision.as_object()
        shown = self._check_read(version, read_hash)
        self.content_hash = campaign_content_hash(version)
        self.shown_stories = shown["stories"]
        self.save(update_fields=["content_hash", "shown_stories"])
        return super().approve(user=user, update=update, comment=comment, **kwargs)

    def reject(self, user=None, update=True, comment="", read_hash=None, **kwargs):
        """A member asks for changes to what they were shown (read_hash, as for approve)."""
        self._check_member(user)
        self._check_read(self.revision.as_object(), read_hash)
        return super().reject(user=user, update=update, comment=comment, **kwargs)

    def _check_read(self, version, read_hash):
        """What the member is shown of this version, if it is what they read (else raise)."""
        from .selectors import review_content, review_hash

        shown = review_content(version)
        # An editor's edit, or a story withdrawn or approved again meanwhile, differs.
        require_what_was_read(
            read_hash,
            review_hash(shown),
            CampaignChangedWhileRead("The campaign changed while the member was reading it."),
        )
        return shown

    def _check_member(self, user):
        if not self.task.specific.is_member(user):
            raise NotAnAdvisoryMember("Only members of the advisory group can finish this review.")


class AdvisoryReviewTask(AbstractGroupApprovalTask):
    """Waits for a member of the survivor advisory group to read a campaign and decide.

    Wagtail's group approval task, with one difference: members are survivors who review in
    their own space on the site, never in the admin. So they get no admin actions, no editor
    access and no say over the page's lock, and superusers, who moderate every Wagtail group
    task, cannot finish this one (advisory.apps also keeps Wagtail's "submitted" email, with
    its admin links, from going to members and superusers).
    """

    groups = models.ManyToManyField(
        Group,
        verbose_name=_("advisory groups"),
        help_text=_("Members of these groups review campaigns, in their own space on the site."),
    )

    task_state_class = AdvisoryReviewTaskState

    class Meta:
        verbose_name = _("survivor advisory review")
        verbose_name_plural = _("survivor advisory reviews")

    def is_member(self, user):
        """True when user is an active, signed-in member of one of this task's groups."""
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        return self._user_in_groups(user)

    def start(self, workflow_state, user=None):
        # Wagtail unlocks a page locked by someone outside the groups, so that they can edit
        # it; members never edit in the admin, so an editor's lock stays.
        return Task.start(self, workflow_state, user=user)

    def user_can_access_editor(self, obj, user):
        return False

    def locked_for_user(self, obj, user):
        return False

    def user_can_lock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if not self.is_member(user):
            return TaskState.objects.none()
        return super().get_task_states_user_can_moderate(user, **kwargs)

    @classmethod
    def get_description(cls):
        return _("Members of the survivor advisory group approve or comment, in their own space.")

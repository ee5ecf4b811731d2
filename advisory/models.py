"""The survivor advisory group's review of campaigns: a Wagtail task only its members finish."""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from .exceptions import NotAnAdvisoryMember

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
        from .exceptions import CampaignChangedWhileRead
        from .selectors import campaign_content_hash, review_content, review_hash

        self._check_member(user)
        version = self.revision.as_object()
        shown = review_content(version)
        # What they read must be what they approve: a change in between (an editor's edit,
        # a story withdrawn or re-approved) means they read it again.
        if read_hash is not None and review_hash(shown) != read_hash:
            raise CampaignChangedWhileRead("The campaign changed while the member was reading it.")
        self.content_hash = campaign_content_hash(version)
        self.shown_stories = shown["stories"]
        self.save(update_fields=["content_hash", "shown_stories"])
        return super().approve(user=user, update=update, comment=comment, **kwargs)

    def reject(self, user=None, update=True, comment="", **kwargs):
        self._check_member(user)
        return super().reject(user=user, update=update, comment=comment, **kwargs)

    def _check_member(self, user):
        if not self.task.specific.is_member(user):
            raise NotAnAdvisoryMember("Only members of the advisory group can finish this review.")


class AdvisoryReviewTask(Task):
    """Waits for a member of the survivor advisory group to read a campaign and decide."""

    groups = models.ManyToManyField(
        Group,
        verbose_name=_("advisory groups"),
        help_text=_("Members of these groups review campaigns, in their own space on the site."),
    )

    task_state_class = AdvisoryReviewTaskState
    admin_form_fields = [*Task.admin_form_fields, "groups"]

    class Meta:
        verbose_name = _("survivor advisory review")
        verbose_name_plural = _("survivor advisory reviews")

    def is_member(self, user):
        """True when user belongs to one of this task's advisory groups."""
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        return user.groups.filter(pk__in=self.groups.values("pk")).exists()

    # Members review in the portal, never in the admin: no admin actions, no editor lock.
    def user_can_access_editor(self, obj, user):
        return False

    def locked_for_user(self, obj, user):
        return False

    def get_actions(self, obj, user):
        return []

    def get_task_states_user_can_moderate(self, user, **kwargs):
        if not self.is_member(user):
            return TaskState.objects.none()
        return TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS, task=self.task_ptr)

    @classmethod
    def get_description(cls):
        return _("Members of the survivor advisory group approve or comment, in their own space.")

from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.actions.edit import EditPermissionError
from wagtail.actions.edit_page import EditPageAction
from wagtail.actions.publish_page_revision import PublishPageRevisionAction
from wagtail.admin.action_menu import CancelWorkflowMenuItem
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction

from consent.exceptions import ConsentRequired
from consent.selectors import publication_verdict

from .forms import STORY_IN_REVIEW_MESSAGE
from .models import CampaignPage, StoryPage


@hooks.register("construct_page_action_menu")
def hide_publish_without_consent(menu_items, request, context):
    """No Publish button for a story version its storyteller has not approved.

    The editor's consent panel says why; the model guard stops any publish regardless.
    """
    page = context.get("page")
    if isinstance(page, CampaignPage):
        if page.pk and page.needs_advisory_review() and not publication_verdict(page).allowed:
            menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
        return
    if not isinstance(page, StoryPage):
        return
    if page.storyteller_id is None or not publication_verdict(page).allowed:
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
    if page.pk and page.workflow_in_progress:
        # One way to publish a story in review: the editors' "Approve and publish", whose
        # finish action (consent.workflow) publishes exactly the version the storyteller
        # approved. Wagtail's Publish would cancel the review and publish the latest
        # version instead (StoryPageForm refuses it too).
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
        workflow_state = page.current_workflow_state
        if workflow_state.is_at_final_task:
            for item in menu_items:
                if item.name == "approve":
                    item.label = (
                        _("Approve with comment and publish")
                        if item.launch_modal
                        else _("Approve and publish")
                    )


class ReviewAwarePublishAction(PublishPageRevisionAction):
    """Wagtail's page publish action (the v3 API's door), refusing a story in review.

    The same one publish path as the editor's page: a story in review is published by the
    editors' approval (consent.workflow's finish action), never by a publish that cancels
    the review. The finish action publishes after the review is marked approved, so it is
    not refused here.
    """

    def check(self, skip_permission_checks=False):
        super().check(skip_permission_checks=skip_permission_checks)
        if isinstance(self.object, StoryPage) and self.object.workflow_in_progress:
            raise self.permission_error_class(STORY_IN_REVIEW_MESSAGE)


class ReviewAwareEditAction(EditPageAction):
    """Wagtail's page edit action (the v3 API's update), refusing "and publish" in review."""

    def check_publish(self):
        super().check_publish()
        if isinstance(self.instance, StoryPage) and self.instance.workflow_in_progress:
            raise EditPermissionError(STORY_IN_REVIEW_MESSAGE)


@hooks.register("register_actions", order=100)
def register_review_aware_actions(registry):
    from wagtail.models import Page

    registry.register(Page, ReviewAwarePublishAction)
    registry.register(Page, ReviewAwareEditAction)


class ConfirmedCancelWorkflowMenuItem(CancelWorkflowMenuItem):
    """Wagtail's "Cancel workflow" as a link to a page that asks first."""

    label = _("Cancel the review")

    def get_url(self, parent_context):
        return reverse("stories_confirm_cancel_review", args=[parent_context["page"].pk])


@hooks.register("construct_page_action_menu")
def confirm_before_cancelling_a_review(menu_items, request, context):
    """Cancelling a review used to happen at one click, with no way back."""
    for index, item in enumerate(menu_items):
        if item.name == "action-cancel-workflow":
            menu_items[index] = ConfirmedCancelWorkflowMenuItem(order=item.order)


@hooks.register("before_edit_page")
def ask_before_the_edit_form_cancels_a_review(request, page):
    """Wagtail's edit view cancels the review of any POST carrying "action-cancel-workflow"
    (its own button, or a request made by hand): that goes to the question first too."""
    if request.method == "POST" and request.POST.get("action-cancel-workflow"):
        return redirect("stories_confirm_cancel_review", page.pk)
    return None


@hooks.register("register_admin_urls")
def register_story_admin_urls():
    from .admin_views import confirm_cancel_review

    return [
        path(
            "pages/<int:pk>/cancel-review/",
            confirm_cancel_review,
            name="stories_confirm_cancel_review",
        )
    ]


class ConsentAwarePublishBulkAction(PublishBulkAction):
    """Wagtail's bulk publish, skipping stories without consent instead of failing midway."""

    def check_perm(self, page):
        if not super().check_perm(page):
            return False
        specific = page.specific_deferred
        if isinstance(specific, StoryPage):
            if specific.workflow_in_progress:
                return False  # in review: "Approve and publish" is its one way out
            latest = specific.get_latest_revision_as_object()
            return publication_verdict(latest).allowed
        return True

    @classmethod
    def execute_action(cls, objects, include_descendants=False, user=None, **kwargs):
        published = [0, 0]
        for page in objects:
            if _publish_latest(page, user):
                published[0] += 1
            if include_descendants:
                for descendant in page.get_descendants().not_live().specific().iterator():
                    if (user is None or descendant.permissions_for_user(user).can_publish()) and (
                        _publish_latest(descendant, user)
                    ):
                        published[1] += 1
        return tuple(published)


def _publish_latest(page, user):
    revision = page.get_latest_revision() or page.specific.save_revision(user=user)
    try:
        with transaction.atomic():
            revision.publish(user=user)
    except ConsentRequired:
        return False
    return True


# Registered after Wagtail's own (order), so it replaces the stock "publish" bulk action.
hooks.register("register_bulk_action", ConsentAwarePublishBulkAction, order=100)


@hooks.register("before_copy_page")
def refuse_copying_withdrawn_stories(request, page):
    """Say plainly why a withdrawn story can't be copied (the model refuses it anyway)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from consent.selectors import is_withdrawn
    from consent.services import withdrawn_origin

    page = page.specific
    if not isinstance(page, StoryPage):
        return None
    origin = page.consent_story
    if is_withdrawn(origin) or withdrawn_origin(origin):
        from .models import WITHDRAWN_COPY_MESSAGE

        messages.error(request, WITHDRAWN_COPY_MESSAGE)
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None

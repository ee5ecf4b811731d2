from django.db import transaction
from wagtail import hooks
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction

from consent.exceptions import ConsentRequired
from consent.selectors import publication_verdict

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


class ConsentAwarePublishBulkAction(PublishBulkAction):
    """Wagtail's bulk publish, skipping stories without consent instead of failing midway."""

    def check_perm(self, page):
        if not super().check_perm(page):
            return False
        specific = page.specific_deferred
        if isinstance(specific, StoryPage):
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

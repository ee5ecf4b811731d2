"""Admin views for pages beside Wagtail's own: confirming before a review is cancelled."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from wagtail.models import Page


def confirm_cancel_review(request, pk):
    """Ask before cancelling a page's review; Wagtail's own button cancels at one click.

    For a story, cancelling takes the version away from the storyteller's reading list.
    """
    page = get_object_or_404(Page, pk=pk).specific
    edit_url = _edit_url(page)
    workflow_state = page.current_workflow_state
    if workflow_state is None:
        messages.info(request, _("This page is not in review any more."))
        return redirect(edit_url)
    if not workflow_state.user_can_cancel(request.user):
        return TemplateResponse(
            request,
            "consent/admin/not_allowed.html",
            {
                "reason": _(
                    "Only the editor who started this review, or a moderator, can cancel it."
                )
            },
            status=403,
        )
    if request.method == "POST":
        workflow_state.cancel(user=request.user)
        messages.success(
            request, _("The review of “%(title)s” was cancelled.") % {"title": page.title}
        )
        return redirect(edit_url)
    from .models import StoryPage

    return TemplateResponse(
        request,
        "stories/admin/confirm_cancel_review.html",
        {
            "page": page,
            "is_story": isinstance(page, StoryPage),
            "task": workflow_state.current_task_state.task
            if workflow_state.current_task_state
            else None,
            "edit_url": edit_url,
        },
    )


def _edit_url(page):
    from django.urls import reverse

    return reverse("wagtailadmin_pages:edit", args=[page.pk])

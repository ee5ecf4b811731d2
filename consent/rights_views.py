"""Data rights: a storyteller downloads what Sayso holds about them and asks for erasure
(portal); an editor with the right confirms erasure (admin)."""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import erasure
from .export import storyteller_export
from .models import ErasureRequest
from .selectors import story_status
from .views import _own_story, storyteller_required

# Portal


@storyteller_required
def export(request):
    """Everything held about the signed-in storyteller, as a JSON file to keep."""
    data = storyteller_export(request.storyteller)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    day = timezone.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="sayso-my-data-{day}.json"'
    response["Cache-Control"] = "no-store"
    return response


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, I understand this can't be undone"),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@storyteller_required
def erase(request, pk):
    """Ask for a withdrawn story to be erased, or change your mind before it is done."""
    story = _own_story(request, pk)
    possible = erasure.may_be_erased(story)
    # A request made before approving the story again has lapsed.
    pending = erasure.pending_request(story) if possible else None
    form = EraseForm()
    if request.method == "POST":
        if request.POST.get("action") == "keep":
            erasure.cancel_erasure(story=story, user=request.user)
            messages.success(request, _("Your story will be kept. Nothing was erased."))
            return redirect("portal:story", pk=story.pk)
        form = EraseForm(request.POST)
        if form.is_valid() and pending is None and possible:
            erasure.request_erasure(story=story, user=request.user)
            messages.success(
                request,
                _("We have your request. An editor will erase your story soon."),
            )
            return redirect("portal:erase", pk=story.pk)
    others = request.storyteller.stories.exclude(pk=story.pk).filter(alias_of__isnull=True)
    context = {
        "story": story,
        "status": story_status(story),
        "form": form,
        "pending": pending,
        "possible": possible,
        "last_story": not others.exists(),
    }
    return render(request, "consent/portal/erase.html", context)


# Admin


def _require_confirmer(user):
    if not user.has_perm(erasure.CONFIRM_PERMISSION):
        raise PermissionDenied


def erasure_requests(request):
    """The storytellers' requests for erasure waiting for confirmation, and the done ones."""
    _require_confirmer(request.user)
    requests = ErasureRequest.objects.select_related("storyteller", "story", "confirmed_by")
    return TemplateResponse(
        request,
        "consent/admin/erasure_requests.html",
        {
            "pending": requests.filter(confirmed_at__isnull=True),
            "done": requests.filter(confirmed_at__isnull=False).order_by("-confirmed_at")[:50],
        },
    )


def confirm_erasure(request, pk):
    """Show what erasure will delete, and do it when the editor confirms."""
    _require_confirmer(request.user)
    erasure_request = get_object_or_404(
        ErasureRequest.objects.select_related("storyteller", "story"),
        pk=pk,
        confirmed_at__isnull=True,
        story__isnull=False,
    )
    story = erasure_request.story.specific
    if request.method == "POST":
        try:
            done = erasure.confirm_erasure(erasure_request=erasure_request, editor=request.user)
        except erasure.ErasureNotPossible as refusal:
            messages.error(request, str(refusal))
        else:
            if done is None:
                messages.warning(
                    request,
                    _(
                        "The storyteller approved this story again after asking, so their "
                        "request lapsed. Nothing was erased."
                    ),
                )
            else:
                messages.success(request, _("Erased. The consent ledger keeps only tombstones."))
        return redirect("consent_erasure_requests")
    return TemplateResponse(
        request,
        "consent/admin/confirm_erasure.html",
        {
            "erasure_request": erasure_request,
            "story": story,
            "possible": erasure.may_be_erased(story) and not erasure.has_lapsed(erasure_request),
            "preview": erasure.what_erasure_deletes(erasure_request),
        },
    )

"""Her data rights: download what Sayso holds about her, ask for a withdrawn story to be
erased (editors confirm it in the admin, consent.admin_views)."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from consent import erasure
from consent.export import storyteller_export
from consent.selectors import story_status

from ..access import own_story, portal_view
from ..forms import EraseForm


@portal_view
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


@portal_view
def erase(request, pk):
    """Ask for a withdrawn story to be erased, or change your mind before it is done."""
    story = own_story(request, pk)
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
    return render(request, "portal/erase.html", context)

"""The storyteller's reading side: what changed, her data to keep, staying safe."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from consent import selectors
from consent.export import WHAT_IS_EXPORTED, export_in_words
from core.text.diff import story_changes

from ..access import own_story, portal_view

# What "what changed" can compare the version she reads with, in her words.
SINCE = {
    "read": _("since you last read it"),
    "asked": _("since you asked for changes"),
    "approved": _("since you last approved it"),
}


@portal_view
def what_changed(request, pk):
    """Every change readers would see between an earlier version and the one she reads."""
    story = own_story(request, pk)
    since = request.GET.get("since", "read")
    if since not in SINCE:
        since = "read"
    current = selectors.version_to_read(story)
    context = {"story": story, "since": since, "since_label": SINCE[since], "choices": SINCE}
    if current is not None:
        earlier, when = selectors.earlier_version(story, request.storyteller, since, current)
        context["earlier_at"] = when
        if earlier is not None:
            context["compared"] = True
            context["changes"] = story_changes(earlier.as_object(), current.as_object())
    return render(request, "portal/what_changed.html", context)


@portal_view
def my_data(request):
    """Before she downloads: what the file holds, that it is private, and where to keep it."""
    return render(request, "portal/my_data.html", {"what_is_exported": WHAT_IS_EXPORTED.values()})


@portal_view
def my_data_readable(request):
    """Everything we hold about her, as a page to read or print."""
    response = render(
        request,
        "portal/my_data_readable.html",
        {"sections": export_in_words(request.storyteller), "now": timezone.now()},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def staying_safe(request):
    """A short page on using Sayso safely: open to anyone, signed in or not."""
    from django.conf import settings

    return render(request, "portal/staying_safe.html", {"org": settings.SAYSO_ORGANISATION})

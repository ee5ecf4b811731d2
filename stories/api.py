"""The v3 API's public read tier asks the same question as serving: does consent hold now?

Wagtail's v3 API lists, details, finds and searches every live page for anonymous readers
(``wagtail.api.v3.querysets.get_pages_queryset``). A story can be live and still not public:
its grant passed before the expiry sweep ran, its storyteller withdrew and the take-down has
not reached an alias, or its row no longer carries the words she approved. The API offers no
hook for the queryset, so the pages router's reference to it is replaced (``install``, from
the app's ``ready``) by ``public_pages_queryset``, which leaves out every story page whose
verdict does not allow it right now — the same ``publicly_consented`` that serving's
listings, feeds, sitemap and search use. Editors' token requests (the API's admin tier) see
what they can already see in the admin, and are left as Wagtail makes them.
"""

import logging

from wagtail.api.v3 import querysets as wagtail_querysets
from wagtail.api.v3.routers import pages as wagtail_pages_router

logger = logging.getLogger(__name__)

_wagtail_get_pages_queryset = wagtail_querysets.get_pages_queryset


def public_pages_queryset(request, model=None):
    """Wagtail's pages queryset, without the stories a reader may not see at this moment."""
    from wagtail.models import Page

    queryset = _wagtail_get_pages_queryset(request, model or Page)
    if request.user.is_authenticated:
        return queryset
    return queryset.exclude(pk__in=refused_story_ids())


def refused_story_ids():
    """Ids of the live story pages (aliases included) whose consent does not hold right now."""
    from consent.selectors import publicly_consented

    from .views import public_stories

    stories = list(public_stories())
    allowed = {story.pk for story in publicly_consented(stories)}
    return [story.pk for story in stories if story.pk not in allowed]


def install():
    """Make the v3 pages router read through public_pages_queryset (see the module docstring)."""
    if wagtail_pages_router.get_pages_queryset is not public_pages_queryset:
        wagtail_pages_router.get_pages_queryset = public_pages_queryset

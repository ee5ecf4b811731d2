"""Public views that are not pages: search, the Atom feed and the sitemap."""

import secrets

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.sitemaps import Sitemap
from wagtail.models import Site

from consent.selectors import public_page_verdict, publicly_consented
from core.text.redaction import without_exempt

from .models import CampaignPage, StoryPage

MAX_QUERY_LENGTH = 200


def public_stories():
    """Live stories with what hashing, the private-words check and cards need, ready for
    publicly_consented()."""
    return (
        StoryPage.objects.live()
        .select_related("image", "storyteller")
        .prefetch_related("content_warnings", "topics")
        .order_by("-first_published_at", "-pk")
    )


def search(request):
    """Search live, consented stories and live campaigns. Sets no cookie."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    stories, campaigns = [], []
    if query:
        story_hits = list(StoryPage.objects.live().search(query)[:100])
        ids = [story.pk for story in story_hits]
        consented = {s.pk for s in publicly_consented(public_stories().filter(pk__in=ids))}
        stories = [story for story in story_hits if story.pk in consented]
        campaigns = list(CampaignPage.objects.live().search(query)[:20])
    page = Paginator(stories, 20).get_page(request.GET.get("page"))
    context = {"query": query, "searched": bool(query), "stories": page, "campaigns": campaigns}
    request.sayso_exempt_mark = secrets.token_hex(16)
    response = render(request, "stories/search.html", context)
    # The reader's own words come back to them (the title, the box, the page links): leave
    # them out of the private-words check, or the search box would tell anyone which words
    # are someone's private words. Everything else on the page is checked as rendered.
    unechoed = render_to_string("stories/search.html", {**context, "query": ""}, request=request)
    if not public_page_verdict(
        None, rendered=without_exempt(unechoed, request.sayso_exempt_mark)
    ).allowed:
        raise Http404
    return response


class StoriesFeed(Feed):
    """An Atom feed of stories published with their storytellers' consent."""

    feed_type = Atom1Feed
    title = _("Sayso: stories")
    subtitle = _("Stories published with their storytellers' consent.")

    def get_object(self, request, *args, **kwargs):
        self.site = Site.find_for_request(request)
        return None

    def link(self):
        return self.site.root_url + "/stories/" if self.site else "/stories/"

    def items(self):
        return publicly_consented(public_stories()[:50])

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_url()

    def item_author_name(self, item):
        return str(item.byline)

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at


class ConsentedSitemap(Sitemap):
    """Wagtail's sitemap, leaving out any story whose consent does not hold right now."""

    def items(self):
        stories = list(public_stories().descendant_of(self.get_wagtail_site().root_page))
        consented = {story.pk for story in publicly_consented(stories)}
        return super().items().exclude(pk__in=[s.pk for s in stories if s.pk not in consented])

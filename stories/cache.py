"""Purging every cached copy of what a story appears on."""

from wagtail.contrib.frontend_cache.utils import purge_pages_from_cache


def purge_story(story, pages=()):
    """Purge a story, its aliases and the pages that list it from every configured cache."""
    purge_pages_from_cache(list(pages) or [story])

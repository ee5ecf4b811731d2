"""Purge cached public pages whenever something a reader could see changes."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from consent.signals import private_words_changed, story_erased, story_taken_down

from .cache import delete_cached_pages, purge_all, purge_story
from .search import remove_from_search


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def page_changed(sender, **kwargs):
    purge_all()


@receiver(page_published)
def story_published(sender, instance, **kwargs):
    # A version that blurs, drops or replaces her photo: the renditions it no longer shows
    # stop answering, even at addresses already shared.
    from images.services import take_down_unmatched_renditions

    from .models import StoryPage

    if isinstance(instance, StoryPage):
        take_down_unmatched_renditions(instance)


@receiver(post_delete)
def something_deleted(sender, **kwargs):
    if issubclass(sender, Page) or sender._meta.label in _SHOWN_ON_PAGES:
        purge_all()


@receiver(post_save)
def something_saved(sender, **kwargs):
    if sender is Site or sender._meta.label in _SHOWN_ON_PAGES:
        purge_all()


# Models whose rows appear on public pages outside a page's own revision.
_SHOWN_ON_PAGES = {"stories.ContentWarning", "stories.Topic", "images.SaysoImage"}


@receiver(story_taken_down)
def story_left_the_site(sender, story, pages, **kwargs):
    """A decision took a story and its aliases down: out of search and every cache."""
    remove_from_search(pages)
    # Wagtail re-indexes on save; undo that once the transaction commits, too.
    transaction.on_commit(lambda: remove_from_search(pages))
    purge_story(story, pages)


@receiver(story_erased)
def story_is_being_erased(sender, story, pages, **kwargs):
    """Out of search before its rows go; cached copies deleted from the store, not only made
    unreachable, once the erasure is committed (a failure then is logged, not an error page)."""
    remove_from_search(pages)
    transaction.on_commit(lambda: purge_story(story, pages), robust=True)
    transaction.on_commit(delete_cached_pages, robust=True)


@receiver(private_words_changed)
def private_words_changed_anywhere(sender, **kwargs):
    # Cached pages are rendered text; the serve-time check must see fresh pages.
    purge_all()

"""Purge cached public pages whenever something a reader could see changes."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from .cache import purge_all


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

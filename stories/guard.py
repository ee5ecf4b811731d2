"""The story guard: the one place a story page asks whether it may go live, be served, be
routed to or be indexed.

Wagtail reaches a story through many doors (save, route, serve, the search index), so
StoryPage's methods each call one function here; the answer itself is consent's
(consent.selectors.publication_verdict, running SAYSO_PUBLICATION_CHECKS). Stories is built
on consent, so these imports point one way.
"""

from django.core.exceptions import FieldDoesNotExist

from consent.selectors import consent_has_ended, publication_verdict
from consent.services import lock_story_row


class StoryGone(Exception):
    """Raised while routing to a story that was withdrawn or whose consent ended (410)."""


# Besides the fields a reader sees (each page type's ``public_fields``), what decides whether
# a live row may be public: that it is live, which version is, whose consent governs it.
VERDICT_FIELDS = frozenset({"live", "live_revision", "storyteller", "alias_of"})


def changes_what_readers_see(page, update_fields):
    """True unless a save writes only fields no reader sees and no verdict reads.

    Derived from the page type's whitelist of public fields (``public_fields``), so Wagtail's
    bookkeeping (tree paths, locks, latest revision, comments) needs no list of its own.
    """
    if update_fields is None:
        return True
    guarded = set(page.public_fields) | VERDICT_FIELDS
    for name in update_fields:
        try:
            field = page._meta.get_field(name)
        except FieldDoesNotExist:
            return True  # a name this can't read: check, never skip
        if field.name in guarded:
            return True
    return False


def before_publish_decision(page):
    """Runs with the story locked, just before the consent decision (a seam for race tests)."""


def refuse_unless_publishable(page):
    """Raise the verdict's refusal unless this story page may go live with these words.

    Decides with the story locked: a withdrawal running now either committed before this
    reads the ledger, or waits until this publish has committed and then takes the page down.
    """
    lock_story_row(page.alias_of_id or page.pk)
    before_publish_decision(page)
    verdict = publication_verdict(page)
    if not verdict.allowed:
        raise verdict.refusal()


def is_gone(page):
    """True when the story was public once and its storyteller's consent has ended."""
    story = page.consent_story
    return story.first_published_at is not None and consent_has_ended(story)


def refuse_route_if_gone(page, path_components):
    """A reader asking for a withdrawn or ended story gets 410 (stories.middleware)."""
    if not path_components and not page.live and is_gone(page):
        raise StoryGone


def refuse_to_serve(page, response):
    """Raise StoryGone unless the story may be public now, exactly as rendered.

    Belt and braces: a grant can end (expiry) between sweeps; the public never sees a story
    whose consent does not hold at this moment. The verdict reads the page as rendered, too,
    so no private word reaches a reader through the template (a link's address, say).
    """
    if hasattr(response, "render"):
        response.render()
    rendered = response.content.decode(response.charset or "utf-8")
    if not publication_verdict(page, rendered=rendered, publishing=False).allowed:
        raise StoryGone


def may_be_indexed(page):
    """Withdrawn stories leave the search index and must not be put back by the re-index
    Wagtail runs on every save (unpublish included)."""
    return page.live or not page.first_published_at or not is_gone(page)

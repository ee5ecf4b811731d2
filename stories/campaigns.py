"""Which stories a campaign may show: those whose current consent covers its channel."""

from consent.models import ConsentEntry
from consent.selectors import verdict_or_refusal


def consent_covers(stories, channel, *, on_day=None):
    """The stories (live pages) whose consent holds now and includes `channel`, in order.

    A campaign page is on the website, so its stories need the website as well as the
    campaign's own channel; one ledger query for the lot.
    """
    stories = list(stories)
    story_ids = {story.alias_of_id or story.pk for story in stories}
    by_story = {}
    for entry in ConsentEntry.objects.filter(story_id__in=story_ids).order_by("-sequence"):
        by_story.setdefault(entry.story_id, []).append(entry)
    covered = []
    for story in stories:
        verdict = verdict_or_refusal(
            story,
            on_day=on_day,
            entries=by_story.get(story.alias_of_id or story.pk, []),
            publishing=False,  # which live stories to show, not whether one may go live
        )
        if verdict.allowed and channel in verdict.grant.channels:
            covered.append(story)
    return covered


def stories_in_scope(channel):
    """A queryset of the live stories a campaign on `channel` may include right now."""
    from .models import StoryPage
    from .views import public_stories

    ids = [story.pk for story in consent_covers(public_stories(), channel)]
    return StoryPage.objects.filter(pk__in=ids).order_by("title")

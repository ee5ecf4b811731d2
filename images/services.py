"""Writes about public image files: taking them out of storage, retried until they are gone.

A rendition is a public file: anyone holding its address gets it from the media folder. When
a photo leaves public view (a withdrawal, a take-down, a version that blurs, drops or replaces
it), its renditions' rows are deleted and each file is recorded as a ``FileTakedown`` in the
same transaction. The files are deleted after commit; whatever can't be deleted yet stays
recorded and is retried (by the task, by the expiry sweep, by ``check_takedowns --retry``)
until it is gone. ``check_takedowns`` reports any that are left.
"""

import logging

from django.apps import apps
from django.db import transaction
from django.db.models import F

from .models import FileTakedown, SaysoRendition

logger = logging.getLogger(__name__)


def rendition_storage():
    return SaysoRendition._meta.get_field("file").storage


def take_down_renditions(renditions, *, story=None, reason=""):
    """Delete these renditions and record their files as work that is done after commit."""
    renditions = list(renditions)
    if not renditions:
        return 0
    FileTakedown.objects.bulk_create(
        FileTakedown(
            name=rendition.file.name,
            image_id=rendition.image_id,
            story_id=story.pk if story is not None else None,
            reason=reason,
        )
        for rendition in renditions
    )
    SaysoRendition.objects.filter(pk__in=[rendition.pk for rendition in renditions]).delete()
    transaction.on_commit(_enqueue_takedowns, robust=True)
    return len(renditions)


def take_down_story_renditions(story, *, reason=""):
    """Take down the renditions of every picture a story shows: its photo and those in its text.

    Pictures in her text are hers like her photo (stories.photos): they leave with the story.
    """
    from .embeds import embedded_image_ids

    image_ids = embedded_image_ids(story.body or "")
    if story.image_id:
        image_ids.add(story.image_id)
    if not image_ids:
        return 0
    return take_down_renditions(
        SaysoRendition.objects.filter(image_id__in=image_ids), story=story, reason=reason
    )


def _enqueue_takedowns():
    from .tasks import carry_out_file_takedowns_task

    carry_out_file_takedowns_task.enqueue()


def carry_out_file_takedowns():
    """Delete every recorded file still in storage; returns (deleted, still there)."""
    storage = rendition_storage()
    done, left = 0, 0
    for takedown in FileTakedown.objects.all():
        try:
            storage.delete(takedown.name)
            if storage.exists(takedown.name):
                raise OSError("the file is still there after deleting it")
        except Exception as error:
            left += 1
            logger.error("Could not delete public file %s: %s", takedown.name, error)
            FileTakedown.objects.filter(pk=takedown.pk).update(
                attempts=F("attempts") + 1, last_error=str(error)[:500]
            )
            continue
        FileTakedown.objects.filter(pk=takedown.pk).delete()
        done += 1
    return done, left


def _images_shown_by(story):
    """The photo this story shows readers now, by id, or None."""
    return story.image_id if story.live else None


def take_down_unmatched_renditions(story):
    """Delete every rendition of her photos that her current choice no longer shows.

    Another version may have dropped or replaced the photo (every rendition of the old one
    goes, unless another live page shows it) or blurred it (the sharp ones go). Admin
    thumbnails are renditions too: they go as well and are made again when next needed.
    """
    # The page types are stories' (built on images): named, not imported.
    StoryPage = apps.get_model("stories", "StoryPage")
    CampaignPage = apps.get_model("stories", "CampaignPage")

    story = story.consent_story
    shown = _images_shown_by(story)
    ever = set()
    for content in story.revisions.values_list("content", flat=True):
        if isinstance(content, dict) and content.get("image"):
            ever.add(content["image"])
    if story.image_id:
        ever.add(story.image_id)
    doomed = []
    for image_id in ever - {shown}:
        elsewhere = (
            StoryPage.objects.live()
            .filter(image_id=image_id)
            .exclude(pk=story.pk)
            .exclude(alias_of=story)
            .exists()
            or CampaignPage.objects.live().filter(image_id=image_id).exists()
        )
        if not elsewhere:
            doomed.extend(SaysoRendition.objects.filter(image_id=image_id))
    if shown is not None and story.image_blurred:
        doomed.extend(
            rendition
            for rendition in SaysoRendition.objects.filter(image_id=shown)
            if "blur" not in rendition.filter_spec.split("|")
        )
    return take_down_renditions(doomed, story=story, reason="no longer shown")

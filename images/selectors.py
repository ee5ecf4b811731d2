"""Reads about public image files: what should be gone from storage and is not."""

from django.apps import apps

from .models import FileTakedown, SaysoRendition
from .services import rendition_storage

# Wagtail's admin makes its thumbnails and previews with max-… filters (under random names,
# made again when needed); public templates use width-… and fill-…, so only those count.
ADMIN_FILTER_PREFIX = "max-"


def public_files_left():
    """Descriptions of public files that a withdrawal or take-down left in storage."""
    # Stories are built on images: their models are named, not imported.
    EdgePurge = apps.get_model("stories", "EdgePurge")
    PendingPurge = apps.get_model("stories", "PendingPurge")
    StoryPage = apps.get_model("stories", "StoryPage")
    storage = rendition_storage()
    problems = []
    for takedown in FileTakedown.objects.all():
        if storage.exists(takedown.name):
            problems.append(
                f"Story {takedown.story_id}: file {takedown.name} is still public "
                f"({takedown.attempts} failed attempt(s): {takedown.last_error or 'not tried'})"
            )
    gone = [
        story
        for story in StoryPage.objects.filter(live=False, first_published_at__isnull=False)
        .exclude(image=None)
        .select_related("image")
        if story.is_gone()
    ]
    for story in gone:
        for rendition in SaysoRendition.objects.filter(image_id=story.image_id):
            if rendition.filter_spec.startswith(ADMIN_FILTER_PREFIX):
                continue
            if storage.exists(rendition.file.name):
                problems.append(
                    f"Story {story.pk}: rendition {rendition.file.name} "
                    f"({rendition.filter_spec}) is still public"
                )
    pending = PendingPurge.objects.count()
    if pending:
        problems.append(f"{pending} purge(s) of cached pages still owed")
    edge_owed = EdgePurge.objects.count()
    if edge_owed:
        problems.append(f"{edge_owed} purge(s) of the edge cache not yet acknowledged")
    return problems

"""A storyteller's photo is hers: it reaches readers only through her story, as she chose.

The rule, checked by every page type's ``clean()`` (which Wagtail's ``save`` of a live page,
``save_revision`` and the admin's page forms all run, so drafts, publishes and the API's
writes meet it alike):

- A picture that any version of a story has shown — as its photo or inside its text — is
  that story's storyteller's. No other page type may show it: not a campaign's image, not
  a picture in a campaign's, index's or the home page's introduction. Refusing, rather
  than letting the other page follow her consent, keeps one place where her choices (blur,
  "don't show the photo", an end date, withdrawal) apply; another page showing it could
  not be taken down with her story.
- The other way round, a picture another page type shows (or once showed) can't become a
  story's photo: copies of it are already public where her choices can't reach. Nor can
  another storyteller's photo: one picture, one person who decides about it. Two stories
  of the same storyteller may share a picture (a copy of her story does).

Pictures count by file content as well as by id: an image uploaded twice with the same
file (same hash) is the same picture.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Revision

from images.embeds import embedded_image_ids
from images.models import SaysoImage

REFUSED_ELSEWHERE = _(
    "This picture is a storyteller's photo for her story. It can only appear on her story, "
    "as she chose. Choose another picture."
)
REFUSED_FOR_STORY = _(
    "This picture is already shown on a campaign or another page, where the storyteller's "
    "choices (blurring it, not showing it, withdrawing) could not reach it. Choose another "
    "picture."
)
REFUSED_OTHER_STORYTELLER = _(
    "This picture is another storyteller's photo. Choose another picture for this story."
)


def pictures_of(page):
    """{field name: ids of the pictures it shows} for a page's own fields."""
    pictures = {}
    if getattr(page, "image_id", None):
        pictures["image"] = {page.image_id}
    for name in ("body", "intro"):
        ids = embedded_image_ids(getattr(page, name, "") or "")
        if ids:
            pictures[name] = ids
    return pictures


def story_photo_errors(story):
    """{field: message} for pictures this story may not show; empty when all are hers."""
    errors = {}
    for name, ids in pictures_of(story).items():
        same = same_pictures(ids)
        if _shown_by(_other_page_models(), same):
            errors[name] = REFUSED_FOR_STORY
        elif _storytellers_showing(same) - {story.storyteller_id}:
            errors[name] = REFUSED_OTHER_STORYTELLER
    return errors


def other_page_photo_errors(page):
    """{field: message} for storytellers' photos a non-story page tries to show."""
    from .models import StoryPage

    return {
        name: REFUSED_ELSEWHERE
        for name, ids in pictures_of(page).items()
        if _shown_by([StoryPage], same_pictures(ids))
    }


def same_pictures(ids):
    """The ids, and those of every image with the same file as one of them."""
    hashes = set(
        SaysoImage.objects.filter(pk__in=ids)
        .exclude(file_hash="")
        .values_list("file_hash", flat=True)
    )
    twins = SaysoImage.objects.filter(file_hash__in=hashes).values_list("pk", flat=True)
    return set(ids) | set(twins)


def _other_page_models():
    from .models import CampaignIndexPage, CampaignPage, HomePage, StoryIndexPage

    return [HomePage, StoryIndexPage, CampaignIndexPage, CampaignPage]


def _storytellers_showing(ids):
    from .models import StoryPage

    return {storyteller for _page, storyteller in _versions_showing(StoryPage, ids)}


def _shown_by(models, ids):
    return any(_versions_showing(model, ids) for model in models)


def _versions_showing(model, ids):
    """(page id, storyteller id or None) of each row and saved version of `model` showing
    one of the pictures. Every version counts: a picture once shown stays shown somewhere
    (a revert, a shared rendition URL)."""
    if not ids:
        return set()
    fields = {f.name for f in model._meta.concrete_fields}
    texts = [name for name in ("body", "intro") if name in fields]
    has_image = "image" in fields
    found = set()

    rows = Q(pk__in=[])
    if has_image:
        rows |= Q(image_id__in=ids)
    for name in texts:
        rows |= Q(**{f"{name}__icontains": "embedtype"})
    values = ["pk", *texts, *(["image"] if has_image else [])]
    storyteller = "storyteller" in fields
    for row in model.objects.filter(rows).values(
        *values, *(["storyteller"] if storyteller else [])
    ):
        if _shows(row.get("image"), [row[name] for name in texts], ids):
            found.add((row["pk"], row.get("storyteller")))

    versions = Q(pk__in=[])
    if has_image:
        versions |= Q(content__image__in=list(ids))
    for name in texts:
        versions |= Q(**{f"content__{name}__icontains": "embedtype"})
    revisions = Revision.objects.filter(
        versions, content_type=ContentType.objects.get_for_model(model)
    ).values_list("object_id", "content")
    for object_id, content in revisions:
        if _shows(content.get("image"), [content.get(name) or "" for name in texts], ids):
            found.add((int(object_id), content.get("storyteller")))
    return found


def _shows(image_id, texts, ids):
    if image_id in ids:
        return True
    return any(embedded_image_ids(text) & ids for text in texts)

"""Pictures embedded in rich text: which they are, and their content for consent.

Wagtail stores a picture in rich text as ``<embed embedtype="image" id="…" …/>`` and lets an
editor replace an image's file under the same id, so the id alone doesn't say which picture
readers get. ``bind_file_hashes`` writes each embedded picture's file hash into the tag, for
the text a storyteller's consent is bound to (StoryPage.public_content).
"""

from wagtail.rich_text.rewriters import FIND_EMBED_TAG, extract_attrs


def embedded_images(html):
    """The (tag, attributes) of each picture embedded in rich text, in order."""
    found = []
    for match in FIND_EMBED_TAG.finditer(html or ""):
        attrs = extract_attrs(match.group(1))
        if attrs.get("embedtype") == "image":
            found.append((match.group(0), attrs))
    return found


def embedded_image_ids(html):
    """The ids of the pictures embedded in rich text (ids that aren't numbers show nothing)."""
    return {int(attrs["id"]) for _tag, attrs in embedded_images(html) if _is_id(attrs.get("id"))}


def bind_file_hashes(html):
    """The rich text with each embedded picture's current file hash added to its tag.

    Text without pictures comes back unchanged, so consent given for it stays bound.
    """
    pictures = embedded_images(html)
    if not pictures:
        return html
    from .models import SaysoImage

    hashes = dict(
        SaysoImage.objects.filter(pk__in=embedded_image_ids(html)).values_list("pk", "file_hash")
    )
    for tag, attrs in pictures:
        digest = hashes.get(int(attrs["id"])) if _is_id(attrs.get("id")) else None
        html = html.replace(tag, f'{tag[:-2].rstrip()} file-hash="{digest or "missing"}"/>', 1)
    return html


def _is_id(value):
    return bool(value) and value.isascii() and value.isdigit()

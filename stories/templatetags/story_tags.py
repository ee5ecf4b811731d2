"""Template tags for showing a story exactly as its storyteller chose."""

from django import template
from django.utils.html import format_html
from wagtail.rich_text import RichText

from images.embeds import embedded_images
from images.models import SaysoImage

register = template.Library()

# The same rendition as the story's own photo, so every copy readers can get of her pictures
# is one the photo's take-downs already cover.
PICTURE_FILTER = "width-800|format-webp"


@register.simple_tag
def story_text(page):
    """The story's text, its embedded pictures blurred when the storyteller asked for that.

    Wagtail's image embed draws a sharp rendition in the editor's chosen format; a story's
    pictures follow her choice for the story's photo instead.
    """
    html = page.body
    pictures = embedded_images(html)
    if pictures:
        ids = [attrs.get("id", "") for _tag, attrs in pictures]
        images = SaysoImage.objects.in_bulk([pk for pk in ids if pk.isascii() and pk.isdigit()])
        spec = PICTURE_FILTER + ("|blur" if page.image_blurred else "")
        for (tag, attrs), pk in zip(pictures, ids, strict=True):
            image = images.get(int(pk)) if pk.isascii() and pk.isdigit() else None
            html = html.replace(tag, _picture(image, attrs.get("alt", ""), spec), 1)
    return str(RichText(html))


def _picture(image, alt, spec):
    if image is None:
        return ""
    rendition = image.get_rendition(spec)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}">',
        rendition.url,
        rendition.width,
        rendition.height,
        alt,
    )


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """The address as shared with links: a rendition on this site, or already whole (a
    public bucket's address), never glued onto this site's host."""
    return context["request"].build_absolute_uri(url)

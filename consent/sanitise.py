"""Cleaning what storytellers write before it is stored."""

import re

import bleach
from django.utils.html import strip_tags

# The rich-text features of a story (stories.models uses them for its body field): what a
# storyteller can also write in the portal, nothing that embeds third-party content or lets
# layout hide words from the person who approves them.
STORY_RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link"]
# The portal editor's features: paragraphs, bold, italic, lists and links. Nothing else
# survives, so pasted or hostile markup can't add scripts, styles, images or frames.
ALLOWED_TAGS = {"p", "br", "b", "i", "ul", "ol", "li", "a"}
# data-block-key: the ids Wagtail's editor gives paragraphs and list items (no words).
ALLOWED_ATTRIBUTES = {
    "a": ["href"],
    **{tag: ["data-block-key"] for tag in ("p", "li")},
}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}
RENAMES = {"strong": "b", "em": "i", "div": "p"}
# A tag left open at the very end (`<img src=x onerror=...` with no `>`) is markup, and
# browsers drop it, but strip_tags and bleach keep it as text: stored like that, it turns
# live wherever it is ever output unescaped next to a `>`. So it goes, like any other tag.
_UNCLOSED_TAG_AT_END = re.compile(r"<[a-zA-Z/!?][^>]*\Z")
_LINE_BREAK = re.compile(r"<br\s*/?>")
_STARTS_WITH_BLOCK = re.compile(r"<(p|ul|ol)[\s>]")


def clean_story_html(html):
    """Return html reduced to the allowlist, with strong/em stored the way Wagtail stores them."""
    for old, new in RENAMES.items():
        html = html.replace(f"<{old}>", f"<{new}>").replace(f"</{old}>", f"</{new}>")
    cleaned = bleach.clean(
        _UNCLOSED_TAG_AT_END.sub("", html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    # Wagtail's editor only reads self-closed line breaks; "<br>" makes the admin page fail.
    cleaned = _LINE_BREAK.sub("<br/>", cleaned).strip()
    if cleaned and not _STARTS_WITH_BLOCK.match(cleaned):
        cleaned = f"<p>{cleaned}</p>"
    return as_wagtail_stores_it(cleaned)


def as_wagtail_stores_it(html):
    """The same rich text in the form Wagtail's editor saves it.

    Stored any other way, the editor's unchanged form differs from the stored text, so
    approving a storyteller's version from the page editor would save a "new" version and
    send it back to her for approval. The block keys the editor adds (random ids, no words)
    are kept through cleaning, so cleaning twice gives the same text.
    """
    from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter

    converter = ContentstateConverter(STORY_RICH_TEXT_FEATURES)
    return converter.to_database_format(converter.from_database_format(html))


def clean_plain_text(text):
    """Plain text fields keep no markup at all (templates escape what is left on output)."""
    return _UNCLOSED_TAG_AT_END.sub("", strip_tags(text or "")).strip()

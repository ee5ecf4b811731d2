"""Cleaning what storytellers write before it is stored."""

import re

import bleach
from django.utils.html import strip_tags

# The portal editor's features: paragraphs, bold, italic, lists and links. Nothing else
# survives, so pasted or hostile markup can't add scripts, styles, images or frames.
ALLOWED_TAGS = {"p", "br", "b", "i", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}
RENAMES = {"strong": "b", "em": "i", "div": "p"}
# A tag left open at the very end (`<img src=x onerror=...` with no `>`) is markup, and
# browsers drop it, but strip_tags and bleach keep it as text: stored like that, it turns
# live wherever it is ever output unescaped next to a `>`. So it goes, like any other tag.
_UNCLOSED_TAG_AT_END = re.compile(r"<[a-zA-Z/!?][^>]*\Z")
_LINE_BREAK = re.compile(r"<br\s*/?>")


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
    if cleaned and not cleaned.startswith(("<p>", "<ul>", "<ol>")):
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


def clean_plain_text(text):
    """Plain text fields keep no markup at all (templates escape what is left on output)."""
    return _UNCLOSED_TAG_AT_END.sub("", strip_tags(text or "")).strip()

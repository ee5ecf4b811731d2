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


# The story as plain paragraphs, for a text box without the formatting editor (no
# JavaScript): a blank line between paragraphs, "- " before each point of a list, "1. "
# before each numbered one. Bold, italic and links keep their words.
_LIST_MARKS = {"ul": "- ", "ol": "1. "}
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBER = re.compile(r"^\s*\d+[.)]\s+")


def story_html_to_text(html):
    """The story's rich text as plain paragraphs she can read and change in a text box."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html or "", "html.parser")
    blocks = []
    for element in soup.children:
        name = getattr(element, "name", None)
        if name in _LIST_MARKS:
            items = element.find_all("li", recursive=False)
            blocks.append(
                "\n".join(
                    (f"{number}. " if name == "ol" else "- ") + _inline_text(item)
                    for number, item in enumerate(items, start=1)
                )
            )
        elif name is not None:
            text = _inline_text(element)
            if text:
                blocks.append(text)
        elif str(element).strip():
            blocks.append(str(element).strip())
    return "\n\n".join(blocks)


def _inline_text(element):
    for br in element.find_all("br"):
        br.replace_with("\n")
    return "\n".join(line.strip() for line in element.get_text().splitlines()).strip()


def text_to_story_html(text):
    """Plain paragraphs back into the story's rich text, every character escaped first.

    Whatever she types is her words, never markup: "<b>" stays those three characters.
    """
    from django.utils.html import escape

    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    html = []
    for block in blocks:
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        if all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{escape(_BULLET.sub('', line))}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif len(lines) > 1 and all(_NUMBER.match(line) for line in lines):
            items = "".join(f"<li>{escape(_NUMBER.sub('', line))}</li>" for line in lines)
            html.append(f"<ol>{items}</ol>")
        else:
            html.append("<p>" + "<br/>".join(escape(line) for line in lines) + "</p>")
    return clean_story_html("".join(html)) if html else ""

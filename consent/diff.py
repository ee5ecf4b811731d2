"""What changed between two versions of a story, word by word, in plain terms."""

import difflib
import html
import re

from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

_TOKENS = re.compile(r"\s+|[^\s]+")
_BLOCK_END = re.compile(r"</(p|li|h\d)>|<br\s*/?>", re.IGNORECASE)


def html_to_text(value):
    """The words a reader sees in a piece of rich text, one paragraph per line."""
    return html.unescape(strip_tags(_BLOCK_END.sub("\n", value or ""))).strip()


def word_diff(old, new):
    """A list of (kind, text) with kind "same", "removed" or "added", word by word."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            parts.append(("added", "".join(after[j1:j2])))
    return parts


def _readable(page):
    warnings = ", ".join(sorted(w.name for w in page.content_warnings.all()))
    photo = page.image.title if page.image_id and page.image else ""
    if photo and page.image_blurred:
        photo = f"{photo} ({_('shown blurred')})"
    return [
        (_("Title"), page.title),
        (_("Summary"), page.summary),
        (_("Your story"), html_to_text(page.body)),
        (_("Named as"), str(page.byline)),
        (_("Content warnings"), warnings),
        (_("Photo"), photo),
    ]


def story_changes(old_page, new_page):
    """The fields that differ between two versions, each with its word-by-word diff."""
    changes = []
    for (label, old), (_label, new) in zip(_readable(old_page), _readable(new_page), strict=True):
        if old != new:
            changes.append({"label": label, "parts": word_diff(old, new)})
    return changes

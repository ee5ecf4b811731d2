"""What a reader gets from a version of a story, and what changed between two, in plain terms.

`reader_view` is the one list of everything readers get (the portal's review page shows it,
`story_changes` compares it): every key of `StoryPage.public_content()` has its row here,
so what she approves is exactly what she was shown (tests/test_review_shows_everything.py
walks the keys and fails on one that is not shown).
"""

import difflib
import html
import re
from dataclasses import dataclass

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

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


@dataclass(frozen=True)
class Row:
    """One thing readers get, as the storyteller reads it."""

    key: str
    label: str
    text: str
    # What the words alone can't tell apart (two photos with the same name).
    identity: tuple = ()


def public_address(page):
    """The full web address readers use for this version (its own slug under its parent)."""
    parent = page.get_parent() if page.path else None
    base = ""
    if parent is not None:
        base = parent.specific_deferred.get_full_url() or parent.specific_deferred.url or ""
    return f"{base.rstrip('/')}/{page.slug}/"


def _byline(page):
    kind = page.Byline
    if page.byline_kind == kind.ANONYMOUS:
        return _("Anonymous: no name is shown")
    if page.byline_kind == kind.FIRST_NAME:
        return _("%(name)s (your first name)") % {"name": page.byline_name}
    return _("%(name)s (the name you chose to be known by)") % {"name": page.byline_name}


def _photo(page):
    if not (page.image_id and page.image):
        return _("No photo")
    if page.image_blurred:
        return f"{page.image.title} ({_('shown blurred')})"
    return page.image.title


def _names(queryset):
    return ", ".join(sorted(item.name for item in queryset)) or _("None")


def reader_view(page):
    """Everything readers get from this version of a story, one row per thing, in order."""
    photo_identity = (page.image_id, page.image.file_hash) if page.image_id and page.image else ()
    return [
        Row("title", _("Title"), page.title),
        Row(
            "seo_title",
            _("Title in the browser tab and in search engines"),
            page.seo_title or page.title,
        ),
        Row(
            "search_description",
            _("Description that search engines and shared links show"),
            page.search_description or _("None: your summary is shown instead"),
        ),
        Row("slug", _("Web address"), public_address(page)),
        Row("summary", _("Summary"), page.summary),
        Row("body", _("Your story"), html_to_text(page.body)),
        Row("byline", _("Named as"), _byline(page)),
        Row("content_warnings", _("Content warnings"), _names(page.content_warnings.all())),
        Row("image", _("Photo"), _photo(page), photo_identity),
        Row(
            "image_blurred",
            _("Photo blurred"),
            (
                _("Yes: readers only ever get a blurred copy")
                if page.image_blurred
                else _("No: readers see the photo clearly")
            )
            if page.image_id
            else _("No photo"),
        ),
        Row(
            "image_alt",
            _("Description of the photo, read out to people who can't see it"),
            page.image_alt if page.image_id else _("No photo"),
        ),
        Row("topics", _("Topics"), _names(page.topics.all())),
        Row("region", _("Country"), page.region.name if page.region else _("Not given")),
    ]


# Shown once in the "what changed" view: the photo's row already says "shown blurred".
_NOT_COMPARED = {"image_blurred"}


def story_changes(old_page, new_page, *, changed_underneath=False):
    """The rows that differ between two versions, each with its word-by-word diff.

    A change of photo also carries both pictures, shown the way readers get each.
    ``changed_underneath``: the version she approved no longer has the content she approved
    (its photo's file was replaced in place), which no row can show side by side.
    """
    changes = []
    if changed_underneath:
        changes.append(
            {
                "key": "underneath",
                "label": _("Changed since you approved it"),
                "parts": [
                    (
                        "added",
                        _(
                            "Something your story shows was replaced: the photo's file, or the "
                            "name of a topic or content warning. Look at them again below."
                        ),
                    )
                ],
                "pictures": [(_("Now"), new_page)] if new_page.image_id else [],
            }
        )
    for old, new in zip(reader_view(old_page), reader_view(new_page), strict=True):
        if old.key in _NOT_COMPARED or (old.text, old.identity) == (new.text, new.identity):
            continue
        if old.text != new.text:
            parts = word_diff(old.text, new.text)
        else:
            parts = [("removed", _("the earlier photo")), ("added", _("a different photo"))]
        change = {"key": old.key, "label": old.label, "parts": parts}
        if old.key == "image":
            change["pictures"] = [
                (_("Before"), old_page) if old_page.image_id else None,
                (_("Now"), new_page) if new_page.image_id else None,
            ]
        changes.append(change)
    return changes

"""Finding a storyteller's private words in what a reader would see.

Matching ignores case and accents and works on whole words, so "Brindisi" is found in
"BRÍNDISI," and in "Brin<b>disi</b>", but "Ana" is not found in "banana". The words
themselves are never part of any result: callers learn only *where* one was found.

Matching also ignores what a reader can't see: invisible formatting characters (Unicode
category Cf — soft hyphen, zero-width space, joiners, word joiner, BOM, bidi controls — the
combining grapheme joiner and variation selectors), typed as characters or as HTML entities
(``&shy;``, ``&#x200B;``, ``&zwj;``). "Brin&shy;disi" looks like "Brindisi" on the page, so
it is "Brindisi" to the guard.
"""

import html
import re
import sys
import unicodedata
from functools import cache, lru_cache

# Typographic variants people type without noticing; folded the same way on both sides.
_LOOKALIKES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
    }
)
_TAG = re.compile(r"<[^>]*>")
# Between the words of a term: any spacing or punctuation, so "Okonkwo Street" is also
# found in "okonkwo-street" (a web address) or across a line break.
_WORD_GAP = r"[\W_]+"


# Characters that change nothing a reader sees besides Cf: U+034F COMBINING GRAPHEME JOINER
# and the variation selectors (both category Mn with combining class 0, so the accent
# stripping in fold() keeps them).
_INVISIBLE_EXTRAS = [(0x034F, 0x034F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF)]
# Entities are decoded again until nothing changes ("&amp;shy;" shown by a feed reader that
# decodes once more is a soft hyphen too); bounded, since each pass only shortens the text.
_MAX_UNESCAPES = 4


@cache
def _invisible():
    """A regex matching every invisible formatting character (built once: a full scan of
    Unicode, about a tenth of a second, so not at import)."""
    codes = [code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    codes += [code for start, end in _INVISIBLE_EXTRAS for code in range(start, end + 1)]
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(set(codes))) + "]")


def without_invisibles(text):
    """Text with every invisible formatting character removed."""
    text = str(text or "")
    if text.isascii():
        return text
    return _invisible().sub("", text)


def unescape_all(text):
    """HTML entities decoded, repeatedly, as far as any reader's software might decode them."""
    text = str(text or "")
    for _pass in range(_MAX_UNESCAPES):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def fold(text):
    """Text with case, accents, typographic variants and invisible characters removed, for
    comparison only."""
    text = str(text or "")
    if text.isascii():
        return text.translate(_LOOKALIKES).lower()
    decomposed = unicodedata.normalize("NFKD", without_invisibles(text))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    folded = unicodedata.normalize("NFKC", bare.translate(_LOOKALIKES).casefold())
    return without_invisibles(folded)


def clean_terms(lines):
    """Distinct, non-empty terms in the order given (duplicates compared folded)."""
    terms, seen = [], set()
    for line in lines:
        term = " ".join(str(line).split())
        key = fold(term)
        if term and key not in seen:
            seen.add(key)
            terms.append(term)
    return terms


@lru_cache(maxsize=256)
def _pattern(terms):
    """One regex for a tuple of terms: any of them as a whole word (or run of words)."""
    alternatives = sorted(
        {_WORD_GAP.join(re.escape(word) for word in fold(term).split()) for term in terms},
        key=len,
        reverse=True,
    )
    alternatives = [alternative for alternative in alternatives if alternative]
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def contains_any(text, terms):
    """True when plain text contains any of the terms as a whole word."""
    pattern = _pattern(tuple(terms))
    return bool(pattern and pattern.search(fold(unescape_all(text))))


def html_contains_any(markup, terms):
    """True when the words of some HTML, or its attribute values (link addresses), contain
    any of the terms.

    Checked with tags kept as separators (attributes, words at block boundaries) and with
    tags removed (a word split by inline markup, "Brin<b>disi</b>"), before and after
    decoding entities (markup that was itself entity-encoded).
    """
    pattern = _pattern(tuple(terms))
    if pattern is None:
        return False
    markup = str(markup or "")
    decoded = unescape_all(markup)
    return any(
        pattern.search(fold(variant))
        for variant in (decoded, unescape_all(_TAG.sub("", markup)), _TAG.sub("", decoded))
    )


def fields_containing(public_content, terms, *, html_fields=("body",)):
    """The names of the public fields (keys of StoryPage.public_content()) containing a term."""
    if not terms:
        return []
    found = []
    for name, value in public_content.items():
        if name in html_fields:
            hit = html_contains_any(value, terms)
        else:
            hit = any(contains_any(text, terms) for text in _texts(value))
        if hit:
            found.append(name)
    return found


def _texts(value):
    """Every piece of text inside a public field's value (strings, lists, the photo's dict)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


EXEMPT_START = "<!--sayso-exempt:{mark}-->"
EXEMPT_END = "<!--/sayso-exempt:{mark}-->"


def without_exempt(rendered, mark):
    """A rendered page without the parts marked as checked elsewhere (a story's card, whose
    words its own storyteller's verdict already cleared). The mark is random per render, so
    nothing written into a page can forge it; without a mark nothing is left out."""
    if not mark:
        return rendered
    start, end = re.escape(EXEMPT_START.format(mark=mark)), re.escape(EXEMPT_END.format(mark=mark))
    return re.sub(start + ".*?" + end, " ", rendered, flags=re.DOTALL)

"""Finding a storyteller's private words in what a reader would see.

Matching ignores case and accents and works on whole words, so "Brindisi" is found in
"BRÍNDISI," and in "Brin<b>disi</b>", but "Ana" is not found in "banana". The words
themselves are never part of any result: callers learn only *where* one was found.
"""

import html
import re
import unicodedata
from functools import lru_cache

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


def fold(text):
    """Text with case, accents and typographic variants removed, for comparison only."""
    text = str(text or "")
    if text.isascii():
        return text.translate(_LOOKALIKES).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.translate(_LOOKALIKES).casefold())


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
    return bool(pattern and pattern.search(fold(text)))


def html_contains_any(markup, terms):
    """True when the words of some HTML, or its attribute values (link addresses), contain
    any of the terms.

    Checked twice: with tags kept as separators (attributes, words at block boundaries) and
    with tags removed (a word split by inline markup, "Brin<b>disi</b>").
    """
    pattern = _pattern(tuple(terms))
    if pattern is None:
        return False
    markup = str(markup or "")
    return any(
        pattern.search(fold(html.unescape(variant))) for variant in (markup, _TAG.sub("", markup))
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

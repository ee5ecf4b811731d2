"""The word diff a storyteller reads in "what changed": whole words, kept apart, escaped."""

import pytest
from bs4 import BeautifulSoup

from core.text.diff import diff_html, html_to_text, word_diff


def visible_text(html):
    """What a sighted reader sees: the text without the visually hidden words."""
    soup = BeautifulSoup(str(html), "html.parser")
    for hidden in soup.select(".visually-hidden"):
        hidden.decompose()
    return soup.get_text()


def spoken_text(html):
    """What a screen reader says: every word, the hidden "removed:"/"added:" too."""
    return " ".join(BeautifulSoup(str(html), "html.parser").get_text().split())


def test_a_replaced_word_is_removed_then_added_never_run_together():
    parts = word_diff("a small dog", "a little dog")

    assert parts == [("same", "a"), ("removed", "small"), ("added", "little"), ("same", "dog")]
    html = diff_html(parts)
    assert "smalllittle" not in visible_text(html)
    assert visible_text(html) == "a small little dog"
    assert spoken_text(html) == "a removed: small added: little dog"
    soup = BeautifulSoup(str(html), "html.parser")
    assert [tag.get_text() for tag in soup.select("del")] == ["removed: small"]
    assert [tag.get_text() for tag in soup.select("ins")] == ["added: little"]


def test_runs_of_words_stay_whole_and_in_order():
    parts = word_diff("I left in the spring of that year", "I left in the cold winter")

    assert parts == [
        ("same", "I left in the"),
        ("removed", "spring of that year"),
        ("added", "cold winter"),
    ]


def test_words_are_compared_whole_never_letter_by_letter():
    parts = word_diff("the orchard gate", "the orchards gate")

    assert parts == [
        ("same", "the"),
        ("removed", "orchard"),
        ("added", "orchards"),
        ("same", "gate"),
    ]


def test_spacing_alone_is_no_change():
    assert word_diff("one  two\tthree ", " one two three") == [("same", "one two three")]


def test_unicode_words_are_whole_and_the_same_letters_typed_two_ways_are_the_same():
    composed = "Lucía en Málaga"
    decomposed = "Luci\u0301a en Ma\u0301laga"
    assert composed != decomposed

    assert word_diff(composed, decomposed) == [("same", "Lucía en Málaga")]
    assert word_diff("Lucía en Málaga", "Lucía en Sevilla") == [
        ("same", "Lucía en"),
        ("removed", "Málaga"),
        ("added", "Sevilla"),
    ]
    assert word_diff("قالت لي أمي", "قالت لي أختي") == [
        ("same", "قالت لي"),
        ("removed", "أمي"),
        ("added", "أختي"),
    ]


def test_paragraphs_stay_apart_and_show_as_line_breaks():
    old = html_to_text("<p>First part.</p><p>Second part.</p>")
    new = html_to_text("<p>First part.</p><p>Second, new part.</p>")

    parts = word_diff(old, new)

    assert parts == [
        ("same", "First part.\n"),
        ("removed", "Second"),
        ("added", "Second, new"),
        ("same", "part."),
    ]
    html = str(diff_html(parts))
    assert html.count("<br>") == 1
    assert visible_text(html) == "First part. Second Second, new part."


def test_markup_in_rich_text_is_stripped_before_comparing():
    old = html_to_text('<p data-block-key="a1">She <b>ran</b> &amp; hid.</p>')
    new = html_to_text('<p data-block-key="zz">She <i>ran</i> &amp; hid.</p>')

    assert old == new == "She ran & hid."
    assert word_diff(old, new) == [("same", "She ran & hid.")]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '"><svg onload=alert(1)>',
    ],
)
def test_words_that_look_like_markup_are_shown_as_words_never_run(hostile):
    html = str(diff_html(word_diff("safe words", f"safe {hostile}")))

    soup = BeautifulSoup(html, "html.parser")
    assert {tag.name for tag in soup.find_all(True)} <= {"del", "ins", "span", "br"}
    assert hostile.split()[0] in soup.get_text()
    assert "<script" not in html and "<img" not in html and "<svg" not in html

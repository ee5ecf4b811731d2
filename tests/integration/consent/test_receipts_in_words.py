"""Receipts and the data export in her words: what, where, how named, photo, until when.

Codes (receipt numbers, hashes, sequence numbers) are kept for the technical details; the
words she reads carry none of them, nor "UTC", "JSON", "Pseudonym" or "Fingerprint".
"""

import re
from datetime import timedelta

import pytest

from consent import services
from consent.export import export_in_words
from consent.receipts import receipt_in_words, receipt_technical_details
from consent.selectors import today
from stories.models import StoryPage

from tests.conftest import approve

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX = re.compile(r"\b[0-9a-f]{32,}\b")
CODE_WORDS = re.compile(r"\b(UTC|JSON|Pseudonym|Fingerprint|GBP|sha256|hash)\b", re.IGNORECASE)


def words(rows):
    return " ".join(f"{label}: {value}" for label, value in rows)


def assert_no_codes(text):
    assert not UUID.search(text), text
    assert not HEX.search(text), text
    assert not CODE_WORDS.search(text), text


def test_an_approval_receipt_says_what_where_how_named_photo_and_until_when(
    make_story, amara, photo
):
    story = make_story(
        amara,
        slug="with-photo",
        title="The orchard road",
        image=photo,
        image_alt="Hands holding apples",
        image_blurred=True,
    )
    until = today() + timedelta(days=30)
    entry = approve(
        story, amara, channels=("website", "print"), image_allowed=True, valid_until=until
    )

    rows = dict(receipt_in_words(entry))

    assert rows["What you decided"] == "You approved your story."
    assert rows["Your story"] == "The orchard road"
    assert rows["How"] == "By you, here in your own space."
    assert rows["Where it may appear"] == "Print, This website"
    assert rows["How you are named"] == "By the name you chose: Amara"
    assert rows["Your photo"] == (
        "Your photo may be shown, blurred: readers only ever get a blurred copy."
    )
    assert rows["Until when"] == (
        f"Until {until.strftime('%-d %B %Y')}, unless you withdraw it sooner."
    )
    assert_no_codes(words(receipt_in_words(entry)))


def test_an_anonymous_approval_without_the_photo_says_so(make_story, amara, photo):
    story = make_story(
        amara,
        slug="anonymous",
        byline_kind=StoryPage.Byline.ANONYMOUS,
        byline_name="",
        image=photo,
        image_alt="A field",
    )
    entry = approve(story, amara, byline=StoryPage.Byline.ANONYMOUS)

    rows = dict(receipt_in_words(entry))

    assert rows["How you are named"] == "No name at all: your story is shown without a name."
    assert rows["Your photo"] == "Your photo must not be shown."
    assert rows["Until when"] == "Until you withdraw it. You can do that at any time."


def test_a_withdrawal_and_a_request_for_changes_say_what_she_did(
    make_story, amara, review_workflow, editor
):
    story = make_story(amara, slug="asked")
    review_workflow.start(story, editor)
    asked = services.request_changes(
        story=story,
        revision=story.get_latest_revision(),
        user=amara.user,
        message="Leave out my town.",
    )
    withdrawn = services.withdraw_story(story=StoryPage.objects.get(pk=story.pk), user=amara.user)

    asked_rows = dict(receipt_in_words(asked))
    withdrawn_rows = dict(receipt_in_words(withdrawn))

    assert asked_rows["What you decided"] == "You asked the editors for changes."
    assert asked_rows["What you asked for"] == "Leave out my town."
    assert withdrawn_rows["What you decided"] == "You withdrew your story."
    assert "Where it may appear" not in withdrawn_rows
    for entry in (asked, withdrawn):
        assert_no_codes(words(receipt_in_words(entry)))


def test_the_codes_are_all_in_the_technical_details(make_story, amara):
    entry = approve(make_story(amara, slug="codes"), amara)

    technical = dict(receipt_technical_details(entry))

    assert technical["Receipt number"] == str(entry.receipt_id)
    assert technical["Code that identifies exactly these words"] == entry.content_hash
    assert technical["Its number in the record of decisions"] == str(entry.sequence)
    assert technical["Seal of the record when this was issued"] == entry.entry_hash


def test_the_readable_export_has_every_section_of_the_download_in_words(
    make_story, amara, published_story
):
    amara.legal_name = "Amara Okonkwo-Test"
    amara.save()

    sections = export_in_words(amara)

    from consent.export import WHAT_IS_EXPORTED

    assert [key for key, _heading, _items in sections] == list(WHAT_IS_EXPORTED)
    by_key = {key: items for key, _heading, items in sections}
    profile = dict(by_key["profile"][0]["rows"])
    assert profile["Your legal name"] == "Amara Okonkwo-Test"
    assert profile["The name you use here"] == "Amara"
    stories = by_key["stories"]
    assert [story["title"] for story in stories] == [published_story.title]
    assert dict(stories[0]["rows"])["Where it stands"] == "Published — on the website"
    decisions = by_key["consent_entries"]
    assert [dict(item["rows"])["What you decided"] for item in decisions] == [
        "You approved your story."
    ]
    for items in by_key.values():
        for item in items:
            assert_no_codes(words(item["rows"]))

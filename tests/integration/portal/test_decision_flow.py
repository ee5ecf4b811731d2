"""Her decision, one thing per page: read → decide → each choice → check → done, with a receipt.

Every page asks one question in her words; mistakes are listed at the top and linked to the
field; her answers are kept for exactly the version she read; and saying no to part of a
version is recorded as her decision and goes back to the editors, never refused.
"""

import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import formats
from wagtail.models import Revision, TaskState

from consent import services
from consent.exceptions import NotTheStoryteller, StoryChanged, StoryWithdrawn
from consent.models import ConsentEntry, Notification, StorytellerReviewTask
from consent.selectors import revision_content_hash, today
from core.text.sanitise import story_html_to_text
from stories.models import StoryPage

from tests.conftest import approve, edit_as_storyteller
from tests.portal_flow import (
    answer,
    approve_in_portal,
    ask_for_changes_in_portal,
    choose,
    current_review_step,
    page_form,
    signed_in,
    start_deciding,
    text_of,
    withdraw_in_portal,
)

pytestmark = pytest.mark.django_db

DJANGO_REQUIRED = "This field is required."


def step_url(story, step):
    return reverse(f"portal:approve_{step}", args=[story.pk])


@pytest.fixture
def amara_client(amara):
    return signed_in(amara)


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def error_summary(response):
    """(href, text) of each link in the page's error summary."""
    summary = soup_of(response).select_one(".error-summary")
    assert summary is not None, "no error summary at the top of the page"
    assert summary.get("role") == "alert"
    return [(a["href"], a.get_text(" ", strip=True)) for a in summary.select("a")]


# 1. One decision per page, all the way to a receipt.


def test_approving_asks_one_question_per_page_and_records_exactly_what_she_read(
    amara_client, in_review_with_photo
):
    waiting = current_review_step(in_review_with_photo).revision
    last_day = today() + timedelta(days=90)
    start_deciding(amara_client, in_review_with_photo)
    decide = amara_client.get(reverse("portal:decide", args=[in_review_with_photo.pk]))
    assert [h.get_text(strip=True) for h in soup_of(decide).find_all("h1")] == [
        "What would you like to do?"
    ]
    assert [label.get_text(strip=True) for label in soup_of(decide).select(".choice label")] == [
        "Approve it",
        "Ask for changes",
        "Edit it myself",
        "Withdraw it",
    ]
    assert choose(amara_client, in_review_with_photo, "approve")["Location"] == step_url(
        in_review_with_photo, "places"
    )

    questions = {}
    for step, answers in [
        ("places", {"channels": ["website", "print"]}),
        ("name", {"byline": "pseudonym"}),
        ("photo", {"photo": "shown"}),
        ("until", {"until": "date", "valid_until": last_day.isoformat()}),
    ]:
        page = amara_client.get(step_url(in_review_with_photo, step))
        headings = soup_of(page).find_all("h1")
        assert len(headings) == 1, step  # one question, and it is the page's heading
        assert len(soup_of(page).find_all("fieldset")) == 1, step
        questions[step] = headings[0].get_text(strip=True)
        response = answer(amara_client, step_url(in_review_with_photo, step), **answers)
        assert response.status_code == 302, step
    assert response["Location"] == step_url(in_review_with_photo, "check")
    assert questions == {
        "places": "Where may your story appear?",
        "name": "How should your story name you?",
        "photo": "Should readers see your photo, see it blurred, or not see it?",
        "until": "For how long may your story appear?",
    }

    check = amara_client.get(step_url(in_review_with_photo, "check"))
    text = text_of(check)
    assert "Check your answers" in text
    assert "This website, Print" in text
    assert "By the name I chose" in text
    assert "Show my photo" in text
    assert f"Until {last_day.strftime('%-d %B %Y')}, or until you withdraw it" in text
    changes = [a["href"] for a in soup_of(check).select(".summary-list__change a")]
    assert changes == [
        step_url(in_review_with_photo, step) + "?change=1"
        for step in ("places", "name", "photo", "until")
    ]
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()  # not yet

    done = amara_client.post(step_url(in_review_with_photo, "check"), page_form(check))

    grant = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    assert grant.decision == ConsentEntry.Decision.GRANTED
    assert grant.method == ConsentEntry.Method.PORTAL
    assert grant.channels == ["print", "website"]
    assert grant.byline == "pseudonym"
    assert grant.image_allowed is True
    assert grant.valid_until == last_day
    assert grant.revision_id == waiting.pk
    assert grant.content_hash == revision_content_hash(waiting)
    assert done.status_code == 302
    assert done["Location"] == reverse(
        "portal:decided", args=[in_review_with_photo.pk, grant.receipt_id]
    )
    done_page = amara_client.get(done["Location"])
    assert "You approved your story" in text_of(done_page)
    receipt_url = reverse("portal:receipt", args=[grant.receipt_id])
    assert soup_of(done_page).find("a", href=receipt_url) is not None
    receipt = text_of(amara_client.get(receipt_url))
    assert str(grant.receipt_id) in receipt
    assert formats.date_format(last_day, "j F Y") in receipt
    # Her part is done; the story now waits on the editors, not on her.
    assert not isinstance(
        current_review_step(in_review_with_photo).task.specific, StorytellerReviewTask
    )
    assert "Approved — not published yet" in text_of(amara_client.get(reverse("portal:home")))


def test_a_change_link_returns_to_check_your_answers(amara_client, in_review_with_photo):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for step in ("places", "name", "photo", "until"):
        answer(amara_client, step_url(in_review_with_photo, step))
    changing = step_url(in_review_with_photo, "name") + "?change=1"
    page = amara_client.get(changing)
    data = page_form(page)
    data["byline"] = ["anonymous"]

    back = amara_client.post(changing, data)

    assert back["Location"] == step_url(in_review_with_photo, "check")
    assert "No name — anonymous" in text_of(
        amara_client.get(step_url(in_review_with_photo, "check"))
    )


def test_her_answers_are_kept_when_she_goes_back(amara_client, in_review_with_photo):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    answer(amara_client, step_url(in_review_with_photo, "places"), channels=["print", "press"])

    again = soup_of(amara_client.get(step_url(in_review_with_photo, "places")))

    ticked = [box["value"] for box in again.select("input[name=channels][checked]")]
    assert ticked == ["print", "press"]


# 2. Mistakes: a summary at the top, linked to the field, in her words.


@pytest.mark.parametrize(
    ("step", "data", "anchor", "message"),
    [
        (
            "places",
            {},
            "#id_channels_0",
            "Choose at least one place, or go back and ask for changes instead.",
        ),
        ("name", {}, "#id_byline_0", "Choose how your story should name you."),
        ("photo", {}, "#id_photo_0", "Choose whether readers see your photo, blurred or not."),
        ("until", {}, "#id_until_0", "Choose for how long your story may appear."),
        (
            "until",
            {"until": "date"},
            "#id_valid_until",
            "Choose the last day, or choose “until I withdraw it”.",
        ),
        ("until", {"until": "date", "valid_until": "2020-01-01"}, "#id_valid_until", None),
        (
            "name",
            {"byline": "legal_name"},
            "#id_byline_0",
            "Choose one of the answers on this page.",
        ),
    ],
)
def test_a_mistake_is_listed_at_the_top_linked_to_its_field_in_her_words(
    amara_client, in_review_with_photo, step, data, anchor, message
):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for earlier in ("places", "name", "photo", "until"):
        if earlier == step:
            break
        answer(amara_client, step_url(in_review_with_photo, earlier))
    assert amara_client.get(step_url(in_review_with_photo, step)).status_code == 200

    response = amara_client.post(step_url(in_review_with_photo, step), data)

    assert response.status_code == 200
    [(href, text)] = error_summary(response)
    assert href == anchor
    assert soup_of(response).select_one(anchor) is not None  # the link lands on the field
    assert text == (message or "Choose a day after today.")
    assert DJANGO_REQUIRED not in text_of(response)
    # The same words next to the field itself.
    assert text in soup_of(response).select_one(".form-group--error .errors").get_text()


def test_the_date_counts_only_when_until_a_date_is_chosen(amara_client, in_review_with_photo):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for step in ("places", "name", "photo"):
        answer(amara_client, step_url(in_review_with_photo, step))
    page = soup_of(amara_client.get(step_url(in_review_with_photo, "until")))
    # The date box sits inside the "until a date" choice, revealed by CSS when it is ticked.
    reveal = page.select_one(".choice--reveals .choice__reveal input[type=date]")
    assert reveal is not None and reveal["name"] == "valid_until"
    assert page.find("script") is None or not page.find("script").string

    response = answer(
        amara_client,
        step_url(in_review_with_photo, "until"),
        until="withdrawn",
        valid_until="not a day",
    )

    assert response.status_code == 302
    answers = amara_client.session["sayso_decisions"][str(in_review_with_photo.pk)]["answers"]
    assert answers["until"] == {"until": "withdrawn", "valid_until": ""}


def test_the_photo_question_offers_blurring(amara_client, in_review_with_photo):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    answer(amara_client, step_url(in_review_with_photo, "places"))
    answer(amara_client, step_url(in_review_with_photo, "name"))

    page = amara_client.get(step_url(in_review_with_photo, "photo"))

    labels = [label.get_text(strip=True) for label in soup_of(page).select(".choice label")]
    assert labels == [
        "Show my photo",
        "Show my photo blurred, so no one can recognise me",
        "Don't show my photo",
    ]
    assert "blurred" in soup_of(page).find("h1").get_text()
    assert "This version shows your photo clearly." in text_of(page)


def test_a_story_without_a_photo_has_no_photo_question(amara_client, in_review):
    response = approve_in_portal(amara_client, in_review, follow=False)

    grant = ConsentEntry.objects.get(story_id=in_review.pk)
    assert response["Location"] == reverse("portal:decided", args=[in_review.pk, grant.receipt_id])
    assert grant.image_allowed is False
    # Nothing waits for her now: the questions send her back to her story.
    assert amara_client.get(step_url(in_review, "photo"))["Location"] == reverse(
        "portal:story", args=[in_review.pk]
    )


# 3. Every refusal is recorded as her decision, and goes back to the editors.


@pytest.mark.parametrize(
    ("answers", "asked"),
    [
        ({"photo": "hidden"}, "Please remove my photo."),
        ({"photo": "blurred"}, "Please blur my photo."),
        ({"byline": "anonymous"}, "Please don't name me: make it anonymous."),
        ({"byline": "first_name"}, "Please name me by my first name."),
    ],
)
def test_saying_no_to_part_of_a_version_is_recorded_and_sent_to_the_editors(
    amara_client, in_review_with_photo, answers, asked, django_capture_on_commit_callbacks
):
    waiting = current_review_step(in_review_with_photo)
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for step in ("places", "name", "photo", "until"):
        answer(
            amara_client,
            step_url(in_review_with_photo, step),
            **{
                k: v
                for k, v in answers.items()
                if step in ("photo", "name") and k in ("photo", "byline")
            },
        )
    check = amara_client.get(step_url(in_review_with_photo, "check"))
    assert "What happens next" in text_of(check)
    assert asked in text_of(check)
    assert "Send my answers to the editors" in text_of(check)

    with django_capture_on_commit_callbacks(execute=True):
        response = amara_client.post(step_url(in_review_with_photo, "check"), page_form(check))

    assert response.status_code == 302  # never a 403
    entry = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert entry.message.startswith(asked)
    assert "Where it may appear: This website" in entry.message
    assert entry.revision_id == waiting.revision_id
    assert entry.content_hash == revision_content_hash(waiting.revision)
    waiting.refresh_from_db()
    assert waiting.status == TaskState.STATUS_REJECTED  # back with the editors
    assert Notification.objects.filter(
        story=in_review_with_photo, kind=Notification.Kind.CHANGES_REQUESTED
    ).exists()
    done = amara_client.get(response["Location"])
    assert "Your answers were sent to the editors" in text_of(done)
    assert "send you the new version" in text_of(done)
    assert asked in text_of(done)
    assert "You asked for changes" in text_of(amara_client.get(reverse("portal:home")))


def test_blurred_on_a_version_that_blurs_the_photo_is_an_approval(
    amara_client, in_review_with_photo, editor, review_workflow
):
    draft = in_review_with_photo.get_latest_revision_as_object()
    draft.image_blurred = True
    revision = draft.save_revision(user=editor)
    current_review_step(in_review_with_photo).workflow_state.cancel(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=in_review_with_photo.pk), editor)

    approve_in_portal(amara_client, in_review_with_photo, photo="blurred")

    grant = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    assert grant.decision == ConsentEntry.Decision.GRANTED
    assert grant.image_allowed is True
    assert grant.revision_id == revision.pk


# 4. Hostile and unlucky paths: skipping, other people's stories, tampering, twice, stale.


def test_no_step_opens_before_the_ones_it_follows(amara_client, in_review_with_photo):
    # Not started from the story page: every step sends her back to read it.
    for step in ("places", "name", "photo", "until", "check"):
        response = amara_client.get(step_url(in_review_with_photo, step))
        assert response.status_code == 302, step
        assert response["Location"] == reverse("portal:story", args=[in_review_with_photo.pk])
    assert amara_client.get(reverse("portal:decide", args=[in_review_with_photo.pk]))[
        "Location"
    ] == (reverse("portal:story", args=[in_review_with_photo.pk]))
    start_deciding(amara_client, in_review_with_photo)
    for step in ("name", "photo", "until", "check"):
        response = amara_client.get(step_url(in_review_with_photo, step))
        assert response["Location"] == step_url(in_review_with_photo, "places"), step
    # A post to the check page before answering records nothing.
    response = amara_client.post(step_url(in_review_with_photo, "check"), {})
    assert response["Location"] == step_url(in_review_with_photo, "places")
    answer(amara_client, step_url(in_review_with_photo, "places"))
    assert amara_client.get(step_url(in_review_with_photo, "until"))["Location"] == step_url(
        in_review_with_photo, "name"
    )
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()


def test_another_storytellers_story_is_simply_not_found(lucia, in_review_with_photo):
    lucias = signed_in(lucia)
    revision = current_review_step(in_review_with_photo).revision
    posts = {
        reverse("portal:decide_start", args=[in_review_with_photo.pk]): {
            "revision": revision.pk,
            "content_hash": revision_content_hash(revision),
        },
        reverse("portal:decide", args=[in_review_with_photo.pk]): {"decision": "approve"},
        reverse("portal:request_changes", args=[in_review_with_photo.pk]): {"message": "Mine now"},
        reverse("portal:withdraw", args=[in_review_with_photo.pk]): {"where": "everywhere"},
        reverse("portal:withdraw_places", args=[in_review_with_photo.pk]): {"stop": "print"},
        **{
            step_url(in_review_with_photo, step): {}
            for step in ("places", "name", "photo", "until", "check")
        },
    }
    for url, data in posts.items():
        assert lucias.get(url).status_code == (405 if "start" in url else 404), url
        assert lucias.post(url, data).status_code == 404, url
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()


def test_someone_who_is_not_a_storyteller_is_refused(editor, in_review_with_photo):
    client = Client()
    client.force_login(editor)
    assert client.get(reverse("portal:decide", args=[in_review_with_photo.pk])).status_code == 403
    assert client.post(step_url(in_review_with_photo, "check"), {}).status_code == 403


def test_a_tampered_version_is_never_decided_on(amara_client, in_review_with_photo, in_review):
    start = reverse("portal:decide_start", args=[in_review_with_photo.pk])
    waiting = current_review_step(in_review_with_photo).revision
    others = current_review_step(in_review).revision

    another_story = amara_client.post(
        start, {"revision": others.pk, "content_hash": revision_content_hash(others)}
    )
    not_a_number = amara_client.post(start, {"revision": "1 OR 1=1", "content_hash": "x"})
    wrong_hash = amara_client.post(start, {"revision": waiting.pk, "content_hash": "0" * 64})

    assert another_story.status_code == 404
    assert not_a_number.status_code == 404
    assert wrong_hash.status_code == 302
    assert wrong_hash["Location"] == reverse("portal:story", args=[in_review_with_photo.pk])
    assert (
        "sayso_decisions" not in amara_client.session
        or str(in_review_with_photo.pk) not in (amara_client.session["sayso_decisions"])
    )
    assert amara_client.get(step_url(in_review_with_photo, "places")).status_code == 302


def test_sending_the_answers_twice_records_one_decision(amara_client, in_review_with_photo):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for step in ("places", "name", "photo", "until"):
        answer(amara_client, step_url(in_review_with_photo, step))
    check = amara_client.get(step_url(in_review_with_photo, "check"))
    data = page_form(check)

    first = amara_client.post(step_url(in_review_with_photo, "check"), data)
    second = amara_client.post(step_url(in_review_with_photo, "check"), data)

    grant = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    done = reverse("portal:decided", args=[in_review_with_photo.pk, grant.receipt_id])
    assert first.status_code == 302 and first["Location"] == done
    assert second.status_code == 302 and second["Location"] == done


def test_when_the_story_changes_while_she_decides_she_starts_again(
    amara_client, in_review_with_photo, editor
):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    answer(amara_client, step_url(in_review_with_photo, "places"))
    # An autosave rewrites the version she read, under the same id.
    waiting = current_review_step(in_review_with_photo).revision
    waiting.content["body"] = "<p>Words she never saw.</p>"
    waiting.save(update_fields=["content"])

    response = amara_client.get(step_url(in_review_with_photo, "name"), follow=True)

    assert response.redirect_chain[0] == (
        reverse("portal:story", args=[in_review_with_photo.pk]),
        302,
    )
    text = text_of(response)
    assert "Your story changed while you were deciding" in text
    assert "Nothing was recorded." in text
    assert "Words she never saw." in text  # she reads the new words before deciding again
    assert amara_client.get(step_url(in_review_with_photo, "name"))["Location"] == reverse(
        "portal:story", args=[in_review_with_photo.pk]
    )
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()


def test_a_change_between_checking_and_sending_is_caught_under_the_lock(
    amara, in_review_with_photo
):
    revision = current_review_step(in_review_with_photo).revision
    read = revision_content_hash(revision)
    revision.content["title"] = "A title she never saw"
    revision.save(update_fields=["content"])

    with pytest.raises(StoryChanged):
        services.approve_story(
            story=in_review_with_photo,
            revision=revision,
            user=amara.user,
            scope=services.Scope(channels=("website",), byline="pseudonym", image_allowed=True),
            expected_hash=read,
        )
    with pytest.raises(StoryChanged):
        services.request_changes(
            story=in_review_with_photo,
            revision=revision,
            user=amara.user,
            message="x",
            expected_hash=read,
        )
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()


def test_a_new_version_sent_meanwhile_ends_the_old_decision(
    amara_client, in_review_with_photo, editor, review_workflow
):
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "approve")
    for step in ("places", "name", "photo", "until"):
        answer(amara_client, step_url(in_review_with_photo, step))
    check = page_form(amara_client.get(step_url(in_review_with_photo, "check")))
    current_review_step(in_review_with_photo).workflow_state.cancel(user=editor)
    draft = in_review_with_photo.get_latest_revision_as_object()
    draft.summary = "A new summary."
    draft.save_revision(user=editor)
    review_workflow.start(StoryPage.objects.get(pk=in_review_with_photo.pk), editor)

    response = amara_client.post(step_url(in_review_with_photo, "check"), check)

    assert response["Location"] == reverse("portal:story", args=[in_review_with_photo.pk])
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()


def test_asking_for_changes_is_its_own_page_and_records_her_words(
    amara_client, in_review_with_photo
):
    waiting = current_review_step(in_review_with_photo)
    start_deciding(amara_client, in_review_with_photo)
    choose(amara_client, in_review_with_photo, "changes")
    empty = amara_client.post(
        reverse("portal:request_changes", args=[in_review_with_photo.pk]),
        {"message": "<b></b>"},
    )
    assert error_summary(empty) == [
        ("#id_message", "Tell the editors in words what you would like changed.")
    ]

    response = ask_for_changes_in_portal(
        amara_client, in_review_with_photo, "Please leave out the orchard.", follow=True
    )

    entry = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    assert entry.decision == ConsentEntry.Decision.CHANGES_REQUESTED
    assert entry.message == "Please leave out the orchard."
    assert entry.revision_id == waiting.revision_id
    assert "Your answers were sent to the editors" in text_of(response)
    waiting.refresh_from_db()
    assert waiting.status == TaskState.STATUS_REJECTED


def test_decide_offers_only_what_she_can_do_now(amara_client, amara, published_story):
    page = amara_client.get(reverse("portal:decide", args=[published_story.pk]))
    labels = [label.get_text(strip=True) for label in soup_of(page).select(".choice label")]
    assert labels == ["Edit it myself", "Withdraw it"]
    tampered = amara_client.post(
        reverse("portal:decide", args=[published_story.pk]),
        {**page_form(page), "decision": "approve"},
    )
    assert tampered.status_code == 200
    assert error_summary(tampered) == [
        ("#id_decision_0", "Choose one of the answers on this page.")
    ]
    services.withdraw_story(story=published_story, user=amara.user)
    after = amara_client.get(reverse("portal:decide", args=[published_story.pk]))
    assert "There is nothing to decide right now" in text_of(after)


# 5. Withdrawal: everywhere, or only some places.


@pytest.fixture
def in_print_and_online(make_story, amara):
    story = make_story(amara, slug="print-and-web")
    approve(story, amara, channels=("website", "print", "social"))
    story.get_latest_revision().publish()
    return StoryPage.objects.get(pk=story.pk)


def test_stopping_print_keeps_the_website(amara_client, in_print_and_online):
    story = in_print_and_online
    before = ConsentEntry.objects.get(story=story)
    withdraw_url = reverse("portal:withdraw", args=[story.pk])
    page = amara_client.get(withdraw_url)
    assert [label.get_text(strip=True) for label in soup_of(page).select(".choice label")] == [
        "Everywhere — withdraw my story",
        "Only some places — I'll choose which",
    ]
    to_places = amara_client.post(withdraw_url, {**page_form(page), "where": "some"})
    places_url = reverse("portal:withdraw_places", args=[story.pk])
    assert to_places["Location"] == places_url
    places = amara_client.get(places_url)
    offered = [box["value"] for box in soup_of(places).select("input[name=stop]")]
    assert offered == ["print", "social", "website"]

    done = amara_client.post(places_url, {**page_form(places), "stop": ["print"]})

    narrowed = ConsentEntry.objects.filter(story=story).latest("sequence")
    assert narrowed.pk != before.pk
    assert narrowed.decision == ConsentEntry.Decision.GRANTED
    assert narrowed.channels == ["social", "website"]
    assert narrowed.content_hash == before.content_hash
    assert narrowed.revision_id == before.revision_id
    assert done["Location"] == reverse("portal:decided", args=[story.pk, narrowed.receipt_id])
    assert "It may now appear only here: Social media, This website." in text_of(
        amara_client.get(done["Location"])
    )
    assert StoryPage.objects.get(pk=story.pk).live
    assert Client().get(story.url).status_code == 200


def test_stopping_the_website_takes_it_off_the_website_at_once(
    amara_client, in_print_and_online, django_capture_on_commit_callbacks
):
    story = in_print_and_online
    places_url = reverse("portal:withdraw_places", args=[story.pk])
    with django_capture_on_commit_callbacks(execute=True):
        amara_client.post(
            places_url, {**page_form(amara_client.get(places_url)), "stop": ["website"]}
        )

    narrowed = ConsentEntry.objects.filter(story=story).latest("sequence")
    assert narrowed.channels == ["print", "social"]
    assert not StoryPage.objects.get(pk=story.pk).live
    assert Client().get(story.url).status_code == 404


def test_stopping_every_place_is_a_withdrawal_not_a_narrowing(amara_client, in_print_and_online):
    story = in_print_and_online
    places_url = reverse("portal:withdraw_places", args=[story.pk])
    response = amara_client.post(
        places_url,
        {**page_form(amara_client.get(places_url)), "stop": ["print", "social", "website"]},
    )
    assert response.status_code == 200
    [(href, text)] = error_summary(response)
    assert href == "#id_stop_0"
    assert "choose “Everywhere”" in text
    assert ConsentEntry.objects.filter(story=story).count() == 1


def test_withdrawing_everywhere_is_one_choice(amara_client, in_print_and_online):
    story = in_print_and_online
    response = withdraw_in_portal(amara_client, story)
    entry = ConsentEntry.objects.filter(story=story).latest("sequence")
    assert entry.decision == ConsentEntry.Decision.WITHDRAWN
    assert response["Location"] == reverse("portal:decided", args=[story.pk, entry.receipt_id])
    assert Client().get(story.url).status_code == 410
    assert "Your story is withdrawn" in text_of(amara_client.get(response["Location"]))
    # Nothing left to narrow: the places page sends her back to the choice.
    places = reverse("portal:withdraw_places", args=[story.pk])
    assert amara_client.get(places)["Location"] == reverse("portal:withdraw", args=[story.pk])


def test_with_one_place_only_withdrawing_everywhere_is_offered(amara_client, published_story):
    withdraw_url = reverse("portal:withdraw", args=[published_story.pk])
    page = amara_client.get(withdraw_url)
    assert [label.get_text(strip=True) for label in soup_of(page).select(".choice label")] == [
        "Everywhere — withdraw my story"
    ]
    refused = amara_client.post(withdraw_url, {**page_form(page), "where": "some"})
    assert refused.status_code == 200
    assert error_summary(refused) == [("#id_where_0", "Choose one of the answers on this page.")]
    empty = amara_client.post(withdraw_url, {})
    assert error_summary(empty) == [
        ("#id_where_0", "Choose whether to take it down everywhere or only some places.")
    ]
    assert StoryPage.objects.get(pk=published_story.pk).live


def test_narrowing_is_hers_alone_and_never_brings_back_words_she_asked_to_change(
    amara, lucia, in_print_and_online
):
    story = in_print_and_online
    with pytest.raises(NotTheStoryteller):
        services.narrow_consent(story=story, user=lucia.user, stop=["print"])
    for stop in ([], ["press"], ["print", "social", "website"]):
        with pytest.raises(ValueError):
            services.narrow_consent(story=story, user=amara.user, stop=stop)
    grant = ConsentEntry.objects.get(story=story)
    services.request_changes(
        story=story,
        revision=Revision.objects.get(pk=grant.revision_id),
        user=amara.user,
        message="Not these words after all.",
    )

    assert services.places_she_can_stop(story) is None
    with pytest.raises(services.ConsentRequired):
        services.narrow_consent(story=story, user=amara.user, stop=["print"])
    assert list(ConsentEntry.objects.filter(story=story).values_list("decision", flat=True)) == [
        ConsentEntry.Decision.GRANTED,
        ConsentEntry.Decision.CHANGES_REQUESTED,
    ]


# 6. No editing a withdrawn story, by any door.


def test_a_withdrawn_story_cannot_be_edited_by_link_address_or_service(
    amara_client, amara, published_story
):
    services.withdraw_story(story=published_story, user=amara.user)
    story_page = amara_client.get(reverse("portal:story", args=[published_story.pk]))
    edit_url = reverse("portal:edit", args=[published_story.pk])
    assert soup_of(story_page).find("a", href=edit_url) is None
    assert "Edit it myself" not in text_of(story_page)

    opened = amara_client.get(edit_url)
    sent = amara_client.post(
        edit_url, {"title": "Back", "summary": "Back.", "body": "Back.", "channels": "website"}
    )

    assert opened.status_code == 403
    assert sent.status_code == 403
    assert "Your story is withdrawn" in text_of(opened)
    assert "Leave this site" in text_of(opened)  # her own page, with its quick exit
    with pytest.raises(StoryWithdrawn):
        edit_as_storyteller(published_story, amara, "<p>Back.</p>", "Back", "Back.")
    latest = ConsentEntry.objects.filter(story=published_story).latest("sequence")
    assert latest.decision == ConsentEntry.Decision.WITHDRAWN


# 7. Her editor without JavaScript: plain paragraphs, never markup.


def test_the_editor_shows_plain_paragraphs_and_keeps_formatting_she_did_not_touch(
    amara_client, in_review_with_photo
):
    edit_url = reverse("portal:edit", args=[in_review_with_photo.pk])
    page = amara_client.get(edit_url)
    box = soup_of(page).find("textarea", attrs={"name": "body"})
    assert box.get_text().strip() == "They took my passport at the orchard gate."
    assert "<p" not in box.get_text() and "data-block-key" not in box.get_text()
    assert soup_of(page).find("input", attrs={"name": "body_format"})["value"] == "text"

    unanswered = amara_client.post(edit_url, page_form(page))
    assert unanswered.status_code == 200  # the photo question, never a refusal
    assert "Choose whether readers see your photo, blurred or not." in text_of(unanswered)
    saved = amara_client.post(edit_url, {**page_form(page), "image_allowed": ["yes"]})
    assert saved.status_code == 302

    mine = StoryPage.objects.get(pk=in_review_with_photo.pk).get_latest_revision_as_object()
    assert re.sub(r' data-block-key="\w+"', "", mine.body) == (
        "<p>They took my <b>passport</b> at the orchard gate.</p>"
    )


def test_plain_paragraphs_she_types_are_stored_safely_as_paragraphs(
    amara_client, in_review_with_photo
):
    edit_url = reverse("portal:edit", args=[in_review_with_photo.pk])
    data = page_form(amara_client.get(edit_url))
    data["image_allowed"] = ["yes"]
    data["body"] = [
        "First they took my passport.\r\n\r\n<script>alert(1)</script> & more\r\nsame paragraph"
        "\r\n\r\n- the gate\r\n- the orchard"
    ]

    response = amara_client.post(edit_url, data)

    assert response.status_code == 302
    mine = StoryPage.objects.get(pk=in_review_with_photo.pk).get_latest_revision_as_object()
    assert re.sub(r' data-block-key="\w+"', "", mine.body) == (
        "<p>First they took my passport.</p>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more<br/>same paragraph</p>"
        "<ul><li>the gate</li><li>the orchard</li></ul>"
    )
    assert story_html_to_text(mine.body).startswith("First they took my passport.")


def test_the_formatting_editor_sends_formatted_text_which_is_cleaned(
    amara_client, in_review_with_photo
):
    edit_url = reverse("portal:edit", args=[in_review_with_photo.pk])
    data = page_form(amara_client.get(edit_url))
    data["body_format"] = ["html"]
    data["image_allowed"] = ["yes"]
    data["body"] = ['<p>I <strong>chose</strong> <img src=x onerror="alert(1)">these.</p>']

    amara_client.post(edit_url, data)

    mine = StoryPage.objects.get(pk=in_review_with_photo.pk).get_latest_revision_as_object()
    assert re.sub(r' data-block-key="\w+"', "", mine.body) == "<p>I <b>chose</b> these.</p>"


# 8. Her own edit follows her choices about the photo and her name: never a refusal.


@pytest.mark.parametrize(
    ("shown_as", "byline", "image", "blurred", "named"),
    [
        ("no", "pseudonym", False, False, "pseudonym"),
        ("blurred", "pseudonym", True, True, "pseudonym"),
        ("yes", "anonymous", True, False, "anonymous"),
    ],
)
def test_her_edit_takes_out_blurs_or_keeps_the_photo_and_names_her_as_she_chose(
    amara_client, in_review_with_photo, shown_as, byline, image, blurred, named
):
    edit_url = reverse("portal:edit", args=[in_review_with_photo.pk])
    page = amara_client.get(edit_url)
    labels = [
        label.get_text(strip=True)
        for label in soup_of(page).select("fieldset:has(input[name=image_allowed]) label")
    ]
    assert labels == [
        "Show my photo",
        "Show my photo blurred, so no one can recognise me",
        "Don't show my photo",
    ]

    response = amara_client.post(
        edit_url, {**page_form(page), "image_allowed": [shown_as], "byline": [byline]}
    )

    assert response.status_code == 302  # never a 403
    grant = ConsentEntry.objects.get(story_id=in_review_with_photo.pk)
    mine = Revision.objects.get(pk=grant.revision_id).as_object()
    assert bool(mine.image_id) is image
    assert mine.image_blurred is blurred
    assert mine.byline_kind == named
    assert grant.image_allowed is image
    assert grant.byline == named
    assert grant.content_hash == revision_content_hash(Revision.objects.get(pk=grant.revision_id))


def test_her_first_name_is_never_guessed(amara_client, in_review_with_photo):
    edit_url = reverse("portal:edit", args=[in_review_with_photo.pk])
    page = amara_client.get(edit_url)

    response = amara_client.post(
        edit_url, {**page_form(page), "image_allowed": ["yes"], "byline": ["first_name"]}
    )

    assert response.status_code == 200
    assert "This version doesn't have your first name" in text_of(response)
    assert not ConsentEntry.objects.filter(story_id=in_review_with_photo.pk).exists()

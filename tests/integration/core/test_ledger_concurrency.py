"""Every ledger serialises appends under contention, and a busy database never costs a decision.

Real connections: each thread has its own, and the interleaving is forced with barriers and
events, never with sleeps. The same tests run on SQLite (BEGIN IMMEDIATE) and PostgreSQL
(the head row locked FOR UPDATE).
"""

import logging
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from compensation import services as money_services
from compensation.models import Agreement, CompensationResponse, Payment, PaymentMethod
from consent import services
from consent.ledger import verify_chain as verify_consent
from consent.models import ConsentEntry
from core.ledger import lock_head, verify_chain
from core.models import LedgerHead
from stories.models import StoryPage

from tests import portal_flow as flow
from tests.conftest import approve, make_storyteller
from tests.integration.portal.test_portal import form_data, text_of
from tests.money import pay

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WRITERS = 8
WAIT = 60  # seconds; a generous ceiling that only a hung test reaches


def run_together(count, work):
    """Run work(i) in `count` threads released at once; return the errors they raised."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait(WAIT)
            work(i)
        except Exception as error:  # noqa: BLE001 - the test reports every failure
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def assert_ledger_whole(model, expected_count):
    problems, count = verify_chain(model)
    assert problems == []
    assert count == expected_count
    sequences = list(model.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, expected_count + 1))
    head = LedgerHead.objects.get(ledger=model._meta.label_lower)
    newest = model.objects.order_by("-sequence").first()
    assert (head.sequence, head.count, head.head_hash) == (
        expected_count,
        expected_count,
        newest.entry_hash,
    )


@pytest.fixture
def paid_story(make_story, amara, editor):
    story = make_story(amara, slug="paid")
    agreement = story.agreements.get()
    return story, agreement


def append_consent(story, storyteller):
    def work(i):
        services.request_changes(
            story=story,
            revision=story.get_latest_revision(),
            user=storyteller.user,
            message=f"Change number {i}.",
        )

    return work


def append_payment(agreement, editor):
    def work(i):
        pay(agreement, editor, "1.00", method=PaymentMethod.BANK_TRANSFER, reference=f"TX-{i}")

    return work


def append_answer(agreement, storyteller):
    def work(i):
        money_services.confirm_agreement(agreement=agreement, user=storyteller.user)

    return work


LEDGERS = {
    "consent": (ConsentEntry, lambda story, agreement, amara, editor: append_consent(story, amara)),
    "payments": (
        Payment,
        lambda story, agreement, amara, editor: append_payment(agreement, editor),
    ),
    "answers": (
        CompensationResponse,
        lambda story, agreement, amara, editor: append_answer(agreement, amara),
    ),
}


@pytest.mark.parametrize("ledger", LEDGERS)
def test_concurrent_appends_to_each_ledger_are_all_recorded_in_one_chain(
    ledger, paid_story, amara, editor
):
    model, make_work = LEDGERS[ledger]
    story, agreement = paid_story
    before = model.objects.count()

    errors = run_together(WRITERS, make_work(story, agreement, amara, editor))

    assert errors == []
    assert_ledger_whole(model, before + WRITERS)


@pytest.mark.parametrize("ledger", LEDGERS)
def test_an_empty_ledger_without_a_head_serialises_its_first_appends(
    ledger, paid_story, amara, editor
):
    model, make_work = LEDGERS[ledger]
    story, agreement = paid_story
    assert model.objects.count() == 0
    # As after a database was emptied: no head row yet, nothing to lock.
    LedgerHead.objects.filter(ledger=model._meta.label_lower).delete()

    errors = run_together(WRITERS, make_work(story, agreement, amara, editor))

    assert errors == []
    assert LedgerHead.objects.filter(ledger=model._meta.label_lower).count() == 1
    assert_ledger_whole(model, WRITERS)


# -- The portal: eight storytellers withdraw at the same moment --------------------------------


def test_eight_storytellers_withdrawing_at_once_all_succeed_through_the_portal(make_story):
    stories, clients = [], []
    for i in range(WRITERS):
        storyteller = make_storyteller(f"Teller {i}", f"teller{i}")
        story = make_story(storyteller, slug=f"story-{i}", title=f"Story {i}")
        approve(story, storyteller)
        story.get_latest_revision().publish()
        client = Client()
        client.force_login(storyteller.user)
        stories.append(StoryPage.objects.get(pk=story.pk))
        clients.append(client)
    urls = [story.url for story in stories]
    assert [Client().get(url).status_code for url in urls] == [200] * WRITERS
    responses = [None] * WRITERS

    def withdraw(i):
        responses[i] = clients[i].post(
            reverse("portal:withdraw", args=[stories[i].pk]), {"where": "everywhere"}
        )

    errors = run_together(WRITERS, withdraw)

    assert errors == []
    assert [response.status_code for response in responses] == [302] * WRITERS
    withdrawals = ConsentEntry.objects.filter(decision=ConsentEntry.Decision.WITHDRAWN)
    assert sorted(withdrawals.values_list("story_id", flat=True)) == sorted(s.pk for s in stories)
    assert [
        response["Location"] == reverse("portal:decided", args=[entry.story_id, entry.receipt_id])
        for response, entry in zip(
            responses, [withdrawals.get(story=story) for story in stories], strict=True
        )
    ] == [True] * WRITERS
    assert not StoryPage.objects.filter(pk__in=[s.pk for s in stories], live=True).exists()
    assert [Client().get(url).status_code for url in urls] == [410] * WRITERS
    assert verify_consent()[0] == []


# -- A database that stays busy: "please try again", never a 500 --------------------------------


class _GaveUp(logging.Handler):
    """Runs in the request's thread when the retry gives up, before the page is answered."""

    def __init__(self, gave_up, released):
        super().__init__(level=logging.WARNING)
        self.gave_up, self.released = gave_up, released

    def emit(self, record):
        if "gave up" in record.getMessage():
            self.gave_up.set()
            # The rest of the request (its session) needs the database: let the holder go.
            assert self.released.wait(WAIT)


@pytest.fixture
def ledger_held_until_retries_give_up():
    """Another connection holds every ledger's lock until the decision gives up."""
    held, gave_up, released = threading.Event(), threading.Event(), threading.Event()
    handler = _GaveUp(gave_up, released)
    logging.getLogger("core.db").addHandler(handler)

    def hold():
        try:
            # On SQLite the transaction itself takes the write lock (BEGIN IMMEDIATE).
            with transaction.atomic():
                for model in (ConsentEntry, Payment, CompensationResponse):
                    lock_head(model)
                held.set()
                gave_up.wait(WAIT)
        finally:
            connection.close()
            released.set()

    holder = threading.Thread(target=hold)

    def start():
        holder.start()
        assert held.wait(WAIT)

    yield start
    gave_up.set()
    holder.join(WAIT)
    logging.getLogger("core.db").removeHandler(handler)
    assert gave_up.is_set()


@pytest.fixture
def short_waits():
    """Each attempt waits a tenth of a second for the lock instead of ten."""
    with override_settings(SAYSO_LEDGER_LOCK_TIMEOUT=0.1):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 100")
        yield
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 20000")


def test_a_withdrawal_the_database_is_too_busy_for_gets_try_again_not_an_error(
    published_story, amara, ledger_held_until_retries_give_up, short_waits
):
    client = Client()
    client.force_login(amara.user)
    url = reverse("portal:withdraw", args=[published_story.pk])
    entries_before = ConsentEntry.objects.count()
    ledger_held_until_retries_give_up()

    busy = client.post(url, {"where": "everywhere"})

    assert busy.status_code == 503
    assert busy["Retry-After"] == "2"
    text = text_of(busy)
    assert "That didn't go through — please try again" in text
    assert "Leave this site" in text  # her own portal page, with its quick exit
    assert ConsentEntry.objects.count() == entries_before
    assert StoryPage.objects.get(pk=published_story.pk).live

    again = client.post(url, {"where": "everywhere"})

    assert again.status_code == 302
    assert not StoryPage.objects.get(pk=published_story.pk).live
    assert Client().get(published_story.url).status_code == 410


@pytest.fixture
def story_in_review(make_story, amara, review_workflow, editor):
    story = make_story(amara, slug="in-review", body="<p>At the orchard gate.</p>")
    review_workflow.start(story, editor)
    return StoryPage.objects.get(pk=story.pk)


def _story_form(client, story, view):
    """The last page of her decision, reached the way she reaches it, and what it sends."""
    if view == "edit":
        url = reverse("portal:edit", args=[story.pk])
        data = form_data(client.get(url))
        data["body_format"] = ["html"]
        data["body"] = ["<p>They took my passport at the orchard gate, in my words.</p>"]
        return url, data
    flow.start_deciding(client, story)
    if view == "request_changes":
        flow.choose(client, story, "changes")
        url = reverse("portal:request_changes", args=[story.pk])
        data = form_data(client.get(url))
        data["message"] = ["Please leave out the orchard."]
        return url, data
    flow.choose(client, story, "approve")
    for step in ("places", "name", "until"):
        flow.answer(client, reverse(f"portal:approve_{step}", args=[story.pk]))
    url = reverse("portal:approve_check", args=[story.pk])
    return url, form_data(client.get(url))


def _payment_form(client, story, view, editor):
    agreement = story.agreements.get()
    if view == "payments_confirm_agreement":
        return reverse(f"portal:{view}", args=[agreement.public_id]), {}
    if view == "payments_agreement_choice":
        return reverse(f"portal:{view}", args=[agreement.public_id]), {"paid": "no"}
    append_payment(agreement, editor)(0)
    payment = Payment.objects.get(agreement=agreement)
    return reverse(f"portal:{view}", args=[payment.receipt_id]), {}


DECISION_VIEWS = [
    "approve_check",
    "request_changes",
    "edit",
    "payments_confirm_agreement",
    "payments_agreement_choice",
    "payments_received",
]


@pytest.mark.parametrize("view", DECISION_VIEWS)
def test_every_portal_decision_the_database_is_too_busy_for_gets_try_again(
    view, story_in_review, amara, editor, ledger_held_until_retries_give_up, short_waits
):
    in_review = story_in_review
    client = Client()
    client.force_login(amara.user)
    if view.startswith("payments_"):
        url, data = _payment_form(client, in_review, view, editor)
    else:
        url, data = _story_form(client, in_review, view)
    ledgers = (ConsentEntry, Payment, CompensationResponse)
    before = [model.objects.count() for model in ledgers]
    ledger_held_until_retries_give_up()

    busy = client.post(url, data)

    assert busy.status_code == 503
    assert "That didn't go through — please try again" in text_of(busy)
    assert [model.objects.count() for model in ledgers] == before

    again = client.post(url, data)

    assert again.status_code == 302
    assert sum(model.objects.count() for model in ledgers) == sum(before) + 1


# -- Money rules are checked under the payments ledger's lock ----------------------------------


@pytest.mark.parametrize(
    ("first", "refusal"),
    [
        ("decline", ["Amara chose not to be paid for this."]),
        ("pay", ["Money was already paid for this. Talk with the editors about it."]),
    ],
    ids=[
        "a payment racing her choice not to be paid",
        "her choice not to be paid racing a payment",
    ],
)
def test_of_a_payment_and_her_choice_not_to_be_paid_racing_the_second_is_refused(
    first, refusal, paid_story, amara, editor
):
    story, agreement = paid_story
    actions = {
        "decline": (
            CompensationResponse,
            lambda: money_services.choose_not_to_be_paid(
                storyteller=amara, agreement=agreement, user=amara.user
            ),
        ),
        "pay": (Payment, lambda: append_payment(agreement, editor)(0)),
    }
    (second,) = set(actions) - {first}
    first_ledger, do_first = actions[first]
    checked, second_started = threading.Event(), threading.Event()
    outcome = {}
    original_check = first_ledger.check_before_append

    def check_then_wait(entry):
        original_check(entry)
        # The first has passed its checks and holds the payments ledger's lock; now the second.
        checked.set()
        assert second_started.wait(WAIT)

    def run_first():
        try:
            do_first()
            outcome[first] = "done"
        finally:
            connection.close()

    def run_second():
        try:
            assert checked.wait(WAIT)
            second_started.set()
            actions[second][1]()
        except ValidationError as refused:
            outcome[second] = refused.messages
        finally:
            connection.close()

    first_ledger.check_before_append = check_then_wait
    try:
        threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
    finally:
        first_ledger.check_before_append = original_check

    assert outcome == {first: "done", second: refusal}
    assert Payment.objects.filter(agreement=agreement).exists() == (first == "pay")
    assert Agreement.objects.get(pk=agreement.pk).is_declined() == (first == "decline")


def test_two_corrections_at_once_cannot_take_back_more_than_was_paid(paid_story, editor):
    story, agreement = paid_story
    append_payment(agreement, editor)(0)
    payment = Payment.objects.get()
    refusals = []

    def correct(i):
        try:
            money_services.reverse_payment(
                payment=payment, amount=Decimal("1.00"), reason="Sent twice", recorded_by=editor
            )
        except ValidationError as refusal:
            refusals.append(refusal.messages)

    errors = run_together(WRITERS, correct)

    assert errors == []
    assert Payment.objects.filter(kind=Payment.Kind.REVERSAL).count() == 1
    assert len(refusals) == WRITERS - 1
    assert_ledger_whole(Payment, 2)

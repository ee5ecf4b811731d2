"""Compensation: every storyteller paid for their work, and able to see it.

Agreements say what is owed; an append-only, hash-chained ledger says what was paid;
balances are agreed − paid in each currency, never mixed. Storytellers see their own in the
portal and answer "I received this" or "Something's wrong". A story is published only once
payment for it is agreed or its storyteller chose not to be paid, through every door, and
withdrawing a story never cancels what is owed.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import ModelLogEntry

from compensation import selectors, services
from compensation.balances import Balance, per_currency
from compensation.models import (
    Agreement,
    CompensationResponse,
    CompensationSettings,
    Payment,
    PaymentMethod,
    PaymentPreference,
    Work,
    today,
)
from compensation.money import minor_units
from consent import services as consent_services
from consent.exceptions import ConsentRequired, NotTheStoryteller
from consent.models import Notification
from core.crypto import encrypt
from core.exceptions import LedgerIsAppendOnly
from stories.models import StoryPage

from tests.conftest import STORY_FEE, approve, publish_scheduled
from tests.integration.consent.test_publish_doors import (
    api_client,
    bulk_publish_url,
    click_publish,
    edit_url,
    is_live,
    schedule,
    sign_off,
    submit_for_review,
)
from tests.integration.consent.test_publish_doors import text_of as admin_text
from tests.integration.portal.test_portal import signed_in
from tests.integration.portal.test_portal import text_of as portal_text
from tests.money import agree, pay

pytestmark = pytest.mark.django_db

NO_PAYMENT_FOR_AMARA = (
    "No payment is agreed with Amara for this story yet. Record an agreement for it, "
    "or Amara can choose not to be paid."
)
CURRENCIES = ["GBP", "EUR", "JPY", "KWD", "NGN"]


def in_currency(minor, currency):
    """An amount given in the currency's smallest unit (pence, yen, fils) as a Decimal."""
    return Decimal(minor).scaleb(-minor_units(currency))


def reload_agreement(agreement):
    return selectors.with_answers(Agreement.objects.filter(pk=agreement.pk)).get()


@pytest.fixture
def amaras_agreement(make_story, amara):
    """The agreement recorded with Amara's story: £150 for telling it."""
    story = make_story(amara, slug="amaras-paid-story", title="The harbour at night")
    return story.agreements.get()


# -- 1. balances: agreed − paid, per currency, never mixed -----------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 20), st.integers(1, 60_000)),
        st.tuples(st.just("correct"), st.integers(0, 60), st.integers(1, 60_000)),
    ),
    max_size=20,
)
TERMS = st.lists(
    st.tuples(st.sampled_from(CURRENCIES), st.integers(1, 100_000)), min_size=1, max_size=4
)
DB_EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@DB_EXAMPLES
@given(terms=TERMS, steps=STEPS)
def test_any_payments_and_corrections_leave_agreed_minus_paid_in_each_currency(
    amara, editor, terms, steps
):
    with transaction.atomic():
        agreements = [agree(amara, editor, in_currency(n, c), c) for c, n in terms]
        paid = {agreement.pk: Decimal(0) for agreement in agreements}
        payments = []  # [payment, what is left of it to take back]
        for step, index, minor in steps:
            if step == "pay":
                agreement = agreements[index % len(agreements)]
                amount = in_currency(minor, agreement.currency)
                payments.append([pay(agreement, editor, amount), amount])
                paid[agreement.pk] += amount
            elif payments:
                entry = payments[index % len(payments)]
                payment, left = entry
                amount = in_currency(minor, payment.currency)
                if amount <= left:
                    services.reverse_payment(
                        payment=payment, amount=amount, reason="Typed wrong", recorded_by=editor
                    )
                    entry[1] -= amount
                    paid[payment.agreement_id] -= amount
                else:
                    with pytest.raises(ValidationError, match="more than is left"):
                        services.reverse_payment(
                            payment=payment, amount=amount, reason="Too much", recorded_by=editor
                        )

        fresh = list(selectors.agreements_of(amara))
        expected_owed = {}
        for agreement in fresh:
            balance = agreement.balance()
            assert balance.currency == agreement.currency
            assert balance.paid == paid[agreement.pk]
            assert balance.owed == agreement.total - paid[agreement.pk]
            assert balance.overpaid == (paid[agreement.pk] > agreement.total)
            expected_owed[agreement.currency] = (
                expected_owed.get(agreement.currency, Decimal(0)) + balance.owed
            )
        balances = selectors.balances_of(fresh)
        assert [b.currency for b in balances] == sorted(expected_owed)  # one line per currency
        assert {b.currency: b.owed for b in balances} == expected_owed
        for payment, left in payments:
            assert payment.reversible_amount() == left >= 0
        transaction.set_rollback(True)


@DB_EXAMPLES
@given(
    paid_minor=st.integers(1, 100_000),
    attempts=st.lists(st.integers(1, 120_000), min_size=1, max_size=12),
)
def test_corrections_never_take_back_more_than_their_payment(amara, editor, paid_minor, attempts):
    with transaction.atomic():
        agreement = agree(amara, editor, "1000.00")
        payment = pay(agreement, editor, in_currency(paid_minor, "GBP"))
        left = payment.amount
        for minor in attempts:
            amount = in_currency(minor, "GBP")
            if amount <= left:
                correction = services.reverse_payment(
                    payment=payment, amount=amount, reason="Corrected", recorded_by=editor
                )
                assert correction.signed_amount == -amount
                left -= amount
            else:
                with pytest.raises(ValidationError):
                    services.reverse_payment(
                        payment=payment, amount=amount, reason="Corrected", recorded_by=editor
                    )
        taken = sum((c.amount for c in Payment.objects.filter(reverses=payment)), Decimal(0))
        assert taken <= payment.amount
        assert reload_agreement(agreement).balance().paid == payment.amount - taken == left
        transaction.set_rollback(True)


@settings(database=None)
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(CURRENCIES),
            st.decimals(min_value=0, max_value=10**6, places=2),
            st.decimals(min_value=0, max_value=10**6, places=2),
        ),
        max_size=30,
    )
)
def test_balances_add_up_currency_by_currency(entries):
    balances = per_currency(Balance(c, agreed, paid) for c, agreed, paid in entries)

    for balance in balances:
        mine = [(a, p) for c, a, p in entries if c == balance.currency]
        assert balance.agreed == sum((a for a, _ in mine), Decimal(0))
        assert balance.paid == sum((p for _, p in mine), Decimal(0))
        assert balance.owed == balance.agreed - balance.paid
    assert [b.currency for b in balances] == sorted({c for c, _, _ in entries})


def test_amounts_in_different_currencies_are_never_added_together():
    with pytest.raises(ValueError, match="never added together"):
        Balance("GBP", Decimal("10")) + Balance("EUR", Decimal("10"))


def test_an_hourly_agreement_owes_rate_times_hours_rounded_to_the_currency(amara, editor):
    agreement = agree(
        amara, editor, "12.345", "KWD", basis=Agreement.Basis.HOURLY, hours=Decimal("2.5")
    )
    yen = agree(amara, editor, "3333", "JPY", basis=Agreement.Basis.HOURLY, hours=Decimal("1.5"))

    assert agreement.total == Decimal("30.863")  # 30.8625, half up, to the fils
    assert yen.total == Decimal("5000")  # 4999.5 yen, half up: yen have no smaller unit


def test_an_agreement_refuses_amounts_finer_than_the_currency_and_unknown_currencies(amara, editor):
    with pytest.raises(ValidationError, match="at most 0 decimal places"):
        agree(amara, editor, "10.50", "JPY")
    with pytest.raises(ValidationError, match="three-letter code"):
        agree(amara, editor, "10.00", "XYZ")
    with pytest.raises(ValidationError, match="above zero"):
        agree(amara, editor, "0", "GBP")
    assert not Agreement.objects.exists()


def test_a_payment_is_recorded_in_its_agreements_currency_and_overpayment_is_flagged(
    amaras_agreement, editor
):
    pay(amaras_agreement, editor, "100.00")
    pay(amaras_agreement, editor, "80.00")

    balance = reload_agreement(amaras_agreement).balance()
    currencies = Payment.objects.filter(agreement=amaras_agreement).values_list("currency")
    assert set(currencies) == {("GBP",)}
    assert balance.owed == Decimal("-30.00")
    assert balance.overpaid and balance.overpaid_by == Decimal("30.00")
    assert reload_agreement(amaras_agreement).status() == "overpaid"


# -- 2. the payments ledger is append-only and tamper-evident --------------------------------


@pytest.fixture
def ledger(amaras_agreement, editor, amara):
    first = pay(amaras_agreement, editor, "50.00", reference="TX-1")
    second = pay(amaras_agreement, editor, "40.00", reference="TX-2")
    correction = services.reverse_payment(
        payment=second, amount=Decimal("40.00"), reason="Sent twice", recorded_by=editor
    )
    received = services.confirm_received(payment=first, user=amara.user)
    problem = services.report_problem(payment=second, user=amara.user, message="Never came.")
    return {
        "payments": [first, second, correction],
        "answers": [received, problem],
    }


def run_verify_ledger():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError as failure:
        return False, str(failure), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def test_payments_and_answers_cannot_be_changed_or_deleted_by_the_application(ledger):
    payment = ledger["payments"][0]
    answer = ledger["answers"][0]
    for entry, model in ((payment, Payment), (answer, CompensationResponse)):
        with pytest.raises(LedgerIsAppendOnly):
            model.objects.filter(pk=entry.pk).update(created_at=timezone.now())
        with pytest.raises(LedgerIsAppendOnly):
            model.objects.filter(pk=entry.pk).delete()
        with pytest.raises(LedgerIsAppendOnly):
            model.objects.bulk_create([model()])
        with pytest.raises(LedgerIsAppendOnly):
            entry.save()
        with pytest.raises(LedgerIsAppendOnly):
            entry.delete()
    payment.refresh_from_db()
    assert payment.amount == Decimal("50.000")
    assert Payment.objects.count() == 3 and CompensationResponse.objects.count() == 2


def test_verify_ledger_passes_on_intact_payment_ledgers(ledger):
    ok, out, _err = run_verify_ledger()

    assert ok
    assert "The payments ledger is intact: 3 entries." in out
    assert "The ledger of storytellers' answers is intact: 2 entries." in out


def test_verify_ledger_finds_a_payment_amount_changed_in_sql(ledger):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_payment SET amount = %s WHERE sequence = %s", ["5000.000", 1]
        )

    ok, message, err = run_verify_ledger()

    assert not ok
    assert "The payments ledger failed verification" in message
    assert "Payment 1: its contents were changed after recording." in err


def test_verify_ledger_finds_a_payment_deleted_in_sql(amaras_agreement, editor):
    for amount in ("10.00", "20.00", "30.00"):
        pay(amaras_agreement, editor, amount)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compensation_payment WHERE sequence = %s", [2])

    ok, message, err = run_verify_ledger()

    assert not ok
    assert "The payments ledger failed verification" in message
    assert "Payment 3: expected sequence 2 (a row is missing)." in err
    assert "Payment 3: does not link to the entry before it." in err


def test_verify_ledger_finds_a_storytellers_answer_rewritten_in_sql(ledger):
    problem = ledger["answers"][1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_compensationresponse SET message = %s WHERE id = %s",
            [encrypt("It arrived, all fine."), problem.pk],
        )

    ok, message, err = run_verify_ledger()

    assert not ok
    assert "The ledger of storytellers' answers failed verification" in message
    assert f"{problem.sequence}: its contents were changed after recording." in err


def test_a_storytellers_message_is_stored_encrypted(ledger):
    problem = ledger["answers"][1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT message FROM compensation_compensationresponse WHERE id = %s", [problem.pk]
        )
        stored = cursor.fetchone()[0]

    assert "Never came" not in stored
    assert CompensationResponse.objects.get(pk=problem.pk).message == "Never came."


# -- 3. "My payments" in the portal ----------------------------------------------------------


def test_my_payments_shows_what_was_agreed_paid_and_still_owed_in_plain_words(
    amaras_agreement, amara, editor
):
    pay(amaras_agreement, editor, "100.00", reference="MM-20931")
    agree(amara, editor, "20000", "NGN", description="Panel at the spring event")

    page = signed_in(amara).get(reverse("portal:payments"))

    text = portal_text(page)
    assert page.status_code == 200
    assert "Still owed to you £50.00 NGN 20,000.00" in text  # each currency on its own line
    assert "Telling a story: “The harbour at night” Agreed £150.00" in text
    assert "Paid so far £100.00 Still owed £50.00" in text
    assert "£100.00 paid on" in text and "by mobile money · reference MM-20931" in text
    assert "Speaking: Panel at the spring event" in text
    assert "Taking a story down never changes what you are owed." in text


def test_a_storyteller_sees_only_their_own_agreements_and_payments(
    amaras_agreement, amara, lucia, editor, make_story
):
    pay(amaras_agreement, editor, "100.00", reference="AMARA-ONLY-77")
    lucias = make_story(lucia, slug="lucias-story", title="Lucía at the market").agreements.get()
    pay(lucias, editor, "25.00", reference="LUCIA-ONLY-12")

    amaras_page = portal_text(signed_in(amara).get(reverse("portal:payments")))
    lucias_page = portal_text(signed_in(lucia).get(reverse("portal:payments")))

    assert "AMARA-ONLY-77" in amaras_page and "LUCIA-ONLY-12" not in amaras_page
    assert "LUCIA-ONLY-12" in lucias_page and "AMARA-ONLY-77" not in lucias_page
    assert "The harbour at night" not in lucias_page
    # ...and by address, nothing of one is reachable by the other
    # (tests/integration/portal/test_portal.py
    # walks every portal route as every other kind of visitor, these included).
    payment = Payment.objects.get(reference="AMARA-ONLY-77")
    lucia_client = signed_in(lucia)
    received = reverse("portal:payments_received", args=[payment.receipt_id])
    problem = reverse("portal:payments_problem", args=[payment.receipt_id])
    assert lucia_client.post(received).status_code == 404
    assert lucia_client.get(problem).status_code == 404
    assert not CompensationResponse.objects.exists()


def test_i_received_this_is_recorded_and_shown(amaras_agreement, amara, editor):
    payment = pay(amaras_agreement, editor, "150.00")
    client = signed_in(amara)

    done = client.post(reverse("portal:payments_received", args=[payment.receipt_id]), follow=True)

    answer = CompensationResponse.objects.get()
    assert (answer.response, answer.payment, answer.storyteller) == ("received", payment, amara)
    assert "You told us this payment reached you." in portal_text(done)
    assert "that this reached you." in portal_text(done)
    assert reload_agreement(amaras_agreement).status() == "paid"


def test_somethings_wrong_tells_the_editors_without_repeating_the_message(
    amaras_agreement, amara, editor, django_capture_on_commit_callbacks
):
    payment = pay(amaras_agreement, editor, "150.00")
    editor.email = "editor@example.org"
    editor.save()
    client = signed_in(amara)
    url = reverse("portal:payments_problem", args=[payment.receipt_id])

    empty = client.post(url, {"message": "  "})
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"message": "It went to my old number, 07700 900123."}, follow=True)

    assert "Tell us what's wrong, in your own words." in portal_text(empty)
    assert "Your message was sent to the editors." in portal_text(sent)
    assert "something's wrong" in portal_text(sent)
    answer = CompensationResponse.objects.get()
    assert answer.response == "problem" and "old number" in answer.message
    note = Notification.objects.get(recipient=editor)
    assert note.kind == Notification.Kind.PAYMENT_PROBLEM and note.storyteller == amara
    (email,) = mail.outbox
    assert "Amara says something is wrong with a payment." in email.body
    assert "07700" not in email.body and "old number" not in email.body
    assert "harbour" not in (email.subject + email.body).lower()
    assert reload_agreement(amaras_agreement).status() == "disputed"


def test_confirming_an_agreement_holds_for_the_terms_read_and_not_for_changed_ones(
    amaras_agreement, amara, editor, client
):
    portal = signed_in(amara)
    confirmed = portal.post(
        reverse("portal:payments_confirm_agreement", args=[amaras_agreement.public_id]),
        follow=True,
    )
    assert "You confirmed this on" in portal_text(confirmed)
    assert reload_agreement(amaras_agreement).confirmation() is not None

    client.force_login(editor)
    edit = reverse("compensation_agreements:edit", args=[amaras_agreement.pk])
    form = BeautifulSoup(client.get(edit).content, "html.parser")
    assert form.select_one("[name=amount]") is not None
    client.post(
        edit,
        {
            "storyteller": amara.pk,
            "work": Work.STORY,
            "story": amaras_agreement.story_id,
            "description": "",
            "basis": "flat",
            "amount": "120.00",
            "currency": "GBP",
            "hours": "",
            "agreed_on": amaras_agreement.agreed_on.isoformat(),
            "agreed_by": editor.pk,
            # Lowering what was agreed is a correction she reads, so it needs a reason.
            "change_reason": "We agreed £120 in the end.",
        },
    )

    assert reload_agreement(amaras_agreement).total == Decimal("120.00")
    assert reload_agreement(amaras_agreement).confirmation() is None
    assert "Please check these details." in portal_text(portal.get(reverse("portal:payments")))


def test_a_storyteller_chooses_not_to_be_paid_for_a_story_and_can_change_their_mind(
    make_story, amara
):
    story = make_story(amara, slug="unpaid", agreement=False, title="The quiet years")
    portal = signed_in(amara)
    choice = reverse("portal:payments_story_choice", args=[story.pk])
    page = portal_text(portal.get(reverse("portal:payments")))
    assert "Stories with no payment agreed yet The quiet years" in page

    refused = portal.post(choice, {})
    declined = portal.post(choice, {"paid": "no"}, follow=True)

    assert "Choose one of the two answers." in portal_text(refused)
    assert "You chose not to be paid for this story." in portal_text(declined)
    assert selectors.agreed_or_declined(story.pk, amara.pk)

    portal.post(choice, {"paid": "yes"})

    assert not selectors.agreed_or_declined(story.pk, amara.pk)
    answers = CompensationResponse.objects.filter(story_id=story.pk).order_by("sequence")
    assert [a.response for a in answers] == ["declined", "wants_payment"]
    assert all(a.method == "portal" for a in answers)


def test_choosing_not_to_be_paid_is_refused_once_money_was_paid(amaras_agreement, amara, editor):
    pay(amaras_agreement, editor, "10.00")
    portal = signed_in(amara)

    page = portal_text(portal.get(reverse("portal:payments")))
    refused = portal.post(
        reverse("portal:payments_agreement_choice", args=[amaras_agreement.public_id]),
        {"paid": "no"},
    )

    assert "I would rather not be paid for this" not in page
    assert "Money was already paid for this." in portal_text(refused)
    assert not reload_agreement(amaras_agreement).is_declined()


def test_no_payment_is_recorded_against_an_agreement_its_storyteller_declined(
    amaras_agreement, amara, editor
):
    services.choose_not_to_be_paid(storyteller=amara, agreement=amaras_agreement, user=amara.user)

    with pytest.raises(ValidationError, match="Amara chose not to be paid for this."):
        pay(amaras_agreement, editor, "10.00")
    balance = reload_agreement(amaras_agreement).balance()
    assert (balance.agreed, balance.paid, balance.owed) == (0, 0, 0)


def test_only_the_storyteller_answers_for_themselves(amaras_agreement, lucia, editor):
    payment = pay(amaras_agreement, editor, "10.00")

    with pytest.raises(NotTheStoryteller):
        services.confirm_received(payment=payment, user=lucia.user)
    with pytest.raises(NotTheStoryteller):
        services.confirm_agreement(agreement=amaras_agreement, user=editor)
    assert not CompensationResponse.objects.exists()


def test_withdrawing_a_story_never_cancels_what_is_owed(make_story, amara, editor, client):
    story = make_story(amara, slug="withdrawn-later", title="The long walk")
    approve(story, amara)
    story.get_latest_revision().publish()
    agreement = story.agreements.get()
    pay(agreement, editor, "60.00")
    before = reload_agreement(agreement).balance()

    consent_services.withdraw_story(story=StoryPage.objects.get(pk=story.pk), user=amara.user)

    assert not is_live(story)
    after = reload_agreement(agreement).balance()
    assert after == before and after.owed == STORY_FEE - Decimal("60.00")
    assert "£90.00" in portal_text(signed_in(amara).get(reverse("portal:payments")))
    client.force_login(editor)
    owed = client.get(reverse("compensation_agreements:index") + "?status=owed")
    assert "The long walk" in admin_text(owed)


# -- 4. the publishing policy, through every door --------------------------------------------


@pytest.fixture
def unpaid_story(make_story, amara):
    """A story Amara approved for the website, with no payment agreed for it."""
    story = make_story(amara, slug="unpaid", agreement=False)
    approve(story, amara)
    return StoryPage.objects.get(pk=story.pk)


def agree_for(story, editor):
    return agree(story.storyteller, editor, "150.00", work=Work.STORY, story=story)


def test_publish_button_refuses_a_story_with_no_payment_agreed_then_publishes_it(
    client, editor, unpaid_story
):
    client.force_login(editor)

    refused = client.get(edit_url(unpaid_story))
    assert 'name="action-publish"' not in refused.content.decode()
    assert f"Publishing is not available. {NO_PAYMENT_FOR_AMARA}" in admin_text(refused)
    forced = click_publish(client, unpaid_story)
    assert NO_PAYMENT_FOR_AMARA in admin_text(forced)
    assert not is_live(unpaid_story)

    agree_for(unpaid_story, editor)
    published = click_publish(client, unpaid_story)

    assert "Page 'A story' has been published." in admin_text(published)
    assert is_live(unpaid_story)


def test_the_storytellers_choice_not_to_be_paid_unblocks_publishing(
    client, editor, unpaid_story, amara
):
    signed_in(amara).post(
        reverse("portal:payments_story_choice", args=[unpaid_story.pk]), {"paid": "no"}
    )
    client.force_login(editor)

    published = click_publish(client, unpaid_story)

    assert "has been published" in admin_text(published)
    assert is_live(unpaid_story)


def test_an_editor_records_a_choice_made_in_person_before_a_witness(client, editor, unpaid_story):
    client.force_login(editor)
    url = reverse("compensation_declined_in_person", args=[unpaid_story.pk])

    missing = client.post(url, {"witness_name": ""})
    client.post(url, {"witness_name": "Sam Okafor"})

    assert "This field is required." in admin_text(missing)
    answer = CompensationResponse.objects.get(story_id=unpaid_story.pk)
    assert (answer.response, answer.method, answer.witness_name, answer.recorded_by) == (
        "declined",
        "in_person",
        "Sam Okafor",
        editor,
    )
    assert "has been published" in admin_text(click_publish(client, unpaid_story))


def test_review_workflow_completion_waits_for_payment_and_tells_the_editors_why(
    client, editor, make_story, amara
):
    story = make_story(amara, slug="in-review", agreement=False)
    client.force_login(editor)
    review = submit_for_review(client, story)
    approve(story, amara, revision=review.revision)

    sign_off(client, story)

    assert not is_live(story)
    assert Notification.objects.filter(
        recipient=editor, story=story, kind=Notification.Kind.NO_PAYMENT_AGREED
    ).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.NOT_PUBLISHED).exists()

    agree_for(story, editor)
    review = submit_for_review(client, story)
    approve(story, amara, revision=review.revision)
    sign_off(client, story)

    assert is_live(story)


def test_bulk_publish_skips_a_story_with_no_payment_agreed_until_there_is_one(
    client, editor, unpaid_story
):
    client.force_login(editor)
    url = bulk_publish_url(unpaid_story)

    client.post(url, {"include_descendants": ""}, follow=True)
    assert not is_live(unpaid_story)

    agree_for(unpaid_story, editor)
    response = client.post(url, {"include_descendants": ""}, follow=True)

    assert "1 page has been published" in admin_text(response)
    assert is_live(unpaid_story)


def test_publish_scheduled_skips_a_story_with_no_payment_agreed_until_there_is_one(
    editor, make_story, amara
):
    story = make_story(amara, slug="scheduled", agreement=False)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    schedule(story, editor, an_hour_ago)
    approve(story, amara)

    errors = publish_scheduled()

    assert not is_live(story)
    assert f"Not published: story {story.pk} (A story): {NO_PAYMENT_FOR_AMARA}" in errors

    agree_for(story, editor)
    schedule(StoryPage.objects.get(pk=story.pk), editor, an_hour_ago)
    approve(story, amara)
    assert publish_scheduled() == ""

    assert is_live(story)


def test_api_publish_refuses_a_story_with_no_payment_agreed_then_publishes_it(
    client, editor, unpaid_story
):
    api = api_client(client, editor)
    url = f"/api/v3/pages/{unpaid_story.pk}/actions/publish/"

    refused = api.post(url)

    assert refused.status_code == 403
    assert refused.json()["detail"] == NO_PAYMENT_FOR_AMARA
    assert not is_live(unpaid_story)

    agree_for(unpaid_story, editor)

    assert api.post(url).status_code == 200
    assert is_live(unpaid_story)


def test_the_model_guard_refuses_a_story_with_no_payment_agreed(unpaid_story, editor):
    with pytest.raises(ConsentRequired, match=NO_PAYMENT_FOR_AMARA):
        unpaid_story.get_latest_revision().publish(user=editor)
    assert not is_live(unpaid_story)


def test_the_organisation_can_turn_the_policy_off_in_its_settings(client, superuser, unpaid_story):
    client.force_login(superuser)
    url = reverse("wagtailsettings:edit", args=["compensation", "compensationsettings"])
    assert CompensationSettings.load().require_agreement_before_publishing  # on by default

    settings_page = client.get(url, follow=True).redirect_chain[-1][0]
    saved = client.post(settings_page, {}, follow=True)  # the box unticked

    assert saved.status_code == 200
    assert not CompensationSettings.load().require_agreement_before_publishing
    assert "has been published" in admin_text(click_publish(client, unpaid_story))


def test_serving_a_published_story_asks_nothing_about_payment(client, published_story, editor):
    # The policy gates going live; a live story is not taken down (nor slowed down) by it.
    # The application refuses to delete the agreement a live story relies on
    # (test_agreement_rules), so it is removed behind the application's back here.
    Agreement.objects.filter(story=published_story)._raw_delete(connection.alias)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(published_story.url)

    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "compensation_" in q["sql"]]


# -- 5. the editors' admin --------------------------------------------------------------------


def test_an_editor_records_an_agreement_and_a_payment_in_the_admin(
    client, editor, amara, make_story
):
    story = make_story(amara, slug="admin-story", agreement=False)
    client.force_login(editor)

    new_agreement = client.get(reverse("compensation_agreements:add") + f"?story={story.pk}")
    assert new_agreement.status_code == 200
    client.post(
        reverse("compensation_agreements:add"),
        {
            "storyteller": amara.pk,
            "work": Work.REVIEW,
            "story": story.pk,
            "description": "Two review sessions",
            "basis": "hourly",
            "amount": "18.50",
            "currency": "EUR",
            "hours": "3",
            "agreed_on": today().isoformat(),
            "agreed_by": editor.pk,
        },
    )
    agreement = Agreement.objects.get(story=story)
    assert agreement.total == Decimal("55.50") and agreement.currency == "EUR"

    client.post(
        reverse("compensation_payments:add"),
        {
            "agreement": agreement.pk,
            "amount": "60.00",
            "paid_on": today().isoformat(),
            "method": PaymentMethod.BANK_TRANSFER,
            "reference": "SEPA-4411",
        },
        follow=True,
    )

    payment = Payment.objects.get()
    assert (payment.currency, payment.recorded_by, payment.amount) == (
        "EUR",
        editor,
        Decimal("60.00"),
    )
    listing = admin_text(client.get(reverse("compensation_agreements:index") + "?status=overpaid"))
    assert "Paid more than agreed" in listing and "-€4.50" in listing


def test_payments_cannot_be_edited_or_deleted_in_the_admin_only_corrected(
    client, editor, amaras_agreement
):
    payment = pay(amaras_agreement, editor, "90.00")
    client.force_login(editor)

    edited = client.get(reverse("compensation_payments:edit", args=[payment.pk]))
    deleted = client.post(reverse("compensation_payments:delete", args=[payment.pk]))
    # Wagtail answers a refused permission by sending the editor back to the admin home.
    assert (edited.status_code, edited["Location"]) == (302, reverse("wagtailadmin_home"))
    assert (deleted.status_code, deleted["Location"]) == (302, reverse("wagtailadmin_home"))
    correct = reverse("compensation_correct_payment", args=[payment.pk])
    too_much = client.post(correct, {"amount": "95.00", "reason": "Typed wrong"})
    client.post(correct, {"amount": "40.00", "reason": "Typed wrong"})

    assert "can't take back more than is left of the payment: £90.00" in admin_text(too_much)
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("90.00")
    correction = Payment.objects.get(kind=Payment.Kind.REVERSAL)
    assert (correction.reverses, correction.amount) == (payment, Decimal("40.00"))
    assert reload_agreement(amaras_agreement).balance().paid == Decimal("50.00")


@pytest.fixture
def agreements_in_every_state(make_story, amara, lucia, editor):
    """Owed, paid, overpaid, disputed and declined, across two storytellers."""
    owed = make_story(amara, slug="owed", title="Owed story").agreements.get()
    paid = make_story(lucia, slug="paid", title="Paid story").agreements.get()
    pay(paid, editor, STORY_FEE)
    overpaid = make_story(lucia, slug="overpaid", title="Overpaid story").agreements.get()
    pay(overpaid, editor, STORY_FEE + 5)
    disputed = make_story(amara, slug="disputed", title="Disputed story").agreements.get()
    services.report_problem(
        payment=pay(disputed, editor, "20.00"), user=amara.user, message="Wrong amount."
    )
    declined = make_story(amara, slug="declined", title="Declined story").agreements.get()
    services.choose_not_to_be_paid(storyteller=amara, agreement=declined, user=amara.user)
    return {
        "owed": owed,
        "paid": paid,
        "overpaid": overpaid,
        "disputed": disputed,
        "declined": declined,
    }


def listing_rows(response):
    """The admin list's rows as a reader sees them: the cells' words, without the buttons."""
    table = BeautifulSoup(response.content, "html.parser").select_one("table.listing")
    rows = []
    for tr in table.select("tbody tr"):
        cells = []
        for td in tr.find_all("td", recursive=False):
            title = td.select_one(".title-wrapper")
            cells.append(" ".join((title or td).get_text(" ").split()))
        rows.append(cells)
    header = [" ".join(th.get_text(" ").split()) for th in table.select("thead th")]
    return header, rows


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(body)))
    return header, rows, body


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("owed", {"Owed story", "Disputed story"}),
        ("paid", {"Paid story", "Overpaid story"}),
        ("overpaid", {"Overpaid story"}),
        ("disputed", {"Disputed story"}),
        ("declined", {"Declined story"}),
    ],
)
def test_agreement_filters_owed_paid_disputed_declined(
    client, editor, agreements_in_every_state, status, expected
):
    client.force_login(editor)

    header, rows = listing_rows(
        client.get(reverse("compensation_agreements:index") + f"?status={status}")
    )

    column = header.index("Story")
    assert {row[column] for row in rows} == expected


def test_agreements_and_payments_can_be_searched(client, editor, agreements_in_every_state):
    client.force_login(editor)

    _header, agreements = listing_rows(
        client.get(reverse("compensation_agreements:index") + "?q=Luc")
    )
    _header, payments = listing_rows(client.get(reverse("compensation_payments:index") + "?q=Luc"))

    assert {row[0] for row in agreements} == {"Lucía"}
    assert len(agreements) == 2
    assert {row[1] for row in payments} == {"Lucía"} and len(payments) == 2


@pytest.mark.parametrize(
    ("index", "query"),
    [
        ("compensation_agreements:index", ""),
        ("compensation_agreements:index", "status=owed"),
        ("compensation_payments:index", ""),
        ("compensation_payments:index", "answer=problem"),
    ],
)
def test_csv_export_holds_what_the_list_shows_and_nothing_private(
    client, editor, agreements_in_every_state, amara, lucia, index, query
):
    amara.legal_name = "Amara Nwachukwu-Legal"
    amara.save()
    PaymentPreference.objects.create(
        storyteller=amara,
        method=PaymentMethod.MOBILE_MONEY,
        notes="Account 0803-SECRET-555, call after 6pm",
        may_affect_benefits=True,
    )
    client.force_login(editor)
    url = reverse(index) + f"?{query}"

    listed_header, listed = listing_rows(client.get(url))
    exported_header, exported, body = csv_rows(
        client.get(url + ("&" if query else "") + "export=csv")
    )

    assert exported_header == listed_header
    assert sorted(exported) == sorted(listed)
    assert listed  # the comparison says something
    for private in ("SECRET", "after 6pm", "Nwachukwu", "Wrong amount"):
        assert private not in body


def test_the_story_editor_shows_the_storys_payment_status(client, editor, amaras_agreement, amara):
    pay(amaras_agreement, editor, "100.00")
    client.force_login(editor)

    page = client.get(edit_url(amaras_agreement.story))

    status = BeautifulSoup(page.content, "html.parser").select_one("[data-compensation-status]")
    words = " ".join(status.get_text(" ").split())
    assert "Telling a story : £150.00 agreed, £100.00 paid, £50.00 still owed — Owed." in words


def test_the_story_editor_says_when_no_payment_is_agreed(client, editor, make_story, amara):
    story = make_story(amara, slug="nothing-agreed", agreement=False)
    client.force_login(editor)

    page = client.get(edit_url(story))

    status = BeautifulSoup(page.content, "html.parser").select_one("[data-compensation-status]")
    words = " ".join(status.get_text(" ").split())
    assert "No payment is agreed with Amara for this story yet." in words
    assert "It can't be published until there is one" in words
    # The link comes back to this story once the agreement is recorded.
    record = status.select_one("a[data-record-agreement]")
    assert record["href"] == f"/admin/compensation/agreements/new/?story={story.pk}&next=" + (
        edit_url(story)
    )


def test_payment_preferences_keep_their_notes_encrypted_and_out_of_the_list(client, editor, amara):
    client.force_login(editor)

    client.post(
        reverse("compensation_preferences:add"),
        {
            "storyteller": amara.pk,
            "method": PaymentMethod.CASH,
            "notes": "Meet at the centre, never at home",
            "tax_paperwork_on_file": "on",
            "may_affect_benefits": "on",
        },
    )

    preference = PaymentPreference.objects.get()
    assert preference.notes == "Meet at the centre, never at home"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT notes FROM compensation_paymentpreference WHERE id = %s", [preference.pk]
        )
        assert "centre" not in cursor.fetchone()[0]
    client.post(
        reverse("compensation_preferences:edit", args=[preference.pk]),
        {
            "storyteller": amara.pk,
            "method": PaymentMethod.CASH,
            "notes": "Meet at the library on Fridays",
            "may_affect_benefits": "on",
        },
    )
    preference.refresh_from_db()
    assert preference.notes == "Meet at the library on Fridays"
    assert not preference.tax_paperwork_on_file
    listing = client.get(reverse("compensation_preferences:index"))
    assert "centre" not in listing.content.decode() and "library" not in listing.content.decode()
    # Wagtail's audit log of the create and the edit names the preference, never the notes.
    logged = [f"{entry.label} {entry.data}" for entry in ModelLogEntry.objects.all()]
    assert len(logged) == 2
    assert not [line for line in logged if "centre" in line or "library" in line]
    portal = portal_text(signed_in(amara).get(reverse("portal:payments")))
    assert "We pay you by: Cash." in portal and "centre" not in portal


# -- 6. the demo ------------------------------------------------------------------------------


def payments_state():
    agreements = list(selectors.with_answers(Agreement.objects.all()))
    return {
        "agreements": sorted((str(a), a.status()) for a in agreements),
        "payments": list(Payment.objects.values_list("entry_hash", flat=True)),
        "answers": list(CompensationResponse.objects.values_list("entry_hash", flat=True)),
        "preferences": PaymentPreference.objects.count(),
    }


def test_the_demo_shows_payments_in_every_state_and_a_second_run_adds_nothing():
    call_command("seed_demo", "--force", stdout=io.StringIO())
    first = payments_state()

    call_command("seed_demo", "--force", stdout=io.StringIO())

    assert payments_state() == first
    statuses = {status for _agreement, status in first["agreements"]}
    assert statuses == {"owed", "paid", "overpaid", "disputed", "declined"}
    answers = set(CompensationResponse.objects.values_list("response", flat=True))
    assert answers == {"confirmed", "declined", "received", "problem"}
    assert Payment.objects.filter(kind=Payment.Kind.REVERSAL).exists()
    # Every published demo story satisfied the policy: an agreement, or a choice not to be paid.
    for story in StoryPage.objects.filter(first_published_at__isnull=False):
        assert selectors.agreed_or_declined(story.pk, story.storyteller_id), story.slug
    ok, out, _err = run_verify_ledger()
    assert ok and "The payments ledger is intact" in out

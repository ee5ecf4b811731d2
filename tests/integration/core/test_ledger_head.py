"""Each ledger's head is kept apart from its entries: a cut-off tail is tampering too.

And every receipt carries the ledger's head (its entry's place and hash when issued), so a
storyteller's receipt proves her decision existed.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from compensation import services as money_services
from compensation.models import AgreementChange, CompensationResponse, Payment, PaymentMethod
from consent import services
from consent.ledger import verify_receipt
from consent.models import ConsentEntry
from core.ledger import ledgers
from core.models import LedgerHead

from tests.conftest import approve
from tests.integration.portal.test_portal import text_of
from tests.money import pay

pytestmark = pytest.mark.django_db


def verify_ledger(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, stderr=err)
    except CommandError as failure:
        return False, str(failure), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def delete_newest(model, how_many):
    newest = model.objects.order_by("-sequence").values_list("sequence", flat=True)[:how_many]
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {model._meta.db_table} WHERE sequence >= %s",  # noqa: S608
            [min(newest)],
        )


@pytest.fixture
def three_ledgers(make_story, amara, editor):
    """Three entries in each ledger: consent decisions, payments, her answers."""
    story = make_story(amara, slug="told")
    agreement = story.agreements.get()
    for i in range(2):
        services.request_changes(
            story=story, revision=story.get_latest_revision(), user=amara.user, message=f"{i}"
        )
    approve(story, amara)
    for reference in ("TX-1", "TX-2", "TX-3"):
        pay(agreement, editor, "10.00", method=PaymentMethod.CASH, reference=reference)
    first = Payment.objects.order_by("sequence").first()
    money_services.confirm_agreement(agreement=agreement, user=amara.user)
    money_services.confirm_received(payment=first, user=amara.user)
    money_services.confirm_agreement(agreement=agreement, user=amara.user)
    for before, after in ((agreement.total, agreement.total - 1), (agreement.total - 1, 30)):
        AgreementChange(
            agreement=agreement,
            storyteller_id=agreement.storyteller_id,
            kind=AgreementChange.Kind.CORRECTED,
            total_before=before,
            total_after=after,
            currency=agreement.currency,
            reason="A correction",
            recorded_by=editor,
        ).save()
    money_services.end_agreement(agreement=agreement, reason="Work finished", recorded_by=editor)
    return story


TITLES = {
    ConsentEntry: "The consent ledger",
    Payment: "The payments ledger",
    CompensationResponse: "The ledger of storytellers' answers",
    AgreementChange: "The ledger of changes to agreements",
}


def test_verify_ledger_checks_every_ledger_against_its_head(three_ledgers):
    ok, out, err = verify_ledger()

    assert ok, err
    assert set(ledgers()) == set(TITLES)
    for model, title in TITLES.items():
        assert f"{title} is intact: 3 entries." in out
        head = LedgerHead.objects.get(ledger=model._meta.label_lower)
        newest = model.objects.order_by("-sequence").first()
        assert (head.sequence, head.count, head.head_hash) == (3, 3, newest.entry_hash)


@pytest.mark.parametrize("model", list(TITLES), ids=lambda model: model.__name__)
@pytest.mark.parametrize("how_many", [1, 2])
def test_deleting_the_newest_entries_in_sql_fails_verification(three_ledgers, model, how_many):
    delete_newest(model, how_many)

    ok, message, err = verify_ledger()

    assert not ok
    assert f"{TITLES[model]} failed verification (1 problem(s))." in message
    assert (
        f"the head records 3 entries ending at 3, but {3 - how_many} are there ending at "
        f"{3 - how_many} (the newest entries were removed" in err
    )


@pytest.mark.parametrize("model", list(TITLES), ids=lambda model: model.__name__)
def test_replacing_the_newest_entry_in_sql_fails_verification(three_ledgers, model):
    # Cut off the newest entry and re-point the chain's end: the count still matches, the
    # hash the head recorded does not.
    newest = model.objects.order_by("-sequence").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET entry_hash = %s WHERE id = %s",  # noqa: S608
            ["f" * 64, newest.pk],
        )

    ok, message, err = verify_ledger()

    assert not ok
    assert "is not the one the head records" in err


def test_a_deleted_withdrawal_is_reported_before_an_editor_can_lean_on_it(published_story, amara):
    services.withdraw_story(story=published_story, user=amara.user)
    assert verify_ledger()[0]

    delete_newest(ConsentEntry, 1)

    ok, message, err = verify_ledger()
    assert not ok
    assert "The consent ledger failed verification" in message


def test_a_missing_head_is_reported_when_the_ledger_has_entries(three_ledgers):
    LedgerHead.objects.filter(ledger="consent.consententry").delete()

    ok, message, err = verify_ledger()

    assert not ok
    assert "its head record is missing" in err


def test_an_append_after_the_head_was_lost_rebuilds_it_and_keeps_the_chain(three_ledgers, amara):
    LedgerHead.objects.filter(ledger="consent.consententry").delete()

    services.withdraw_story(story=three_ledgers, user=amara.user)

    assert verify_ledger()[0]
    assert LedgerHead.objects.get(ledger="consent.consententry").count == 4


# -- Receipts carry the head -------------------------------------------------------------------


def portal_receipt(client, entry):
    page = client.get(reverse("portal:receipt", args=[entry.receipt_id]))
    document = client.get(reverse("portal:receipt_json", args=[entry.receipt_id]))
    assert (page.status_code, document.status_code) == (200, 200)
    return text_of(page), json.loads(document.content)


@pytest.fixture
def receipt_of_withdrawal(client, published_story, amara, tmp_path):
    client.force_login(amara.user)
    response = client.post(
        reverse("portal:withdraw", args=[published_story.pk]), {"where": "everywhere"}
    )
    assert response.status_code == 302
    entry = ConsentEntry.objects.get(decision=ConsentEntry.Decision.WITHDRAWN)
    page, document = portal_receipt(client, entry)
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return entry, page, document, path


def test_every_receipt_carries_the_ledger_head_when_it_was_issued(receipt_of_withdrawal):
    entry, page, document, path = receipt_of_withdrawal

    assert document["sayso"]["ledger"] == {
        "ledger": "consent.consententry",
        "sequence": entry.sequence,
        "headHash": entry.entry_hash,
        "receiptId": str(entry.receipt_id),
    }
    head = LedgerHead.objects.get(ledger="consent.consententry")
    assert (head.sequence, head.head_hash) == (entry.sequence, entry.entry_hash)
    assert f"Its number in the record of decisions {entry.sequence}" in page
    assert f"Seal of the record when this was issued {entry.entry_hash}" in page


def test_a_receipt_verifies_against_an_intact_ledger(receipt_of_withdrawal, make_story, lucia):
    entry, page, document, path = receipt_of_withdrawal
    # Later decisions move the head on; her receipt still holds.
    approve(make_story(lucia, slug="later"), lucia)

    ok, out, err = verify_ledger("--receipt", str(path))

    assert ok, err
    assert "The receipt's decision is in the ledger, unchanged." in out
    assert verify_receipt(document) == []


def test_a_receipt_whose_decision_was_cut_from_the_ledger_fails(receipt_of_withdrawal):
    entry, page, document, path = receipt_of_withdrawal
    delete_newest(ConsentEntry, 1)
    # Even with the head rewritten to match the shortened ledger, her receipt disagrees.
    newest = ConsentEntry.objects.order_by("-sequence").first()
    LedgerHead.objects.filter(ledger="consent.consententry").update(
        sequence=newest.sequence, count=newest.sequence, head_hash=newest.entry_hash
    )
    assert verify_ledger()[0]

    ok, message, err = verify_ledger("--receipt", str(path))

    assert not ok
    assert "The receipt does not verify" in message
    assert f"Entry {entry.sequence}: the ledger no longer has the receipt's entry." in err


def test_a_receipt_fails_when_its_entry_was_rewritten(receipt_of_withdrawal):
    entry, page, document, path = receipt_of_withdrawal
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ConsentEntry._meta.db_table} SET entry_hash = %s WHERE id = %s",  # noqa: S608
            ["e" * 64, entry.pk],
        )

    problems = verify_receipt(document)

    assert f"Entry {entry.sequence}: the ledger's entry differs from the receipt." in problems


def test_a_receipt_without_its_place_in_the_ledger_is_refused(tmp_path):
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps({"sayso": {}}), encoding="utf-8")

    ok, message, err = verify_ledger("--receipt", str(path))

    assert not ok
    assert "doesn't say where its decision is in the ledger" in err

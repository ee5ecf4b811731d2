"""The consent ledger is append-only and tamper-evident, and every entry is a receipt."""

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, transaction
from django.urls import reverse

from consent import services
from consent.models import ConsentEntry
from core.exceptions import LedgerIsAppendOnly

from tests.conftest import approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(make_story, amara, lucia):
    """Four entries from two storytellers: approvals, a request for changes, a withdrawal."""
    first = make_story(amara, slug="first")
    second = make_story(lucia, slug="second")
    approve(first, amara)
    services.request_changes(
        story=second,
        revision=second.get_latest_revision(),
        user=lucia.user,
        message="Please leave out the town.",
    )
    approve(second, lucia)
    services.withdraw_story(story=first, user=amara.user)
    entries = list(ConsentEntry.objects.order_by("sequence"))
    assert len(entries) == 4
    return entries


def run_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=ConsentEntry._meta.db_table), params)


def verify_ledger():
    call_command("verify_ledger", stdout=_Sink(), stderr=_Sink())


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


# Nothing in the application can change or remove an entry


def test_an_entry_cannot_be_saved_again(ledger):
    entry = ConsentEntry.objects.get(pk=ledger[0].pk)
    entry.message = "Rewritten later."

    with pytest.raises(LedgerIsAppendOnly):
        entry.save()

    assert ConsentEntry.objects.get(pk=entry.pk).message == ""


def test_an_entry_cannot_be_deleted(ledger):
    with pytest.raises(LedgerIsAppendOnly):
        ledger[0].delete()

    assert ConsentEntry.objects.count() == 4


def test_queryset_update_is_refused(ledger):
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.filter(pk=ledger[0].pk).update(message="Rewritten later.")
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.all().update(decision=ConsentEntry.Decision.GRANTED)

    assert ConsentEntry.objects.get(pk=ledger[0].pk).message == ""
    assert ConsentEntry.objects.filter(decision=ConsentEntry.Decision.WITHDRAWN).count() == 1


def test_bulk_update_is_refused(ledger):
    entry = ConsentEntry.objects.get(pk=ledger[1].pk)
    entry.message = "Rewritten later."

    # bulk_update runs inside atomic(savepoint=False); give it a savepoint to fail into.
    with pytest.raises(LedgerIsAppendOnly), transaction.atomic():
        ConsentEntry.objects.bulk_update([entry], ["message"])

    assert ConsentEntry.objects.get(pk=entry.pk).message == "Please leave out the town."


def test_queryset_delete_is_refused(ledger):
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.all().delete()
    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.filter(pk=ledger[0].pk).delete()

    assert ConsentEntry.objects.count() == 4


def test_bulk_create_is_refused(ledger):
    forged = ConsentEntry(
        storyteller=ledger[0].storyteller,
        story=ledger[0].story,
        decision=ConsentEntry.Decision.GRANTED,
        method=ConsentEntry.Method.PORTAL,
        sequence=99,
        previous_hash="f" * 64,
        entry_hash="e" * 64,
    )

    with pytest.raises(LedgerIsAppendOnly):
        ConsentEntry.objects.bulk_create([forged])

    assert ConsentEntry.objects.count() == 4
    assert not ConsentEntry.objects.filter(sequence=99).exists()


# The Wagtail admin shows the ledger but offers no way to change it


def test_a_superuser_can_read_the_ledger_in_the_admin(superuser_client, ledger):
    index = superuser_client.get(reverse("consent_ledger:index"))
    inspect = superuser_client.get(reverse("consent_ledger:inspect", args=[ledger[1].pk]))

    assert index.status_code == 200
    assert inspect.status_code == 200
    assert "Please leave out the town." in inspect.content.decode()
    assert reverse("consent_ledger:add") not in index.content.decode()
    assert reverse("consent_ledger:edit", args=[ledger[1].pk]) not in index.content.decode()


def assert_refused(response):
    """Wagtail answers a permission refusal with a redirect to the dashboard."""
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def test_a_superuser_cannot_add_an_entry_in_the_admin(superuser_client, ledger):
    url = reverse("consent_ledger:add")

    assert_refused(superuser_client.get(url))
    assert_refused(superuser_client.post(url, {"decision": ConsentEntry.Decision.GRANTED}))
    assert ConsentEntry.objects.count() == 4


def test_a_superuser_cannot_edit_an_entry_in_the_admin(superuser_client, ledger):
    entry = ledger[3]
    url = reverse("consent_ledger:edit", args=[entry.pk])

    assert_refused(superuser_client.get(url))
    assert_refused(superuser_client.post(url, {"decision": ConsentEntry.Decision.GRANTED}))
    assert ConsentEntry.objects.get(pk=entry.pk).decision == ConsentEntry.Decision.WITHDRAWN
    verify_ledger()


def test_a_superuser_cannot_delete_an_entry_in_the_admin(superuser_client, ledger):
    url = reverse("consent_ledger:delete", args=[ledger[0].pk])

    assert_refused(superuser_client.get(url))
    assert_refused(superuser_client.post(url))
    assert ConsentEntry.objects.filter(pk=ledger[0].pk).exists()
    verify_ledger()


def test_the_refusal_tells_the_superuser_why(superuser_client, ledger):
    response = superuser_client.post(
        reverse("consent_ledger:delete", args=[ledger[0].pk]), follow=True
    )

    assert "you do not have permission" in response.content.decode()


# The chain


def test_each_entry_links_to_the_one_before(ledger):
    assert ledger[0].sequence == 1
    assert ledger[0].previous_hash == ConsentEntry.GENESIS_HASH
    for before, after in zip(ledger, ledger[1:], strict=False):
        assert after.sequence == before.sequence + 1
        assert after.previous_hash == before.entry_hash
    for entry in ledger:
        assert entry.entry_hash == entry.compute_hash()


def test_every_entry_has_its_own_receipt(ledger):
    receipts = [entry.receipt_id for entry in ledger]

    assert all(receipt is not None for receipt in receipts)
    assert len(set(receipts)) == len(receipts)
    assert all(receipt.version == 4 for receipt in receipts)


def test_verify_ledger_passes_on_an_intact_ledger(ledger):
    out = _Sink()

    call_command("verify_ledger", stdout=out, stderr=_Sink())

    assert "intact: 4 entries" in out.text


def test_verify_ledger_passes_on_an_empty_ledger(db):
    out = _Sink()

    call_command("verify_ledger", stdout=out, stderr=_Sink())

    assert "intact: 0 entries" in out.text


def test_verify_ledger_fails_after_a_field_is_edited_in_sql(ledger):
    run_sql("UPDATE {table} SET message = %s WHERE id = %s", ["Rewritten later.", ledger[1].pk])
    err = _Sink()

    with pytest.raises(CommandError, match="failed verification"):
        call_command("verify_ledger", stdout=_Sink(), stderr=err)

    assert f"Entry {ledger[1].sequence}: its contents were changed" in err.text


def test_verify_ledger_fails_after_a_decision_is_flipped_in_sql(ledger):
    run_sql(
        "UPDATE {table} SET decision = %s WHERE id = %s",
        [ConsentEntry.Decision.GRANTED, ledger[3].pk],
    )

    with pytest.raises(CommandError):
        verify_ledger()


def test_verify_ledger_fails_after_a_row_is_deleted_in_sql(ledger):
    run_sql("DELETE FROM {table} WHERE id = %s", [ledger[1].pk])
    err = _Sink()

    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=_Sink(), stderr=err)

    assert "a row is missing" in err.text


def test_verify_ledger_fails_after_the_first_row_is_deleted_in_sql(ledger):
    # Dropping the first row leaves the second pointing at a hash nobody has.
    run_sql("DELETE FROM {table} WHERE id = %s", [ledger[0].pk])

    with pytest.raises(CommandError):
        verify_ledger()


def test_verify_ledger_fails_after_two_rows_are_swapped_in_sql(ledger):
    first, second = ledger[1], ledger[2]
    parked = 10**9  # sequence is unique, so park one row while the other moves
    run_sql("UPDATE {table} SET sequence = %s WHERE id = %s", [parked, first.pk])
    run_sql("UPDATE {table} SET sequence = %s WHERE id = %s", [first.sequence, second.pk])
    run_sql("UPDATE {table} SET sequence = %s WHERE id = %s", [second.sequence, first.pk])
    err = _Sink()

    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=_Sink(), stderr=err)

    assert "does not link to the entry before it" in err.text


def test_a_failed_verification_exits_non_zero(ledger):
    run_sql("UPDATE {table} SET witness_name = %s WHERE id = %s", ["Someone", ledger[0].pk])

    # What `manage.py verify_ledger` does: a CommandError becomes a non-zero exit status.
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "verify_ledger"]).execute()

    assert exited.value.code not in (0, None)

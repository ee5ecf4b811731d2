"""Money can't be moved under her.

Once a storyteller has answered about an agreement or been paid under it, its storyteller,
story and currency are fixed and it can't be deleted: it is ended by an entry in the ledger
of agreement changes, which keeps what was owed on record. Deleting an agreement a live
story's payment rule relies on is refused. Lowering what was agreed is recorded with a
reason she reads. Editors act in the Wagtail admin; she reads her payments in the portal.
"""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from compensation import services
from compensation.models import Agreement, AgreementChange, AgreementIsFixed
from core.exceptions import LedgerIsAppendOnly

from tests.conftest import STORY_FEE
from tests.integration.consent.test_publish_doors import text_of as admin_text
from tests.integration.portal.test_portal import signed_in
from tests.integration.portal.test_portal import text_of as portal_text
from tests.money import agree, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpaid_draft_agreement(make_story, amara):
    """£150 for a story still in draft: nobody has answered or been paid."""
    return make_story(amara, slug="draft-story", title="Still a draft").agreements.get()


@pytest.fixture
def paid_agreement(unpaid_draft_agreement, editor):
    pay(unpaid_draft_agreement, editor, "100.00")
    return Agreement.objects.get(pk=unpaid_draft_agreement.pk)


@pytest.fixture
def confirmed_agreement(amara, editor):
    agreement = agree(amara, editor, "80.00", description="Panel at the spring event")
    services.confirm_agreement(agreement=agreement, user=amara.user)
    return Agreement.objects.get(pk=agreement.pk)


def edit_url(agreement):
    return reverse("compensation_agreements:edit", args=[agreement.pk])


def edit_form(client, agreement):
    page = client.get(edit_url(agreement))
    assert page.status_code == 200
    form = BeautifulSoup(page.content, "html.parser").find("form", action=edit_url(agreement))
    return page, querydict_from_html(str(form))


def reload(agreement):
    return Agreement.objects.get(pk=agreement.pk)


# -- storyteller, story and currency are fixed -------------------------------------------------


@pytest.mark.parametrize("state", ["paid_agreement", "confirmed_agreement"])
def test_the_admin_form_shows_who_story_and_currency_fixed_and_ignores_changes(
    state, request, editor_client, lucia
):
    agreement = request.getfixturevalue(state)
    page, data = edit_form(editor_client, agreement)

    soup = BeautifulSoup(page.content, "html.parser")
    for name in ("storyteller", "story", "currency"):
        assert soup.find(attrs={"name": name}).has_attr("disabled"), name
    assert "Amara has seen this agreement or been paid under it" in admin_text(page)

    data["storyteller"] = str(lucia.pk)
    data["currency"] = "JPY"
    data["story"] = ""
    response = editor_client.post(edit_url(agreement), data)

    assert response.status_code == 302
    after = reload(agreement)
    assert (after.storyteller_id, after.currency, after.story_id) == (
        agreement.storyteller_id,
        agreement.currency,
        agreement.story_id,
    )


@pytest.mark.parametrize("state", ["paid_agreement", "confirmed_agreement"])
def test_the_model_refuses_moving_a_paid_or_answered_agreement_by_any_door(state, request, lucia):
    agreement = request.getfixturevalue(state)

    moved = reload(agreement)
    moved.storyteller = lucia
    with pytest.raises(AgreementIsFixed):
        moved.save()
    switched = reload(agreement)
    switched.currency = "JPY"
    with pytest.raises(AgreementIsFixed):
        switched.save()
    with pytest.raises(AgreementIsFixed):
        Agreement.objects.filter(pk=agreement.pk).update(currency="JPY")
    with pytest.raises(AgreementIsFixed):
        Agreement.objects.filter(pk=agreement.pk).update(storyteller_id=lucia.pk)

    after = reload(agreement)
    assert (after.storyteller_id, after.currency) == (agreement.storyteller_id, "GBP")


def test_an_agreement_nobody_answered_or_paid_can_still_be_corrected(
    unpaid_draft_agreement, editor_client, lucia
):
    _page, data = edit_form(editor_client, unpaid_draft_agreement)
    data["currency"] = "EUR"

    assert editor_client.post(edit_url(unpaid_draft_agreement), data).status_code == 302
    assert reload(unpaid_draft_agreement).currency == "EUR"


# -- never deleted under her: ended, with what was owed kept -----------------------------------


@pytest.mark.parametrize("state", ["paid_agreement", "confirmed_agreement"])
def test_a_paid_or_answered_agreement_cannot_be_deleted_by_any_door(state, request, editor_client):
    agreement = request.getfixturevalue(state)
    delete_url = reverse("compensation_agreements:delete", args=[agreement.pk])

    asked = editor_client.get(delete_url)
    posted = editor_client.post(delete_url, follow=True)

    end_url = reverse("compensation_end_agreement", args=[agreement.pk])
    assert (asked.status_code, asked["Location"]) == (302, end_url)
    assert posted.status_code == 200
    assert "so who it is for, the story and the currency can't change" in admin_text(posted)
    with pytest.raises(AgreementIsFixed):
        reload(agreement).delete()
    with pytest.raises(AgreementIsFixed):
        Agreement.objects.filter(pk=agreement.pk).delete()
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_deleting_the_agreement_a_live_story_is_published_on_is_refused(
    published_story, editor_client
):
    agreement = published_story.agreements.get()
    delete_url = reverse("compensation_agreements:delete", args=[agreement.pk])

    posted = editor_client.post(delete_url, follow=True)

    assert posted.status_code == 200
    assert "is published because this payment is agreed" in admin_text(posted)
    with pytest.raises(AgreementIsFixed):
        Agreement.objects.filter(story=published_story).delete()
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_an_unanswered_unpaid_agreement_of_a_draft_can_be_deleted_in_the_admin(
    unpaid_draft_agreement, editor_client
):
    delete_url = reverse("compensation_agreements:delete", args=[unpaid_draft_agreement.pk])

    assert editor_client.get(delete_url).status_code == 200
    posted = editor_client.post(delete_url)

    assert (posted.status_code, posted["Location"]) == (
        302,
        reverse("compensation_agreements:index"),
    )
    assert not Agreement.objects.filter(pk=unpaid_draft_agreement.pk).exists()


def test_ending_an_agreement_keeps_what_is_owed_visible_to_her_and_the_editors(
    paid_agreement, editor_client, amara
):
    end_url = reverse("compensation_end_agreement", args=[paid_agreement.pk])
    assert editor_client.post(end_url, {"reason": ""}).status_code == 200

    ended = editor_client.post(end_url, {"reason": "The event was cancelled."})

    assert ended.status_code == 302
    entry = AgreementChange.objects.get(agreement=paid_agreement)
    assert (entry.kind, entry.reason, entry.total_before) == (
        AgreementChange.Kind.ENDED,
        "The event was cancelled.",
        STORY_FEE,
    )
    assert reload(paid_agreement).balance().owed == Decimal("50.00")
    listing = admin_text(editor_client.get(reverse("compensation_agreements:index")))
    assert "£150.00 £100.00 £50.00" in listing
    inspect = admin_text(
        editor_client.get(reverse("compensation_agreements:inspect", args=[paid_agreement.pk]))
    )
    assert "Ended on" in inspect and "The event was cancelled." in inspect
    page = portal_text(signed_in(amara).get(reverse("portal:payments")))
    assert "We ended this agreement on" in page
    assert "Why: The event was cancelled." in page
    assert "Paid so far £100.00 Still owed £50.00" in page
    # Ending is itself on record for good.
    with pytest.raises(LedgerIsAppendOnly):
        entry.delete()
    with pytest.raises(AgreementIsFixed):
        reload(paid_agreement).delete()


# -- lowering what was agreed is a correction with a reason -------------------------------------


def test_lowering_what_was_agreed_needs_a_reason_she_then_reads(
    paid_agreement, editor_client, amara
):
    _page, data = edit_form(editor_client, paid_agreement)
    data["amount"] = "90.00"

    refused = editor_client.post(edit_url(paid_agreement), data)
    assert refused.status_code == 200
    assert "This lowers what was agreed. Say why" in admin_text(refused)
    assert reload(paid_agreement).total == STORY_FEE

    data["change_reason"] = "We agreed £90 at the meeting; £150 was a typing mistake."
    assert editor_client.post(edit_url(paid_agreement), data).status_code == 302

    assert reload(paid_agreement).total == Decimal("90.00")
    correction = AgreementChange.objects.get(agreement=paid_agreement)
    assert (correction.kind, correction.total_before, correction.total_after) == (
        AgreementChange.Kind.CORRECTED,
        STORY_FEE,
        Decimal("90.00"),
    )
    page = portal_text(signed_in(amara).get(reverse("portal:payments")))
    assert "we lowered what we agreed from £150.00 to £90.00" in page
    assert "Why: We agreed £90 at the meeting; £150 was a typing mistake." in page


def test_lowering_through_the_orm_without_a_reason_is_refused(confirmed_agreement, editor):
    lowered = reload(confirmed_agreement)
    lowered.amount = Decimal("10.00")
    with pytest.raises(AgreementIsFixed):
        lowered.save()

    lowered.change_reason = "The panel was shorter."
    lowered.changed_by = editor
    lowered.save()
    assert AgreementChange.objects.get(agreement=confirmed_agreement).recorded_by == editor


def test_raising_what_was_agreed_needs_no_reason(unpaid_draft_agreement, editor):
    raised = reload(unpaid_draft_agreement)
    raised.amount = Decimal("200.00")
    raised.save()

    assert reload(unpaid_draft_agreement).total == Decimal("200.00")
    assert not AgreementChange.objects.exists()

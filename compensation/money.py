"""Money as Decimal with an ISO 4217 currency: which codes, how many decimals, how it reads.

Babel carries the CLDR's currency data, so the list of codes and each currency's minor
units are not ours to maintain. Only currencies some country uses as legal tender today are
offered: a storyteller is paid in money they can spend.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.core import get_global
from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
)
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Amounts are stored with three decimals, enough for every currency in use (BHD, KWD...).
STORED_PLACES = 3
MAX_DIGITS = 14


@lru_cache(maxsize=1)
def currencies_in_use():
    """ISO 4217 codes that some territory uses as legal tender today, sorted."""
    from babel.numbers import get_territory_currencies

    today = timezone.now().date()
    codes = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=today, tender=True))
    return tuple(sorted(codes))


def currency_choices():
    """(code, "GBP — British Pound") pairs for a form's select, in the reader's language."""
    locale = _babel_locale()
    return [
        (code, f"{code} — {get_currency_name(code, locale=locale)}") for code in currencies_in_use()
    ]


def validate_currency(code):
    if code not in currencies_in_use():
        raise ValidationError(
            _("Choose a currency by its three-letter code, such as GBP or EUR."),
            code="currency",
        )


def minor_units(currency):
    """How many decimals the currency has (JPY 0, GBP 2, KWD 3)."""
    return get_currency_precision(currency)


def quantize(amount, currency):
    """Round an amount to the currency's smallest unit, half up (as a cashier would)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_UP)


def validate_amount(amount, currency):
    """Positive, and no finer than the currency's smallest unit."""
    if amount is None or amount <= 0:
        raise ValidationError(_("Enter an amount above zero."), code="amount")
    if currency in currencies_in_use() and quantize(amount, currency) != amount:
        raise ValidationError(
            _("%(currency)s amounts have at most %(places)s decimal places.")
            % {"currency": currency, "places": minor_units(currency)},
            code="amount_precision",
        )


def validate_storable(amount, currency):
    """No more whole digits than the amount columns hold (a rate times hours can exceed them)."""
    whole_digits = MAX_DIGITS - STORED_PLACES
    if abs(quantize(amount, currency)) >= Decimal(10) ** whole_digits:
        raise ValidationError(
            _("That comes to more than Sayso can record. Check the amount and the hours."),
            code="amount_too_large",
        )


def format_money(amount, currency):
    """An amount as a person reads it: "£1,200.00", "€5.00", "NGN 50,000.00"."""
    locale = _babel_locale()
    text = format_currency(quantize(amount, currency), currency, locale=locale)
    if get_currency_symbol(currency, locale=locale) == currency:
        # A bare code runs into the digits ("NGN50,000.00"): keep them apart, unbroken.
        text = text.replace(currency, f"{currency}\u00a0", 1)
    return text


def hashable(amount):
    """The one text form of an amount that a ledger hash covers (stored precision)."""
    return format(Decimal(amount).quantize(Decimal(1).scaleb(-STORED_PLACES)), "f")


def _babel_locale():
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse((get_language() or "en").replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return "en"

from django import template

from .. import money as money_module

register = template.Library()


@register.filter
def money(amount, currency):
    """{{ amount|money:currency }} → "£1,200.00", in the reader's language."""
    if amount is None or not currency:
        return ""
    return money_module.format_money(amount, currency)

"""Balance arithmetic: agreed − paid, per currency, never summed across currencies.

Pure Decimal arithmetic with no database, so the rule has one home and can be tested on
any sequence of payments and corrections.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Balance:
    """What was agreed and paid in one currency, and so what is still owed."""

    currency: str
    agreed: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)

    @property
    def owed(self):
        return self.agreed - self.paid

    @property
    def overpaid(self):
        """Paid more than agreed: flagged, never hidden or netted against anything else."""
        return self.owed < 0

    @property
    def overpaid_by(self):
        return -self.owed if self.overpaid else Decimal(0)

    def __add__(self, other):
        if not isinstance(other, Balance):
            return NotImplemented
        if other.currency != self.currency:
            raise ValueError(
                f"Balances in {self.currency} and {other.currency} are never added together."
            )
        return Balance(self.currency, self.agreed + other.agreed, self.paid + other.paid)


def per_currency(balances: Iterable[Balance]):
    """Add balances up currency by currency; return them sorted by currency code."""
    totals = {}
    for balance in balances:
        current = totals.get(balance.currency)
        totals[balance.currency] = balance if current is None else current + balance
    return [totals[code] for code in sorted(totals)]

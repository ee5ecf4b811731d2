"""Exceptions shared by every app."""


class LedgerIsAppendOnly(Exception):
    """Raised when code tries to change or remove a ledger entry."""


class LedgerBusy(Exception):
    """The database stayed too busy to record a decision, even after retrying.

    Nothing was recorded; the person can safely try again. The portal answers it with a
    calm "please try again" page (core.middleware), never an error page.
    """

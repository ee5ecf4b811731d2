from django.core.exceptions import PermissionDenied


class ConsentRequired(PermissionDenied):
    """A story was about to go live with words its storyteller has not approved."""


class NotTheStoryteller(PermissionDenied):
    """Someone other than the story's storyteller tried to decide for them."""


class LedgerIsAppendOnly(Exception):
    """The consent ledger is only ever added to."""

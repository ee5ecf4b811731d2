"""The admin's permission policy for ledgers: entries are read, never changed or deleted."""

from wagtail.permission_policies import ModelPermissionPolicy

APPEND_ONLY = ("change", "delete")
READ_ONLY = ("add", "change", "delete")


class LedgerPolicy(ModelPermissionPolicy):
    """Refuses the ``refused`` actions to everyone, superusers too; the rest as Django grants.

    A ledger's entries are appended by its app's services, never edited in the admin
    (corrections are new entries). ``READ_ONLY`` for a ledger only services add to (consent
    decisions, storytellers' answers); ``APPEND_ONLY`` where editors add entries (payments).
    """

    def __init__(self, model, *, refused=APPEND_ONLY, **kwargs):
        super().__init__(model, **kwargs)
        self.refused = tuple(refused)

    def user_has_permission(self, user, action):
        if action in self.refused:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

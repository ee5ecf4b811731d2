from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in for both sides: the storytellers' portal (invitations, password reset, idle
    timeout, quick exit) and the editors' second step (a code from an authenticator app)."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import middleware  # noqa: F401  (signal receivers)

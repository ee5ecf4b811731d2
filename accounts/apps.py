from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Editors' sign-in: a second step (a code from an authenticator app) for the admin."""

    name = "accounts"
    verbose_name = "Accounts"

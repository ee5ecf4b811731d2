from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares and that depends on no app: hashing, the ledger, retries."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = "Sayso core"

from django.apps import AppConfig


class AdvisoryConfig(AppConfig):
    name = "advisory"
    verbose_name = "Survivor advisory review"

    def ready(self):
        from . import signals  # noqa: F401  (signal receivers)
        from .notifications import replace_wagtail_submission_email

        replace_wagtail_submission_email()

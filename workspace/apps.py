from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Editors' workspace"

    def ready(self):
        from .spreadsheets import neutralise_wagtail_exports

        neutralise_wagtail_exports()

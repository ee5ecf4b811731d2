from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "stories"
    verbose_name = "Stories"

    def ready(self):
        from . import signals  # noqa: F401  (cache purges)
        from .api import install

        install()

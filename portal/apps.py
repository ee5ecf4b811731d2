from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The storyteller's own space at /my/: thin views over consent, compensation and
    advisory's services and selectors. Those apps never import the portal."""

    name = "portal"
    verbose_name = "Storyteller portal"

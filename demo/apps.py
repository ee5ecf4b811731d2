from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo site (seed_demo): built on every other app, and nothing is built on it."""

    name = "demo"
    verbose_name = "Demo"

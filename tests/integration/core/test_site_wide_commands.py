"""Commands that act on every app live below them (core) or apart from them (demo)."""

import pytest
from django.core.management import get_commands


@pytest.mark.parametrize(
    ("command", "app"),
    [
        # Every app's ledgers; every app's encrypted fields (consent's and compensation's).
        ("verify_ledger", "core"),
        ("rotate_encryption_keys", "core"),
        # The demo site: storytellers, stories, payments and campaigns of every app.
        ("seed_demo", "demo"),
        # Wagtail's own, overridden so an unconsented version is never published on schedule.
        ("publish_scheduled", "stories"),
    ],
)
def test_a_site_wide_command_lives_in_the_app_below_or_apart_from_the_others(command, app):
    assert get_commands()[command] == app

"""The page cache on a real Redis, or on one that is down, for the tests that need either."""

import os

import pytest

TEST_REDIS_URL = os.environ.get("SAYSO_TEST_REDIS_URL", "")
# Nothing listens on port 1: every call fails at once, as when Redis is down.
CLOSED_PORT = "redis://127.0.0.1:1/0"

needs_redis = pytest.mark.skipif(
    not TEST_REDIS_URL,
    reason="needs a Redis server: set SAYSO_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/1)",
)


def redis_caches(location=TEST_REDIS_URL, key_prefix="sayso-test"):
    """CACHES for the fail-open Redis cache production uses, at ``location``."""
    return {
        "default": {
            "BACKEND": "sayso.cache_backends.FailOpenRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": key_prefix,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }

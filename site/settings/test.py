"""Tests: fast hashing, in-memory email, isolated media."""

import tempfile
from pathlib import Path

from consent.crypto import derive_dev_key

from .base import *  # noqa: F403

SECRET_KEY = "test-only-secret-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="sayso-test-media-"))
ALLOWED_HOSTS = ["*"]
SAYSO_PAGE_CACHE_STAMP = MEDIA_ROOT / "page-cache-generation"
# WhiteNoise looks for collected files here; tests serve static files through the finders.
STATIC_ROOT = MEDIA_ROOT / "static"
STATIC_ROOT.mkdir()

SAYSO_ENCRYPTION_KEYS = [derive_dev_key(SECRET_KEY)]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the shared in-memory database: concurrency tests run two real connections,
    # and shared-cache memory databases lock whole tables without waiting ("table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(MEDIA_ROOT / "test.sqlite3")}  # noqa: F405

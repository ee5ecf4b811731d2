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
SAYSO_PURGE_CHECK_SECONDS = 0
# WhiteNoise looks for collected files here; tests serve static files through the finders.
STATIC_ROOT = MEDIA_ROOT / "static"
STATIC_ROOT.mkdir()

SAYSO_ENCRYPTION_KEYS = [derive_dev_key(SECRET_KEY)]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, not shared-cache memory: threads in concurrency tests get their own
    # connections with SQLite's real locking (shared-cache memory locks whole tables).
    DATABASES["default"]["TEST"] = {"NAME": str(MEDIA_ROOT / "test.sqlite3")}  # noqa: F405

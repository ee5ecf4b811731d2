"""Tests: fast hashing, in-memory email, isolated media."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .keys import derive_dev_key

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

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's shared-cache memory database: tests with threads need real
    # connections and real locking (shared cache fails at once instead of waiting its turn).
    _db_dir = Path(tempfile.mkdtemp(prefix="sayso-test-db-"))
    DATABASES["default"]["TEST"] = {"NAME": str(_db_dir / "test.sqlite3")}  # noqa: F405
    # A throwaway database: no need to wait for the disk on every commit.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF;"  # noqa: F405

"""Production: refuses to start without a secret key or with DEBUG on."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

if not env("SECRET_KEY", default=""):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
SECRET_KEY = env("SECRET_KEY")
if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("DEBUG must be off in production.")
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin: see base.py (no-referrer breaks every form through the CSRF origin check).
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {
        "BACKEND": env(
            "DEFAULT_FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        )
    },
    # Hashed, compressed static files served by WhiteNoise from each app server.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if not SAYSO_ENCRYPTION_KEYS:  # noqa: F405
    raise ImproperlyConfigured("SAYSO_ENCRYPTION_KEYS must be set in production.")

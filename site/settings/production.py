"""Production: refuses to start without a secret key, encryption keys or email, or with DEBUG on."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

if not env("SECRET_KEY", default=""):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
SECRET_KEY = env("SECRET_KEY")
if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("DEBUG must be off in production.")
DEBUG = False

# Background work waits in the database for `manage.py db_worker`, which retries failures
# (on Django 6 it runs in the request until Wagtail queues through django.tasks: base.py).
SAYSO_TASKS_BACKEND = env(
    "SAYSO_TASKS_BACKEND",
    default="database" if "database" in TASK_BACKENDS else "immediate",  # noqa: F405
)
TASKS = {"default": {"BACKEND": TASK_BACKENDS[SAYSO_TASKS_BACKEND]}}  # noqa: F405

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

# Media: local disk, or object storage with SAYSO_S3_PRIVATE_BUCKET (base.py); any other
# storage class by DEFAULT_FILE_STORAGE_BACKEND.
STORAGES = {
    **STORAGES,  # noqa: F405
    # Hashed, compressed static files served by WhiteNoise from each app server.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if env("DEFAULT_FILE_STORAGE_BACKEND", default=""):
    STORAGES["default"] = {"BACKEND": env("DEFAULT_FILE_STORAGE_BACKEND")}

if not SAYSO_ENCRYPTION_KEYS:  # noqa: F405
    raise ImproperlyConfigured("SAYSO_ENCRYPTION_KEYS must be set in production.")

# Storytellers are told by email that something waits for them: without a way to send it,
# they would never know. The console backend is for development only.
if not env("EMAIL_URL", default=""):
    raise ImproperlyConfigured(
        "EMAIL_URL must be set in production, e.g. smtp+tls://user:password@smtp.example.org:587."
    )
if EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS:  # noqa: F405
    raise ImproperlyConfigured(
        "EMAIL_URL must name a real mail server in production, not the console."
    )

"""Settings shared by every environment; values come from the environment (12-factor)."""

from pathlib import Path

import django
import environ
from django.core.exceptions import ImproperlyConfigured

# The project package (site/ in a checkout, `sayso` once installed) and the folder around it.
PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

env = environ.Env()

# Databases, media and caches of a checkout go in var/; an installed project names its own.
VAR_DIR = Path(env("SAYSO_VAR_DIR", default=str(BASE_DIR / "var")))


def _project_folder(name):
    """templates/ or static/: beside site/ in a checkout, inside `sayso` once pip installs it."""
    installed = PROJECT_DIR / name
    return installed if installed.is_dir() else BASE_DIR / name


SECRET_KEY = env("SECRET_KEY", default=None)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where the admin and the storytellers' portal live: written once, here (site/urls.py mounts
# them; middleware and the page cache tell them apart by these).
SAYSO_ADMIN_PREFIX = "/admin/"
SAYSO_PORTAL_PREFIX = "/my/"

INSTALLED_APPS = [
    # Our apps come first so their templates and management commands take precedence
    # (stories overrides wagtail's publish_scheduled to skip unconsented revisions).
    "consent",
    "portal",
    "stories",
    "advisory",
    "workspace",
    "images",
    "compensation",
    "demo",
    "core",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "django.contrib.sitemaps",
    "wagtail.contrib.frontend_cache",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v3",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions, CSRF and sign-in, which all query the database with what was sent.
    "sayso.bad_input.RefuseUnstorableInputMiddleware",
    "csp.middleware.CSPMiddleware",
    "stories.middleware.PrivacyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.StorytellerSessionMiddleware",
    # Editors who added an authenticator give its code before the admin opens (accounts/).
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.AdminSecondStepMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A decision the database was too busy to record gets "please try again", not a 500.
    "core.middleware.LedgerBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Cached pages still pass back out through the header middleware above.
    "stories.cache.PublicPageCacheMiddleware",
    "stories.middleware.GoneMiddleware",
    "axes.middleware.AxesMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "sayso.urls"
WSGI_APPLICATION = "sayso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [_project_folder("templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sayso.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores SELECT … FOR UPDATE. BEGIN IMMEDIATE takes the write lock when a
    # transaction starts, so ledger appends queue up instead of failing half-way with
    # "database is locked"; a writer waits up to `timeout` seconds for its turn.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": env.float("SQLITE_TIMEOUT", default=20)}
    )

# What a page must pass to be public (consent.publication): dotted paths to callables, run in
# order by consent.selectors.publication_verdict, failing closed. Consent's rule is
# mandatory (a system check refuses to start without it); the others are the organisation's.
SAYSO_PUBLICATION_CHECKS = [
    "consent.selectors.storyteller_consent",
    "compensation.publication.payment_agreed",
    "advisory.publication.advisory_group_approved",
]

# A decision waits this long for another writer's lock (PostgreSQL), and is tried this many
# times, before the person is asked to try again (core.db, core.ledger).
SAYSO_LEDGER_LOCK_TIMEOUT = env.float("SAYSO_LEDGER_LOCK_TIMEOUT", default=10)
SAYSO_LEDGER_ATTEMPTS = env.int("SAYSO_LEDGER_ATTEMPTS", default=3)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Reads miss and writes drop while Redis is down (site/cache_backends.py).
            "BACKEND": "sayso.cache_backends.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sayso",
            # An unreachable Redis must cost a reader milliseconds, not a hung worker: the
            # page is then rendered uncached (stories/cache.py).
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (core/tasks.py): emails, purges, file take-downs and sweeps. "immediate"
# runs each task in the request that enqueued it (development, tests, the demo); "database"
# queues it for `manage.py db_worker`, which retries failures with backoff (production's
# default, see production.py).
TASK_BACKENDS = {"immediate": "django_tasks.backends.immediate.ImmediateBackend"}
if django.VERSION < (6, 0):
    # On Django 6, django-tasks-db serves Django's own django.tasks, while Wagtail 8 (and so
    # Sayso) queue through the django-tasks backport: its worker would refuse every task.
    TASK_BACKENDS["database"] = "django_tasks_db.DatabaseBackend"
SAYSO_TASKS_BACKEND = env("SAYSO_TASKS_BACKEND", default="immediate")
if SAYSO_TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"SAYSO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)} with this Django."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[SAYSO_TASKS_BACKEND]}}
# A failed task runs again after this many seconds, doubled on each attempt (at most
# SAYSO_TASK_RETRY_MAX_SECONDS), until it has failed SAYSO_TASK_MAX_ATTEMPTS times.
SAYSO_TASK_RETRY_SECONDS = env.float("SAYSO_TASK_RETRY_SECONDS", default=30)
SAYSO_TASK_RETRY_MAX_SECONDS = env.float("SAYSO_TASK_RETRY_MAX_SECONDS", default=3600)
SAYSO_TASK_MAX_ATTEMPTS = env.int("SAYSO_TASK_MAX_ATTEMPTS", default=10)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [_project_folder("static")]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Email from EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.org:587). Without one,
# and for consolemail://, messages are printed with every address masked (sayso/mail.py):
# Django's console backend would print storytellers' addresses. Production requires one.
CONSOLE_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "sayso.mail.MaskedConsoleBackend",
}
EMAIL_URL = env("EMAIL_URL", default="")
vars().update(env.email_url_config(EMAIL_URL or "consolemail://"))
if EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS:  # noqa: F821 - set by the line above
    EMAIL_BACKEND = "sayso.mail.MaskedConsoleBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Sayso <no-reply@sayso.invalid>")

LOGIN_URL = SAYSO_PORTAL_PREFIX + "login/"
AUTHENTICATION_BACKENDS = [
    # Throttles repeated failed logins on the portal and the admin alike.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, finding the account by sign-in name (any capitals) or email.
    "accounts.backends.SignInNameOrEmailBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
# Lock by account, and record no IP addresses: storytellers' whereabouts are not ours to keep.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_CLIENT_IP_CALLABLE = "accounts.middleware.no_client_ip"
AXES_DISABLE_ACCESS_LOG = True
# Axes logs each sign-in with the user name, address and browser; ours logs the route only.
AXES_CLIENT_STR_CALLABLE = "sayso.logs.axes_client_str"
# axes.W006 warns that locking by IP is off; we lock the account itself (so rotating
# user agents or cookies gains nothing) because we deliberately keep no IP addresses.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
# A sign-in attempt with any user name is recorded, however long (the column holds 255).
AXES_USERNAME_CALLABLE = "sayso.bad_input.axes_username"
# A page with next steps (when to try again, who can help), in the portal's style (429).
AXES_LOCKOUT_CALLABLE = "sayso.errors.locked_out"
# Two-step sign-in for the admin (accounts/): available to every editor; with this on,
# required of every account that can open the admin.
SAYSO_ADMIN_2FA_REQUIRED = env.bool("SAYSO_ADMIN_2FA_REQUIRED", default=False)
OTP_TOTP_ISSUER = "Sayso"
SESSION_COOKIE_HTTPONLY = True
# A form sent from a page left open too long gets a page in plain words, not "403 Forbidden".
CSRF_FAILURE_VIEW = "sayso.errors.csrf_failure"
SESSION_COOKIE_SAMESITE = "Lax"

# Wagtail
WAGTAIL_SITE_NAME = "Sayso"
# Where Sayso is reached: every absolute link in emails and the demo seed's site follow it.
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILIMAGES_IMAGE_MODEL = "images.SaysoImage"
# The database backend, with SQLite's search words quoted so any text can be searched for.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "sayso.search_backend"}}
WAGTAIL_I18N_ENABLED = False
# Any edit while a story waits for its storyteller restarts the review: the storyteller
# approves words, and changed words are different words.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# Wagtail's default finish action publishes the *latest* revision as the approving user;
# ours publishes exactly the revision the storyteller approved, if consent still holds.
WAGTAIL_FINISH_WORKFLOW_ACTION = "consent.workflow.publish_approved_revision"
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILAPI_DOCS_ENABLED = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# The edge caches in front of the app servers (Varnish with deploy/varnish/sayso.vcl), as
# the addresses Sayso sends its purges to, e.g. "http://127.0.0.1:6081"; none by default.
# Every change that can alter a public page bans the whole site there after it commits, and
# a story's addresses are purged through Wagtail's frontend cache (stories/edge.py).
SAYSO_EDGE_URLS = env.list("SAYSO_EDGE_URLS", default=[])
WAGTAILFRONTENDCACHE = {
    f"edge{number}": {"BACKEND": "stories.edge.EdgeBackend", "LOCATION": url}
    for number, url in enumerate(SAYSO_EDGE_URLS, start=1)
}
# The longest the edge keeps a public page (never past midnight UTC): the most an edge that
# can't be reached for a purge would go on serving.
SAYSO_EDGE_SECONDS = env.int("SAYSO_EDGE_SECONDS", default=300)
# A ban is repeated this long after the first, for pages that were on their way to the edge.
SAYSO_EDGE_SETTLE_SECONDS = env.float("SAYSO_EDGE_SETTLE_SECONDS", default=0.2)
# While a change that purges the edge is being committed, public pages are not kept by the
# edge; the mark saying so lasts at most this long if the process setting it dies.
SAYSO_EDGE_MARK_SECONDS = env.float("SAYSO_EDGE_MARK_SECONDS", default=10)
# The ban sent before the commit waits at most this long for the edge (it never fails the
# change: the ban after commit is the one retried until acknowledged).
SAYSO_EDGE_PRECOMMIT_TIMEOUT = env.float("SAYSO_EDGE_PRECOMMIT_TIMEOUT", default=0.5)
# After the edge failed a purge, takedowns don't wait for it (before or after their commit)
# for this long; their purges are owed and retried by the worker and the sweeps.
SAYSO_EDGE_DOWN_SECONDS = env.float("SAYSO_EDGE_DOWN_SECONDS", default=30)

# Logs carry no IP address, story text or personal field (sayso/logs.py,
# tests/integration/core/test_logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_story_addresses": {"()": "sayso.logs.NoStoryAddresses"}},
    "formatters": {
        "private": {
            "()": "sayso.logs.PrivateFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "private"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # Django's defaults would also mail every error, with the whole request (client
        # address, form fields: story text), to ADMINS. Only our console handler, here.
        "django": {"handlers": [], "level": "NOTSET", "propagate": True},
        # Request warnings ("Not Found: <path>", "Gone: <path>") name a path only, never the
        # query string or client; a story's slug becomes /stories/[story]/.
        "django.request": {"filters": ["no_story_addresses"], "level": "NOTSET"},
        # With DEBUG on, every SQL statement is logged with its parameters at DEBUG.
        "django.db.backends": {"level": "WARNING"},
        # At DEBUG, a missing template variable is logged with the whole template context:
        # the story, its changes, a storyteller's private words.
        "django.template": {"level": "WARNING"},
        # Wagtail logs page titles ("Page published: <title>") at INFO; its audit log in
        # the database already records who did what, for editors.
        "wagtail": {"level": "WARNING"},
    },
}

# Who holds the storytellers' data, as printed on their consent receipts.
SAYSO_ORGANISATION = {
    "name": env("SAYSO_ORG_NAME", default="Sayso demo organisation"),
    "contact": env("SAYSO_ORG_CONTACT", default="Data protection lead"),
    "address": env("SAYSO_ORG_ADDRESS", default="(address not configured)"),
    "email": env("SAYSO_ORG_EMAIL", default="privacy@sayso.invalid"),
    "phone": env("SAYSO_ORG_PHONE", default=""),
    "url": env("SAYSO_ORG_URL", default=WAGTAILADMIN_BASE_URL.rstrip("/") + "/"),
    "jurisdiction": env("SAYSO_ORG_JURISDICTION", default="GB"),
    "policy_url": env(
        "SAYSO_PRIVACY_POLICY_URL", default=WAGTAILADMIN_BASE_URL.rstrip("/") + "/privacy/"
    ),
}
# Where "Leave this site" goes: an ordinary, neutral site.
SAYSO_QUICK_EXIT_URL = env("SAYSO_QUICK_EXIT_URL", default="https://www.bbc.com/weather")
# Storytellers are signed out after this long without activity.
SAYSO_PORTAL_IDLE_SECONDS = env.int("SAYSO_PORTAL_IDLE_SECONDS", default=15 * 60)

# Whole public pages are cached at most this long (and never past midnight UTC).
SAYSO_PAGE_CACHE_SECONDS = env.int("SAYSO_PAGE_CACHE_SECONDS", default=600)
# How often each worker asks the database whether a failed purge is still owed (and retries
# it); 0 asks on every cached answer. Readers never get a cached copy while one is owed.
SAYSO_PURGE_CHECK_SECONDS = env.float("SAYSO_PURGE_CHECK_SECONDS", default=1.0)
# Without Redis, purges reach every worker on this machine through this file's mtime.
SAYSO_PAGE_CACHE_STAMP = Path(
    env("SAYSO_PAGE_CACHE_STAMP", default=str(VAR_DIR / "page-cache-generation"))
)

# Reader privacy: nothing from third parties, no inline code, no referrer.
# same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with every
# form POST, so Django's CSRF check refuses all of them (portal and admin sign-in included).
# same-origin still sends no referrer to any other site; public pages add no-referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    # Wagtail's admin relies on inline scripts and styles; it is for staff only.
    "EXCLUDE_URL_PREFIXES": [SAYSO_ADMIN_PREFIX],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# Images: only readable JPEG, PNG and WebP photos within these limits are stored, always
# without their metadata (images/metadata.py, images/models.py). The admin's upload forms
# check the header before anything is decoded, so a decompression bomb costs nothing.
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env.int("WAGTAILIMAGES_MAX_UPLOAD_SIZE", default=20 * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = env.int("WAGTAILIMAGES_MAX_IMAGE_PIXELS", default=40_000_000)
WAGTAILIMAGES_IMAGE_FORM_BASE = "images.forms.SaysoImageForm"

# Object storage (`pip install .[s3]`, django-storages). Originals go to a private bucket:
# never public, and the admin gets short-lived signed links to them. Renditions, the only
# files readers get, go to a public bucket (public-read, unsigned addresses) or the same
# bucket with public-read objects under images/. Credentials come from the environment as
# boto3 reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from these options, so
# no queued task (Wagtail's file deletion records its storage's options) holds a secret.
SAYSO_S3_PRIVATE_BUCKET = env("SAYSO_S3_PRIVATE_BUCKET", default="")
if SAYSO_S3_PRIVATE_BUCKET:
    SAYSO_S3_PUBLIC_BUCKET = env("SAYSO_S3_PUBLIC_BUCKET", default=SAYSO_S3_PRIVATE_BUCKET)
    _s3_endpoint = env("SAYSO_S3_ENDPOINT_URL", default="") or None
    _s3_public_domain = env("SAYSO_S3_PUBLIC_DOMAIN", default="") or None
    _s3 = {
        "endpoint_url": _s3_endpoint,
        "region_name": env("SAYSO_S3_REGION", default="") or None,
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": SAYSO_S3_PRIVATE_BUCKET,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("SAYSO_S3_SIGNED_URL_SECONDS", default=300),
        },
    }
    STORAGES["renditions"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": SAYSO_S3_PUBLIC_BUCKET,
            "default_acl": "public-read",
            "querystring_auth": False,
            "custom_domain": _s3_public_domain,
        },
    }
    # Readers' browsers fetch renditions from the public bucket: the CSP must allow it.
    if _s3_public_domain:
        _s3_origins = [f"https://{_s3_public_domain}"]
    elif _s3_endpoint:
        _s3_origins = [_s3_endpoint.rstrip("/")]
    else:
        _s3_origins = [f"https://{SAYSO_S3_PUBLIC_BUCKET}.s3.amazonaws.com"]
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].extend(_s3_origins)
# Renditions use STORAGES["renditions"] when there is one, else the default storage.
WAGTAILIMAGES_RENDITION_STORAGE = "images.storage.RenditionStorage"

# Keys for personal data encrypted at rest (core.crypto): comma-separated Fernet keys,
# newest first. Production requires them; elsewhere a key is derived from SECRET_KEY.
SAYSO_ENCRYPTION_KEYS = env.list("SAYSO_ENCRYPTION_KEYS", default=[])

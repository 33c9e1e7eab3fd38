"""Settings shared by every environment; what differs comes from the environment."""

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer may keep local overrides in .env (never committed).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
# Key rotation: the previous keys, still accepted for signatures made under them
# (sessions, invitation links) until they are dropped from here.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "csp",
    "django_countries",
    # R28: two-step verification: authenticator apps (TOTP), recovery codes
    # (static tokens) and passkeys (WebAuthn), as second factors after the password.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    # R39: the partner API (JSON under /api/v1/), its schema and self-hosted docs.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
LOCAL_APPS = ["core", "partners", "customers", "invitations", "gdap", "api"]
# After the portal's apps: core's `db_worker` (the library's worker plus crash
# recovery, core/management/commands/db_worker.py) takes precedence over theirs.
TASK_APPS = ["django_tasks", "django_tasks_db"]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS + TASK_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise right after SecurityMiddleware so static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # R20: a NUL character in the query string or form is a 400 before anything
    # reads it (PostgreSQL would refuse it with a 500).
    "config.middleware.RejectNulBytesMiddleware",
    # Outermost of our own: a database that does not answer becomes a 503 page.
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # R28: request.user.is_verified() once the second step is done this session.
    "django_otp.middleware.OTPMiddleware",
    # Sessions end after SESSION_IDLE_SECONDS without a request and
    # SESSION_COOKIE_AGE after sign-in; each is listed on My account (R30).
    "core.sessions.SessionActivityMiddleware",
    # R28: a person signed in with a password whose second step is due reaches
    # only that step (or its set-up, where their role requires one).
    "partners.two_step.TwoStepRequiredMiddleware",
    # R45: dates and times in the signed-in person's time zone.
    "core.time_middleware.PersonTimeZoneMiddleware",
    # A signed-in user's pages are kept by no cache (unless a view says otherwise).
    "config.middleware.PrivateCacheForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partners.context_processors.portal",
                "core.context_processors.notifications",
            ],
        },
    }
]

# SQLite by default (embedded, nothing to set up); DATABASE_URL selects PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two concurrent acceptances queue
    # instead of failing with "database is locked" when upgrading a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["partners.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# R29 sign-in throttling, in the shared cache. Each attempt is counted before the
# password (or code) is checked: LOGIN_FAILURE_LIMIT attempts for one account from
# one client address, and LOGIN_IP_FAILURE_LIMIT from one client address whatever
# the account, within LOGIN_LOCKOUT_SECONDS; a success clears the account's count
# for that address. Nobody elsewhere is affected, so a stranger cannot lock a
# person out. Codes (second step, sign-up) share the scheme (CODE_FAILURE_LIMIT).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
CODE_FAILURE_LIMIT = env.int("CODE_FAILURE_LIMIT", default=5)
# How many proxies in front of the portal append to X-Forwarded-For; their
# entries are trusted, counted from the right. 0: the socket's address only.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Per-process memory by default (one runserver); production requires a shared
# cache (CACHE_URL=redis://127.0.0.1:6379/0) so every worker sees the same limits.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://portal")}

# Sessions: 30 minutes idle, 12 hours at most from sign-in.
SESSION_COOKIE_AGE = env.int("SESSION_MAX_SECONDS", default=12 * 3600)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# R26/R27: set-password links for added users last 7 days; reset links 1 hour.
SET_PASSWORD_TIMEOUT = env.int("SET_PASSWORD_TIMEOUT", default=7 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# R28: authenticator apps show this name beside the account.
OTP_TOTP_ISSUER = "Reseller portal"
OTP_TOTP_THROTTLE_FACTOR = 0  # codes are throttled by the R29 buckets, per account
OTP_STATIC_THROTTLE_FACTOR = 0  # and address: a per-device delay lets anyone stall one
# Passkeys are a second factor here, never a sign-in on their own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Reseller portal"
# The relying party is the portal's own host; browsers check the origin.

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# R45: our own date formats per language (English day-month-year; every date-time
# format names its zone), over Django's.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# R21: outgoing mail goes to the SMTP server of EMAIL_URL ("smtp://host:1025",
# "smtp+tls://user:password@host:587"); the console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="portal@portal.example")

# The product's own settings.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# R28 passkeys: the relying party is the portal's host name (WebAuthn accepts no IP
# address: locally, open http://localhost:8000 to use one), and the origins a
# passkey may be used from.
OTP_WEBAUTHN_RP_ID = env(
    "WEBAUTHN_RP_ID",
    default=(urlsplit(PORTAL_BASE_URL).hostname or "").replace(
        "127.0.0.1", "localhost"
    ),
)
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ALLOWED_ORIGINS",
    default=[PORTAL_BASE_URL.replace("://127.0.0.1", "://localhost")],
)
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=90)
# R22: emails a partner may send from the portal in any hour.
SEND_LIMIT_PER_HOUR = env.int("SEND_LIMIT_PER_HOUR", default=200)
# R23: reminders this many days before a request sent from the portal expires.
INVITATION_REMINDER_DAYS = sorted(
    {int(day) for day in env.list("INVITATION_REMINDER_DAYS", default=["7", "1"])},
    reverse=True,
)

# R21: the job queue is the project's own database (django-tasks-db), worked by
# `manage.py db_worker`. A task that fails for a passing reason (SMTP 4xx, no
# connection, a timeout) runs again after TASK_RETRY_BASE_SECONDS, then 4 times
# longer each time (at most 4 hours apart), TASK_MAX_ATTEMPTS times in all: by
# default 1 min, 4 min, 16 min, 64 min, 4 h, 4 h, 4 h (about 13.5 hours).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=8)
TASK_RETRY_BASE_SECONDS = env.float("TASK_RETRY_BASE_SECONDS", default=60)
TASK_RETRY_MAX_SECONDS = env.float("TASK_RETRY_MAX_SECONDS", default=4 * 3600)
# Each worker records that it is alive this often; a task whose worker has been
# silent for WORKER_LOST_SECONDS (killed, machine gone) is run again.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5)
WORKER_LOST_SECONDS = env.float("WORKER_LOST_SECONDS", default=30)

INVITATION_EXPERIENCE_CUTOVER = datetime.fromisoformat(
    env("INVITATION_EXPERIENCE_CUTOVER", default="2018-11-01T00:00:00+00:00")
).astimezone(UTC)

# No inline script anywhere: JavaScript lives in static/js and only enhances pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# R39: the partner API. Token authentication only (no session: a browser's
# cookies never act on the API, so it needs no CSRF); problem+json errors.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PerTokenThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "api.errors.problem_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reseller portal API",
    "DESCRIPTION": "The partner API of the reseller portal (R39).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "status", each with its own choices.
    "ENUM_NAME_OVERRIDES": {
        "InvitationStatusEnum": "invitations.models.Invitation.Status",
        "AdminRelationshipStatusEnum": "gdap.models.AdminRelationship.Status",
        "ResellerRelationshipStatusEnum": (
            "customers.models.ResellerRelationship.Status"
        ),
        "ServiceRequestStatusEnum": "customers.models.ServiceRequest.Status",
    },
}
# R40: webhook targets on private, loopback or link-local addresses (and plain
# HTTP) only where this says so: tests and local trials.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
# R40: seconds between a webhook delivery's attempts (more than 24 hours in all),
# and the consecutive failures after which an endpoint is disabled.
WEBHOOK_RETRY_DELAYS = env.list(
    "WEBHOOK_RETRY_DELAYS",
    cast=float,
    default=[60, 300, 1800, 7200, 21600, 43200, 86400, 86400],
)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=50)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Invitation links are secrets: request lines that carry one are redacted.
        "redact_tokens": {"()": "config.logging.RedactInvitationTokens"},
    },
    "formatters": {
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            # StreamHandler writes to stderr unless told otherwise.
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["stdout"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Replace Django's default console handler, which would print request
        # paths (and so invitation links) unredacted.
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "django.server": {
            "handlers": ["stdout"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

"""Django settings for Visitors.

Every value comes from the environment, read here and nowhere else. Secrets can also be
given as files: for a variable NAME, NAME_FILE names a file holding the value (the way
Docker secrets are mounted). Defaults are the safe production ones; development turns on
DEBUG explicitly (compose.override.yaml does).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from visitors import json_logs

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    """The value of NAME, or the contents of the file named by NAME_FILE, or default."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {error}") from error
    return default


def env_bool(name, default=False):
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DEBUG is off."
        )
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "visitors",
]

MIDDLEWARE = [
    # First, so every log line, error page and JSON error of a request carries its id.
    "visitors.request_id.RequestIdMiddleware",
    # Next, so an answer any other middleware gives counts too, and its time is all of it.
    "visitors.metrics.middleware.RequestMetricsMiddleware",
    # The language (Accept-Language, or the switcher's cookie; English under /api) before
    # anything that may answer, so every page, the database's 503 ones included, speaks it.
    # It reads no session, so it need not follow SessionMiddleware.
    "visitors.i18n.LocaleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so its deadline covers every query of a request (sessions included).
    "visitors.middleware.DatabaseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "visitors_site.urls"
WSGI_APPLICATION = "visitors_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.csp",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DEBUG:
    # Development reads templates fresh on every request, so an edit shows on the next reload
    # (gunicorn --reload only watches Python files).
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]

# PostgreSQL through psycopg 3 and its connection pool, with Django's backend made to check
# pooled connections without a round trip (visitors_site/postgresql/). CONN_MAX_AGE is how long
# a thread keeps its connection between requests: with the pool, before handing it back to it.
DATABASE_POOL = env_bool("DATABASE_POOL", default=True)
DATABASES = {
    "default": {
        "ENGINE": "visitors_site.postgresql",
        # A host or a comma-separated list of them (libpq's form, with PORT one port or one
        # each): the backend connects to the first that is a primary, never to a standby.
        "HOST": env("DATABASE_HOST", "localhost"),
        "PORT": env("DATABASE_PORT", "5432"),
        "NAME": env("DATABASE_NAME", "visitors"),
        "USER": env("DATABASE_USER", "visitors"),
        "PASSWORD": env("DATABASE_PASSWORD"),
        "CONN_MAX_AGE": int(env("DATABASE_CONN_MAX_AGE", "60")),
        # Connections broken by a database restart are replaced, not handed to a request
        # (without the pool; the pool has the backend's own check).
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # A database that does not answer must not hold a request (or /health) for long.
            "connect_timeout": int(env("DATABASE_CONNECT_TIMEOUT", "2")),
            "pool": {
                "min_size": int(env("DATABASE_POOL_MIN_SIZE", "2")),
                "max_size": int(env("DATABASE_POOL_MAX_SIZE", "4")),
                # Seconds a request waits for a connection before it is answered 503.
                "timeout": float(env("DATABASE_POOL_TIMEOUT", "1.5")),
                # While the database is away the pool retries with a doubling delay; capping
                # the retries at a few seconds lets it reconnect within seconds of its return.
                "reconnect_timeout": float(env("DATABASE_POOL_RECONNECT_TIMEOUT", "5")),
            }
            if DATABASE_POOL
            else False,
        },
    }
}

# Seconds each query of a request may wait for the database's answer. A database that stops
# answering (paused, frozen storage, cut off the network) costs a request this long and then a
# 503, instead of holding a worker thread for as long as it lasts. Commands have no deadline.
DATABASE_QUERY_TIMEOUT = float(env("DATABASE_QUERY_TIMEOUT", "1.5"))

# Each gunicorn worker keeps rendered answers in its own memory, keyed by the database
# snapshot they show (visitors/freshness.py), so no worker ever serves a stale one. The budget
# is per worker; any client can ask for many distinct pages, so it is in bytes. Development
# keeps none, so an edited template shows at once.
VISITORS_ANSWER_CACHE_BYTES = int(env("VISITORS_ANSWER_CACHE_MIB", "0" if DEBUG else "16")) * 2**20

# Django's own cache holds the empty sign-in form's fields (a template fragment).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.dummy.DummyCache"
        if DEBUG
        else "django.core.cache.backends.locmem.LocMemCache",
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Pages speak the visitor's language (visitors/i18n.py): Accept-Language chooses, and the
# switcher's cookie, kept a year, overrides it. Dates and numbers take the language's formats.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)")]
# Our catalogs (.po in the repository, .mo compiled by the image build; the dev image keeps its
# compiled copy outside the bind-mounted source, in DJANGO_LOCALE_PATH).
LOCALE_PATHS = [Path(env("DJANGO_LOCALE_PATH", str(BASE_DIR / "locale")))]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed file names (cached for a year by nginx) with gzip and brotli copies made once,
    # at build time.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# nginx is the only client of gunicorn (over a Unix socket no other container can reach),
# and it always overwrites these headers with what it saw itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = True

# Scripts only from this site or with the per-response nonce (htmx_script adds it); no inline
# styles, no plugins, no framing, forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "visitors.errors.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # htmx posts the token from the form, JavaScript never reads it
# Switch these on when the site is served over HTTPS (see README, "Production").
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT")
# The public HTTPS host:port to redirect to, when it differs from the one asked for over HTTP.
SECURE_SSL_HOST = env("DJANGO_SECURE_SSL_HOST") or None
# Health checks come over gunicorn's socket, never over HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health(/live)?$"]
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Allows submitting the site to browsers' HSTS preload list; it does not submit it.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD")

# Bodies are tiny (a visitor is at most a few kilobytes); nginx enforces its own limit first.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# The API's tokens: the API token reads and writes, the read-only token only reads. Without
# them every call but the OpenAPI document is refused.
VISITORS_API_TOKEN = env("VISITORS_API_TOKEN")
VISITORS_API_READ_TOKEN = env("VISITORS_API_READ_TOKEN")
VISITORS_PAGE_SIZE = 20
# Days a visitor's record is kept: the retention service deletes older ones every day.
VISITORS_RETENTION_DAYS = int(env("VISITORS_RETENTION_DAYS", "30"))

# Management commands speak the language of the shell's locale, as command-line programs do
# (LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the first set), when it is one of LANGUAGES.
VISITORS_COMMAND_LOCALE = next(
    (value for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG") if (value := env(name))), ""
)

# The first admin user, created by `manage.py create_admin` (the migrate job runs it).
VISITORS_ADMIN_USERNAME = env("DJANGO_ADMIN_USERNAME", "admin")
VISITORS_ADMIN_EMAIL = env("DJANGO_ADMIN_EMAIL", "")
VISITORS_ADMIN_PASSWORD = env("DJANGO_ADMIN_PASSWORD")

# JSON lines on standard error, each with its request's id, Python's warnings included
# (visitors/json_logs.py; gunicorn logs the same way).
LOGGING_CONFIG = "visitors.json_logs.configure"
LOGGING = json_logs.config(env("DJANGO_LOG_LEVEL", "INFO"))

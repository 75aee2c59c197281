"""Settings for IER Tracker: one module, every value read from the environment.

With nothing set it runs for local development on a SQLite file. Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README, "Configuration").
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from iertracker.env import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent

# Like healthchecks, DEBUG defaults to on so that a fresh checkout runs with nothing set;
# a deployment must say DEBUG=0 and then cannot start without a real SECRET_KEY.
DEBUG = envbool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "django-insecure-local-development-only"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (
    SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key: set a long random one when DEBUG is off "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must name the site's host names when DEBUG is off (comma-separated)."
    )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# HTTPS and cookies. On by default when DEBUG is off; each can be turned off, e.g. to try the
# production configuration over plain HTTP on one's own machine (make serve does).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: every form carries the token
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(8 * 3600))  # a working day
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own): the site's own scripts, styles, images and fonts
# only; no inline script or style anywhere (the API docs page is overridden for that).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (README, Deployment).
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "iertracker.admin_site.BackOfficeConfig",  # django.contrib.admin, every write atomic
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "import_export",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Two-step verification (iertracker/mfa.py): authenticator apps (TOTP), recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "recommendations",
]

MIDDLEWARE = [
    # /healthz and /readyz answer before the host check, for load balancers that probe by IP.
    "iertracker.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "iertracker.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous visitors' pages from the cache: before the middleware that set cookies, so
    # that it keeps no page that sets one (recommendations/caching.py).
    "recommendations.caching.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "iertracker.mfa.SecondFactorMiddleware",  # the back-office and /reporting/ ask for it
    "recommendations.audit.AuditMiddleware",  # who and from where, for the audit log
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: answers a locked-out login with its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Password guessing (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from
# one address, that pair is locked out for AXES_COOLOFF_MINUTES; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5", minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "iertracker.security.axes_username"
AXES_IPWARE_PROXY_COUNT = envint("AXES_PROXY_COUNT", "0") or None

ROOT_URLCONF = "iertracker.urls"
# The back-office's path: another one keeps scanners of /admin/ away (e.g. ADMIN_URL=office-7f3/).
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

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
                "recommendations.context_processors.demo_data",
                "recommendations.context_processors.reporting_links",
            ],
        },
    },
]

WSGI_APPLICATION = "iertracker.wsgi.application"

# A SQLite file by default; DATABASE_URL=postgres://user:password@host:5432/name for PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections in production (checked before each request's first query).
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A transaction takes SQLite's write lock when it begins, so two saves at once wait for each
    # other (up to the timeout) instead of one failing with "database is locked" part-way.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

# A shared cache (Redis) when REDIS_URL is set, e.g. redis://127.0.0.1:6379/0; else each
# process keeps its own in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "iertracker.cache.BoundedLocMemCache",
        "OPTIONS": {
            "MAX_ENTRIES": envint("LOCAL_CACHE_MAX_ENTRIES", "300", minimum=1),
            # Bounded in bytes too: at most this much per process (pickled pages).
            "MAX_BYTES": envint("LOCAL_CACHE_MAX_BYTES", str(32 * 2**20), minimum=1),
        },
    }
}
# Anonymous visitors' pages are kept in that cache, keyed by the page (its path and the
# parameters pages read: caching.canonical_query), the language and the data version that
# every change replaces (recommendations/caching.py); at most this many seconds even if
# nothing changes (0: off), and only pages up to this size.
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", "300")
PUBLIC_CACHE_MAX_BYTES = envint("PUBLIC_CACHE_MAX_BYTES", str(2 * 2**20))
# Shared by every process (Redis): the data version is then read from the cache too, and a
# page served from it needs no database query.
PUBLIC_CACHE_SHARED = bool(REDIS_URL)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# An uploaded file past the import's limit (10 MB) is dropped while it arrives, before anything
# parses it (recommendations/uploads.py); Django's own handlers keep the rest.
FILE_UPLOAD_HANDLERS = [
    "recommendations.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# The audit trail (django-simple-history): reasons can be long, reverting from the
# history page is off because every change must go through recommendations.services.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# The licence of the open data (the Open data page and the downloads' documentation). The
# facts keep the terms of the sources they are cited from.
OPEN_DATA_LICENCE = os.environ.get("OPEN_DATA_LICENCE", "CC BY 4.0")
OPEN_DATA_LICENCE_URL = os.environ.get(
    "OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
)

# The public JSON API (/api/, recommendations/api.py): read-only, JSON only, throttled per IP
# (anonymous) or per account (signed in; the session only sets the rate, never the answers).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "1000/hour"),
        "user": os.environ.get("API_USER_RATE", "5000/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IER Tracker API",
    "DESCRIPTION": (
        "Read-only public data of the 384 recommendations of the Independent Expert Review of "
        "the ICC: the Matrix's rows and filters, vocabularies, mandate-holders, published "
        "editions and each recommendation's published history. No authentication; labels in "
        "the request's language (Accept-Language: en or fr)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "AUTHENTICATION_WHITELIST": [],  # nothing to authenticate: the schema names no scheme
    # Swagger UI from the site's static files (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The default hook, then the API's errors (JSON, documented on every operation).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "recommendations.api.errors_in_schema",
    ],
}

# Accounts: Django's own views under /accounts/ (log in, log out, password change and reset).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "recommendations:reporting"
LOGOUT_REDIRECT_URL = "recommendations:dashboard"

# Two-step verification for the back-office's accounts and the Secretariat (iertracker/mfa.py).
# MFA_REQUIRED=0 turns the requirement off for local development; never in production.
MFA_REQUIRED = envbool("MFA_REQUIRED", True)
if not MFA_REQUIRED and not DEBUG:
    raise ImproperlyConfigured("MFA_REQUIRED=0 is for local development only (DEBUG=1).")
OTP_TOTP_ISSUER = "IER Tracker"

# The site's address, for every link in an e-mail (password reset and invitation included).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# E-mail goes to the console with DEBUG on and to SMTP with it off, unless EMAIL_BACKEND says
# otherwise; SMTP reads EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS or EMAIL_USE_SSL (Django 6.1's
# MAILERS setting, which replaces the EMAIL_* settings).
_MAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_MAIL_OPTIONS = {}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    _MAIL_OPTIONS = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", "0") or None,
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", False),
        "use_ssl": envbool("EMAIL_USE_SSL", False),
        "timeout": 20,
    }
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "IER Tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Logs go to stdout: one JSON object per line when DEBUG is off (LOG_FORMAT=json|text).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "iertracker.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

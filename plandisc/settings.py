"""
Plandisc Enterprise settings: one file, driven by environment variables.

Defaults let a fresh checkout run on SQLite with nothing installed. Production sets DATABASE_URL (PostgreSQL),
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, PLANDISC_BASE_URL and REDIS_URL; see .env.example.
"""

import os
from pathlib import Path

import dj_database_url

from plandisc.env import envbool, envint

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DJANGO_DEBUG", "False")
# An empty key is caught by the plandisc.E001 system check when DEBUG is off; in DEBUG a fixed
# development key keeps `make run` working without configuration.
SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", "") or ("insecure-development-key" if DEBUG else "")
ALLOWED_HOSTS = [
    h for h in os.getenv("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
PLANDISC_BASE_URL = os.getenv("PLANDISC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "plandisc",
    # The Enterprise page and the rooms it is made of, each owning its models (README, "Architecture").
    "enterprise",
    "enterprise.directory",
    "enterprise.activity",
    "enterprise.roles",
    "enterprise.credentials",
    "enterprise.sso",
    "enterprise.alerts",
    "scim",
]

MIDDLEWARE = [
    # /healthz answers load balancers before the host check, the https redirect and everything else.
    "plandisc.health.HealthCheckMiddleware",
    # SCIM requests are answered by scim.pipeline itself: sessions, CSRF, messages and the single sign-on
    # session check never run for them.
    "scim.pipeline.ScimMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "plandisc.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the language cookie (the switcher), else the browser's Accept-Language, else
    # English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out single sign-on sessions of members who have been deactivated or deleted (enterprise.sso).
    "enterprise.sso.middleware.SsoSessionMiddleware",
    # A signed-in person's own language (chosen with the switcher, or Entra's preferredLanguage at single
    # sign-on) wins over the cookie and the browser: it follows them to every device.
    "enterprise.language.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "plandisc.urls"
WSGI_APPLICATION = "plandisc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite file when DATABASE_URL is unset. WAL and a busy timeout let concurrent requests (and
# the test suite's threads) wait for the write lock instead of failing with "database is locked";
# IMMEDIATE transactions take the write lock up front so two writers never deadlock on an upgrade.
SQLITE_PATH = BASE_DIR / "var" / "plandisc.sqlite3"
DATABASES = {
    # No health check per request (a `SELECT 1` round trip each time): a connection that died is closed after
    # the one request that finds out, which SCIM answers 503 with Retry-After.
    "default": dj_database_url.config(default=f"sqlite:///{SQLITE_PATH}", conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and statements a connection has run 5 times prepared (psycopg's
    # threshold; Django turns preparing off unless asked): the SCIM hot paths are parsed and planned once per
    # connection instead of at every request. Their plans stay right when PostgreSQL keeps a generic one
    # (tests/directory/test_plans.py); SCIM list pages, whose plans depend on the enterprise, turn preparing
    # off (scim.views._unprepared). Behind a transaction-pooling PgBouncer, turn both off.
    server_side_binding = envbool("DATABASE_SERVER_SIDE_BINDING", "True")
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": server_side_binding,
        "prepare_threshold": 5 if server_side_binding else None,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, so live-server and concurrency tests share it across threads; one per process, so test runs
    # started side by side do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: shared state between workers and hosts (SCIM rate limits) lives here. Production sets REDIS_URL;
# without it a per-process cache serves the single-process embedded run.
if os.getenv("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work (plandisc/celery.py): Celery with Redis as the broker. Unset (a fresh checkout, `make run`,
# the tests): tasks run eagerly in the process that calls them, and `manage.py run_periodic` runs the
# periodic jobs. CELERY_RESULT_BACKEND is optional: nothing in the app reads task results.
CELERY_BROKER_URL = os.getenv("CELERY_BROKER_URL") or os.getenv("REDIS_URL", "")
CELERY_RESULT_BACKEND = os.getenv("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs (plandisc/periodic.py): task -> seconds between runs. Each runs once per period however many
# beat schedulers and workers run.
PERIODIC_JOBS = {
    "enterprise.alerts.tasks.alerts_check": envint("ALERTS_CHECK_SECONDS", "300"),
    "enterprise.activity.tasks.provisioning_activity_prune": 24 * 3600,
    "enterprise.activity.tasks.provisioning_partitions_create": 3600,
    "enterprise.sso.tasks.sso_records_prune": 3600,
    "enterprise.directory.tasks.deleted_members_purge": 3600,
}
CELERY_BEAT_SCHEDULE = {name: {"task": name, "schedule": every} for name, every in PERIODIC_JOBS.items()}

# Alerts (enterprise/alerts): how long provisioning may be silent before the admins hear of it (Entra calls
# about every 40 minutes), and how long after the last email of one kind the next may go.
ALERT_SILENT_AFTER_MINUTES = envint("ALERT_SILENT_AFTER_MINUTES", "120")
ALERT_EMAIL_INTERVAL_MINUTES = 60

# Email (alerts): SMTP when EMAIL_HOST is set; otherwise each email is printed on the console, which is what
# `make run` shows.
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True" if EMAIL_HOST else "False")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Plandisc <no-reply@plandisc.example>")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "enterprise:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# English and Danish (locale/da/LC_MESSAGES/django.po, compiled to django.mo in the repository).
LANGUAGES = [("en", "English"), ("da", "Dansk")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves what `collectstatic` (release step, `make run`) put in STATIC_ROOT: compressed, under
# names that carry a hash of their content, so browsers may keep them forever (Cache-Control: immutable).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
# Production (DEBUG off) is https only: plandisc.E002 refuses an http PLANDISC_BASE_URL, plain http requests
# are redirected, browsers are told to stay on https for a year (the `preload` token changes nothing until
# the domain is submitted to the preload list), and cookies never travel over http.
SECURE_SSL_REDIRECT = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# Behind a TLS-terminating proxy or load balancer that sets X-Forwarded-Proto and appends the client's
# address to X-Forwarded-For (and strips what clients send). Only then are those headers believed: a client
# could forge them.
PLANDISC_BEHIND_PROXY = envbool("PLANDISC_BEHIND_PROXY", "False")
if PLANDISC_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

# SCIM service provider (scim/): limits, paging and how activity rows are batched (scim/activity.py).
SCIM_RATE_LIMIT_PER_MINUTE = envint("SCIM_RATE_LIMIT_PER_MINUTE", "6000")
# Requests without a valid token, per enterprise and per client address: beyond these, 429 and one
# activity row per address and minute instead of one per request.
SCIM_REFUSED_PER_MINUTE = envint("SCIM_REFUSED_PER_MINUTE", "300")
SCIM_REFUSED_PER_ADDRESS_PER_MINUTE = envint("SCIM_REFUSED_PER_ADDRESS_PER_MINUTE", "30")
SCIM_MAX_BODY_BYTES = envint("SCIM_MAX_BODY_BYTES", str(1024 * 1024))
SCIM_MAX_PAGE_SIZE = envint("SCIM_MAX_PAGE_SIZE", "500")
SCIM_DEFAULT_PAGE_SIZE = envint("SCIM_DEFAULT_PAGE_SIZE", "100")
SCIM_ACTIVITY_RETENTION_DAYS = envint("SCIM_ACTIVITY_RETENTION_DAYS", "90")
SCIM_ACTIVITY_BATCH = envint("SCIM_ACTIVITY_BATCH", "100")
SCIM_ACTIVITY_MAX_DELAY = envint("SCIM_ACTIVITY_MAX_DELAY", "1")
# Credential resolutions each worker keeps (scim/auth.py), least recently used first out: one per live
# credential of the enterprises calling it, so a worker's memory stays flat however many enterprises call.
SCIM_CREDENTIAL_CACHE_SIZE = envint("SCIM_CREDENTIAL_CACHE_SIZE", "10000")
# ... and for how long at most, in seconds: revocation, rotation, the provisioning switch, seats and the
# default role reach every worker at once through the shared credentials version, whatever this is.
SCIM_CREDENTIAL_CACHE_SECONDS = envint("SCIM_CREDENTIAL_CACHE_SECONDS", "900")
# How long members the identity provider deleted are kept as "Recently deleted", restorable, before the
# worker purges them (enterprise.directory.tasks).
MEMBER_RETENTION_DAYS = envint("MEMBER_RETENTION_DAYS", "30")

# SAML single sign-on (enterprise/sso/saml.py: pysaml2 and the xmlsec1 program): how far the identity
# provider's clock may be from ours when checking NotBefore / NotOnOrAfter.
SAML_CLOCK_SKEW_SECONDS = envint("SAML_CLOCK_SKEW_SECONDS", "120")
# Refused single sign-on attempts recorded per enterprise and minute (anyone can post to a reply URL).
SSO_REFUSALS_PER_MINUTE = envint("SSO_REFUSALS_PER_MINUTE", "60")
# The DNS resolver that verifies single sign-on email domains (enterprise/sso/dns_lookup.py): comma-separated
# name server addresses (empty: the system's), their port, and how long one lookup may take.
SSO_DNS_NAMESERVERS = [s for s in os.getenv("SSO_DNS_NAMESERVERS", "").split(",") if s]
SSO_DNS_PORT = envint("SSO_DNS_PORT", "53")
SSO_DNS_TIMEOUT_SECONDS = envint("SSO_DNS_TIMEOUT_SECONDS", "5")

# OAuth token endpoint for SCIM (enterprise/credentials): failed client authentications
# allowed per minute from one address, and for one enterprise, before it answers 429. JWKS URLs on loopback
# (http allowed) are for tests only; private and link-local addresses are always refused.
SCIM_TOKEN_FAILURES_PER_MINUTE = envint("SCIM_TOKEN_FAILURES_PER_MINUTE", "30")
SCIM_JWKS_ALLOW_LOOPBACK = envbool("SCIM_JWKS_ALLOW_LOOPBACK", "False")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # pysaml2 logs each signed-in NameID at INFO, and xmlschema chatters while pysaml2 loads its schemas.
    "loggers": {
        "saml2": {"level": "WARNING"},
        "xmlschema": {"level": "WARNING"},
    },
}

# Content-Security-Policy on every response (django-csp): scripts, styles and fonts only from static files, no
# framing. plandisc.csp widens form-action on the sign-in page to the identity providers' sign-in pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Sign-in throttling (plandisc.signin) on /accounts/login/ and /admin/login/, counted in the cache so every
# worker sees the same numbers: after this many failures for one account from one address, or from one address
# for any accounts, that address is refused without checking the password until SIGN_IN_LOCKOUT_SECONDS pass
# without a new failure.
SIGN_IN_FAILURES_PER_ACCOUNT = envint("SIGN_IN_FAILURES_PER_ACCOUNT", "5")
SIGN_IN_FAILURES_PER_ADDRESS = envint("SIGN_IN_FAILURES_PER_ADDRESS", "30")
SIGN_IN_LOCKOUT_SECONDS = envint("SIGN_IN_LOCKOUT_SECONDS", "900")

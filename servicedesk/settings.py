"""One settings module, driven by environment variables (12-factor).

Embedded defaults run the demo with nothing installed (SQLite file, kombu's filesystem broker);
production and the test suite set DATABASE_URL (PostgreSQL) and REDIS_URL / CELERY_BROKER_URL (Redis).
"""

import os
import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Under pytest the defaults are the real services the suite runs on (PostgreSQL and Redis on this machine),
# never the demo's SQLite; CI and `make test` set the same values explicitly.
TESTING = "pytest" in sys.modules
if TESTING:
    for _key, _value in {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/servicedesk",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "SECURE_SSL_REDIRECT": "0",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }.items():
        os.environ.setdefault(_key, _value)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-change-me")  # check --deploy flags it
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # index expressions with an operator class (trigram search on tickets)
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "servicedesk",
    "tickets",
    "knowledge",
    "sla",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servicedesk.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

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
                "django.template.context_processors.i18n",
                "servicedesk.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if TESTING:
    # One test database per pytest process: several runs at once (developers, CI, helpers) never collide.
    TEST_RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))
    DATABASES["default"]["TEST"] = {"NAME": f"test_servicedesk_{TEST_RUN_ID}"}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo runs web, worker and beat on one SQLite file. WAL lets readers work while one process writes;
    # IMMEDIATE takes the write lock when a transaction begins, so a writer waits (up to `timeout` seconds)
    # instead of failing with "database is locked" when it upgrades a read lock mid-transaction; with WAL,
    # synchronous=NORMAL stays consistent and makes a commit cost no fsync.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

AUTH_USER_MODEL = "servicedesk.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    # A fast hash keeps persona fixtures cheap; production keeps Django's PBKDF2 default.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if TESTING:
        CACHES["default"]["KEY_PREFIX"] = f"test{TEST_RUN_ID}"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Uploads live outside the web root and have no URL: they are served only by a permission-checked view.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "uploads"},
    },
    "staticfiles": {
        # The manifest (hashed names, long cache) needs `collectstatic`; development and tests serve the sources.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "uploads"
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Email -------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="servicedesk@localhost")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Security ----------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default for the admin
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'"
)
# Failed logins per username and per client address before a cool-down.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)

# --- REST API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous call gets 401 with WWW-Authenticate rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "servicedesk.api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "servicedesk.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="3000/min"),
        "status_lookup": "10/min",
        "token": env.str("THROTTLE_TOKEN", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service desk API",
    "DESCRIPTION": "Tickets, follow-ups, SLA, knowledge, notices and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",  # vendored from npm: no CDN
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",
    # `check --deploy` is about deployment security; the schema's own warnings are kept at zero by
    # tests/servicedesk/test_schema.py instead of failing a production start-up check.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # One name per choice set that several fields share (impact and urgency; a ticket's type wherever it appears).
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "tickets.models.Ticket.Level",
        "TicketTypeEnum": "tickets.models.Ticket.Type",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "NoticeTypeEnum": "notices.models.Notice.Type",
    },
}

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: one folder of message files shared by web, worker and beat. It creates
    # none of its folders, and its exchange tables ("control") default to the working directory.
    _queue_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies mid-run is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Clock work is a sweep over indexed deadline columns (see ARCHITECTURE.md); the follow-up and notice
# issues add their sweeps here as their tasks land.
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "sla.tasks.sla_sweep_task", "schedule": env.float("SLA_SWEEP_SECONDS", default=60.0)},
    "followup-sweep": {
        "task": "tickets.tasks.followup_sweep_task",
        "schedule": env.float("FOLLOWUP_SWEEP_SECONDS", default=300.0),
    },
    "followup-digest": {
        "task": "tickets.tasks.followup_digest_task",
        "schedule": crontab(hour=env.int("FOLLOWUP_DIGEST_HOUR", default=8), minute=30),
    },
    # Last week's quality report to the supervisors, Monday mornings (once per ISO week, however often it runs).
    "weekly-report": {
        "task": "tickets.tasks.weekly_report_task",
        "schedule": crontab(day_of_week="mon", hour=env.int("WEEKLY_REPORT_HOUR", default=7), minute=0),
    },
    "notice-sweep": {
        "task": "notices.tasks.notice_sweep_task",
        "schedule": env.float("NOTICE_SWEEP_SECONDS", default=60.0),
    },
    "workorder-arrival-sweep": {
        "task": "tickets.tasks.workorder_arrival_sweep_task",
        "schedule": env.float("WORKORDER_SWEEP_SECONDS", default=60.0),
    },
}

# --- Notices (公告) --------------------------------------------------------------------------------
# Planned maintenance must be published at least this many hours before its window, or it counts as late.
NOTICE_MIN_LEAD_HOURS = env.int("NOTICE_MIN_LEAD_HOURS", default=24)
# Notice emails go out in Celery tasks of this many recipients each.
NOTICE_EMAIL_BATCH_SIZE = env.int("NOTICE_EMAIL_BATCH_SIZE", default=100)

# --- Follow-up (回访) ------------------------------------------------------------------------------
# Due by the end of the N-th working day after the resolution day, on the desk's default calendar.
FOLLOWUP_DUE_WORKING_DAYS = env.int("FOLLOWUP_DUE_WORKING_DAYS", default=5)
# After K failed calls made on at least M different days the user counts as unreachable and the ticket closes.
FOLLOWUP_UNREACHABLE_ATTEMPTS = env.int("FOLLOWUP_UNREACHABLE_ATTEMPTS", default=3)
FOLLOWUP_UNREACHABLE_DAYS = env.int("FOLLOWUP_UNREACHABLE_DAYS", default=3)
# How long the self-rating link in the resolution email works.
FOLLOWUP_LINK_MAX_AGE_DAYS = env.int("FOLLOWUP_LINK_MAX_AGE_DAYS", default=14)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

# --- Knowledge (知识管理) -------------------------------------------------------------------------------
# A published article nobody has reviewed for this many months is flagged stale; its owner is reminded once a month.
KB_STALE_MONTHS = env.int("KB_STALE_MONTHS", default=6)
CELERY_BEAT_SCHEDULE["kb-stale-sweep"] = {
    "task": "knowledge.tasks.kb_stale_sweep_task",
    "schedule": env.float("KB_STALE_SWEEP_SECONDS", default=86400.0),
}

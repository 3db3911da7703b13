"""One settings file for every environment, driven by environment variables.

With nothing set you get a local run: SQLite, DEBUG on, a Celery broker on the filesystem (no
server needed). DATABASE_URL switches to PostgreSQL; REDIS_URL switches the broker, the result
backend and the cache to Redis. A bad value raises ImproperlyConfigured naming the variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite, the file broker and the file cache live here


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envurl(name: str, schemes: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip()
    if value and not value.startswith(tuple(f"{s}://" for s in schemes)):
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    return value


DEBUG = envbool("DEBUG", "true")
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "quizapp.core",
    "quizapp.accounts",
    "questions",
    "quizapp.demos",
    "quizapp.study",
    "quizapp.interviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "quizapp.urls"
WSGI_APPLICATION = "quizapp.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite unless DATABASE_URL says otherwise.
DATABASE_URL = envurl("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", "60"))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters bound by the server let psycopg prepare a statement it has run five times on a
        # connection: PostgreSQL then skips parsing and planning it (the study queue's plan alone
        # takes milliseconds), and connections live CONN_MAX_AGE seconds, so they are reused.
        # Django leaves preparing off for transaction-pooling PgBouncers; we connect directly
        # (DB_PREPARE_THRESHOLD=0 turns it off for a deployment behind such a pooler).
        prepare_threshold = envint("DB_PREPARE_THRESHOLD", "5")
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True,
                                           "prepare_threshold": prepare_threshold or None}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Web and worker write concurrently: wait for locks instead of failing at once.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not memory, so a worker process started by the tests sees the same data.
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis (broker, result backend, cache) when REDIS_URL is set; local fallbacks otherwise.
REDIS_URL = envurl("REDIS_URL", ("redis", "rediss"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A Redis outage must not take down pages that need no worker.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]  # each named in its own language
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    # Token first: DRF answers an unauthenticated request with the first class's challenge, so API
    # clients get 401 with "WWW-Authenticate: Token" (session authentication has none: a bare 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "quizapp.accounts.authentication.TokenAuthentication",  # DRF's, with a cheaper lookup
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "quizapp.core.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DL Interview Trainer API",
    "DESCRIPTION": "Questions, study (FSRS), mock interviews and live PyTorch demos.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One name per choice set (otherwise "status" gets a hashed name and card states two names).
    "ENUM_NAME_OVERRIDES": {"InterviewStatusEnum": "quizapp.interviews.models.Interview.Status",
                            "CardStateEnum": "quizapp.study.models.CardState.State"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "quizapp.core.schema.add_error_responses"],
}

# Celery. Without Redis the broker is a folder on disk, so a worker needs no server.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
# The file broker's folders, also used by tests that run a worker on it while Redis is configured.
FILE_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(VAR_DIR / "broker" / "queue"),
    "data_folder_out": str(VAR_DIR / "broker" / "queue"),
    "processed_folder": str(VAR_DIR / "broker" / "processed"),
    "control_folder": str(VAR_DIR / "broker" / "control"),  # kombu's default is ./control
    "store_processed": False,
    "polling_interval": 0.05,
}
# With Redis, an unacknowledged task is redelivered after this long: longer than any task may run.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600} if REDIS_URL else FILE_BROKER_TRANSPORT_OPTIONS
if not REDIS_URL:
    for folder in ("queue", "processed", "control"):
        (VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = REDIS_URL or f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"
CELERY_TASK_IGNORE_RESULT = True  # results live in our own tables (DemoRun, ...)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "120")
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "150")
CELERY_TASK_DEFAULT_QUEUE = "demos"
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down, not hang the web request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

DEMO_RUNS_PER_MINUTE = envint("DEMO_RUNS_PER_MINUTE", "10")
# A running demo's worker touches its heartbeat this often; silence for DEMO_STALE_SECONDS means
# the worker died and the run is failed. A run no worker claims in time is failed too.
DEMO_HEARTBEAT_SECONDS = envint("DEMO_HEARTBEAT_SECONDS", "5")
DEMO_STALE_SECONDS = envint("DEMO_STALE_SECONDS", "30")
DEMO_QUEUE_TIMEOUT_SECONDS = envint("DEMO_QUEUE_TIMEOUT_SECONDS", "900")
# A queued run whose queue no live worker serves (workers report every few seconds) fails after
# this long instead of waiting out DEMO_QUEUE_TIMEOUT_SECONDS; the grace lets a starting worker report.
DEMO_NO_WORKER_GRACE_SECONDS = envint("DEMO_NO_WORKER_GRACE_SECONDS", "60")
# Length of an interview "minute" in seconds: 60, except in end-to-end tests that let a question time out.
INTERVIEW_SECONDS_PER_MINUTE = 60
# FSRS spreads intervals by a few percent so cards learnt together do not stay together; tests turn it off.
STUDY_FSRS_FUZZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")

"""One settings file for every environment, driven by environment variables.

With nothing set you get a local run: SQLite, DEBUG on, a Celery broker on the filesystem (no
server needed). DATABASE_URL switches to PostgreSQL; REDIS_URL switches the broker, the result
backend and the cache to Redis. A bad value raises ImproperlyConfigured naming the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
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


def envrate(name: str, default: str) -> str:
    """A DRF throttle rate such as 60/min (DRF reads only the period's first letter: s, m, h or d)."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 60/min (per s, min, hour or day), not {value!r}")
    return value


DEBUG = envbool("DEBUG", "true")
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off: a long random string, the same on "
                               "every web and worker machine (see .env.example)")
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
    "knox",
    "axes",
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
    "quizapp.core.logs.RequestIdMiddleware",  # first: every answer, redirects included, carries X-Request-ID
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header (see "Headers" below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "quizapp.core.bad_address.RefuseBadAddressMiddleware",  # a NUL in the path or query: 400, not a 500
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "quizapp.accounts.middleware.SignedOutEverywhereMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a refused login into the lockout answer
    "quizapp.core.not_found.FriendlyNotFoundMiddleware",  # the site's 404 page with DEBUG on as well
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
        # A database host that does not answer fails a request (and /healthz) in seconds instead of
        # holding a worker past its timeout.
        DATABASES["default"]["OPTIONS"] = {"connect_timeout": envint("DB_CONNECT_TIMEOUT", "5")}
    else:  # SQLite by URL: wait for locks like the default file below (else concurrent writes answer 500)
        DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
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

# Redis (broker, cache) when REDIS_URL is set; local fallbacks otherwise.
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
# Files the app keeps (an import waiting for its preview's confirmation, own cards' images): through the
# storage API, so a deployment may swap the backend for object storage.
MEDIA_ROOT = VAR_DIR / "media"
# An own card's image (an upload, or a file of an Anki package's media): larger ones are refused.
OWN_CARD_IMAGE_MAX_BYTES = envint("OWN_CARD_IMAGE_MAX_BYTES", str(2 * 1024 * 1024))
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
        # hashed, expiring tokens (django-rest-knox); a key that cannot be one is refused before any query
        "quizapp.accounts.authentication.KnoxTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "quizapp.core.pagination.BoundedLimitOffsetPagination",
    # services raise quizapp.core.errors.AppError (and the engine ParamError): mapped here, once
    "EXCEPTION_HANDLER": "quizapp.core.exception_handler.api_exception_handler",
    "PAGE_SIZE": 50,
    # JSON with a size limit, a depth limit and no NUL; forms within the same size. DRF's own form parsers
    # have no limit: the own-card import's upload parser has its own (quizapp.own_cards.api).
    "DEFAULT_PARSER_CLASSES": ["quizapp.core.parsers.BoundedJSONParser", "quizapp.core.parsers.BoundedFormParser",
                               "quizapp.core.parsers.BoundedMultiPartParser"],
    # Requests per caller: an anonymous one is its address (NUM_PROXIES says which), a learner their id.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envrate("API_THROTTLE_ANON", "60/min"),
        "user": envrate("API_THROTTLE_USER", "600/min"),
        "token_login": envrate("API_THROTTLE_LOGIN", "10/min"),  # POST /api/auth/login/
        # GET /api/runs/<id>/, which a demo page asks every 50 ms while a run is live (20/s: 1,200/min)
        "run_poll": envrate("API_THROTTLE_RUN_POLL", "1500/min"),
        "signup": f"{envint('SIGNUPS_PER_HOUR', '5')}/hour",  # new accounts per address (the form)
        "password_reset": f"{envint('PASSWORD_RESETS_PER_HOUR', '5')}/hour",  # reset mails asked per address
        "anki_export": f"{envint('ANKI_EXPORTS_PER_MINUTE', '10')}/min",  # Anki decks per learner or address
    },
    # Without it DRF takes X-Forwarded-For as the caller's address, which any client can forge: the
    # header counts only behind the number of proxies TRUSTED_PROXIES says (they append to it). Compose and
    # .env.example say 1 (their TLS proxy); with 0 behind a proxy `check --deploy` warns (accounts.checks).
    "NUM_PROXIES": envint("TRUSTED_PROXIES", "0"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DL Interview Trainer API",
    "DESCRIPTION": "Questions, study (FSRS), mock interviews and live PyTorch demos.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Request bodies get their own components, so a required text field can say minLength 1 (answers
    # may hold empty strings, requests may not).
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set (otherwise "status" gets a hashed name and card states two names).
    "ENUM_NAME_OVERRIDES": {"InterviewStatusEnum": "quizapp.interviews.models.Interview.Status",
                            "CardStateEnum": "quizapp.study.models.CardState.State"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "quizapp.core.schema.add_error_responses",
                             "quizapp.core.schema_links.add_links"],  # for clients and the schema fuzzer
}

# Bad input: an API body (JSON or form) past this many bytes answers 413 before it is read (file uploads
# keep their own limit, quizapp.own_cards.imports.MAX_IMPORT_BYTES). Django's DATA_UPLOAD_MAX_MEMORY_SIZE
# bounds only request.body and Django's forms; DRF's parsers read the stream past it.
JSON_BODY_MAX_BYTES = envint("JSON_BODY_MAX_BYTES", str(1024 * 1024))

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
# With Redis, an unacknowledged task is redelivered after visibility_timeout: longer than any task may run.
# Connecting and each read or write give up after the socket timeouts, so a Redis that accepts and never
# answers (hung, or a half-open network path) fails a publish within seconds as a refused one does: kombu's
# Redis transport takes them only from here, and /healthz's broker probe reads them too.
REDIS_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS if REDIS_URL else FILE_BROKER_TRANSPORT_OPTIONS
# kombu's file transport with a worker loop that turns every poll (see quizapp/core/file_broker.py).
CELERY_BROKER_TRANSPORT = None if REDIS_URL else "quizapp.core.file_broker:Transport"
if not REDIS_URL:
    for folder in ("queue", "processed", "control"):
        (VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
# No result backend: every task writes its outcome to our own tables (DemoRun, SchedulerOptimization, ...)
# and nothing waits on a task's return value.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", "120")
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", "150")
CELERY_TASK_DEFAULT_QUEUE = "demos"
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", "false")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must fail fast when the broker is down, not hang the web request: few, quick retries here,
# and with Redis the socket timeouts above bound each try (CELERY_BROKER_CONNECTION_TIMEOUT bounds only
# transports that read it, such as AMQP, and not kombu's Redis transport).
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

# Runs that cannot get stuck. Celery beat sends the reaper this often (to the `demos` queue, which
# every CPU and GPU worker serves); it fails runs and fits whose worker died, and a worker runs it
# once on start. A run is computed by at most DEMO_MAX_DELIVERIES deliveries: a pool process that
# dies on every one (OOM) must not hold the worker forever.
REAPER_INTERVAL_SECONDS = envint("REAPER_INTERVAL_SECONDS", "15")
DEMO_MAX_DELIVERIES = envint("DEMO_MAX_DELIVERIES", "2")
CELERY_BEAT_SCHEDULE = {
    "reap-stale-runs": {"task": "quizapp.demos.tasks.reap_stale_runs", "schedule": REAPER_INTERVAL_SECONDS,
                        # a reaper waiting behind a busy worker is outdated by the next one
                        "options": {"queue": "demos", "expires": REAPER_INTERVAL_SECONDS}},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The optimiser's fits take minutes: on their own queue and worker they never hold up a demo.
CELERY_TASK_ROUTES = {"quizapp.study.tasks.optimize_scheduler": {"queue": "optimizer"},
                      # a speech model's memory and seconds per recording stay off the demo workers
                      "quizapp.interviews.tasks.transcribe_recording": {"queue": "speech"},
                      # a learner's large Anki deck: its own queue and worker, so it never holds up a demo
                      "questions.tasks.build_anki_export": {"queue": "exports"}}
# A signed-in learner's Anki deck of more cards than this is built by a worker while the page shows its
# progress; a smaller one is built in the request, which is sooner for the learner (questions/corpus/ANKI.md).
ANKI_EXPORT_ASYNC_CARDS = envint("ANKI_EXPORT_ASYNC_CARDS", "1000")
# A built deck's file is kept this long, then the reaper deletes it (and a read finds it expired).
ANKI_EXPORT_KEEP_HOURS = envint("ANKI_EXPORT_KEEP_HOURS", "24")
# Workers (and the command that computes default runs ahead) add this to the niceness they start with:
# when a demo and a page want the CPU at once, the page goes first (19 is the lowest priority).
WORKER_NICENESS = envint("WORKER_NICENESS", "10")
# A pool process is replaced after this many tasks, so memory a demo leaks is given back.
CELERY_WORKER_MAX_TASKS_PER_CHILD = envint("CELERY_WORKER_MAX_TASKS_PER_CHILD", "50")
# Demo and optimiser starts publish within the request; with the broker down they answer 503 and this.
TASK_QUEUE_RETRY_AFTER_SECONDS = envint("TASK_QUEUE_RETRY_AFTER_SECONDS", "30")
# Length of an interview "minute" in seconds: 60, except in end-to-end tests that let a question time out.
INTERVIEW_SECONDS_PER_MINUTE = 60
# Spoken answers (interviews/recordings.py): the largest recording kept (5 MiB: a 20-minute coding round at the
# 24 kbit/s the answer page records), and an optional speech-to-text model, a local path the `speech` queue's
# worker loads with Hugging Face transformers (interviews/speech.py); without one recordings are kept untranscribed.
ANSWER_RECORDING_MAX_BYTES = envint("ANSWER_RECORDING_MAX_BYTES", str(5 * 1024 * 1024))
SPEECH_TO_TEXT_MODEL = os.environ.get("SPEECH_TO_TEXT_MODEL", "").strip()
# FSRS spreads intervals by a few percent so cards learnt together do not stay together; tests turn it off.
STUDY_FSRS_FUZZ = True

# Accounts: login lockout (django-axes), API tokens (django-rest-knox), e-mail for password resets.
# Axes' backend comes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: a guessed account, a guessing address
# Failures are not forgotten on a successful login: a guesser could otherwise log into an account of
# its own between guesses, which clears the failures from its address (on every username).
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "quizapp.accounts.throttles.client_address"  # the address DRF's throttles see
AXES_LOCKOUT_CALLABLE = "quizapp.accounts.lockout.lockout_response"  # 429: the site's page, or JSON for the API
AXES_VERBOSE = False
# Axes' log of successful logins is not read here, and writing it starts a session even for an API
# token login; the failures that count toward a lockout are kept either way.
AXES_DISABLE_ACCESS_LOG = True
# A token lives API_TOKEN_TTL_HOURS (10 days): a script that studies daily logs in again a few times a
# month, and a leaked token stops working within days even if nobody revokes it.
REST_KNOX = {"TOKEN_TTL": timedelta(hours=envint("API_TOKEN_TTL_HOURS", "240")), "AUTH_HEADER_PREFIX": "Token"}
# Live tokens a learner keeps: a login past it revokes their oldest (accounts.services.api_token_create).
# knox's own TOKEN_LIMIT_PER_USER would refuse the login (403) instead, locking a script that logs in on
# every run out of the API for days; and knox reads all of a learner's tokens on each request.
API_TOKENS_PER_USER = envint("API_TOKENS_PER_USER", "10")
if API_TOKENS_PER_USER < 1:
    raise ImproperlyConfigured(f"API_TOKENS_PER_USER must be at least 1, not {API_TOKENS_PER_USER}")
# EMAIL_URL such as smtp://user:password@host:587/?tls=True; without it mails go to the console.
EMAIL_URL = envurl("EMAIL_URL", tuple(dj_email_url.SCHEMES)) or "console://"
# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ...: what the URL leaves out keeps Django's default.
globals().update({name: value for name, value in dj_email_url.parse(EMAIL_URL).items() if value is not None})
# Django waits for an SMTP server forever by default: a silent one would hold a web worker. EMAIL_URL's
# ?timeout= (seconds) overrides it.
EMAIL_TIMEOUT = globals().get("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "DL Interview Trainer <noreply@localhost>")

# Logs: one line per event on stderr with time, level, logger and the request id (a Celery task's id
# in workers; quizapp.core.logs). LOG_FORMAT=json writes one JSON object a line for a log collector.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "quizapp.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "timestamp": "time",
                 "fmt": ["levelname", "name", "request_id", "message"],
                 "rename_fields": {"levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Axes writes a line for every login attempt at INFO; its lockouts (WARNING) are the news.
    "loggers": {"axes": {"level": "WARNING"}},
}

# Errors (web requests and Celery tasks) go to Sentry when SENTRY_DSN is set; no personal data is sent.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()],
                    send_default_pii=False, environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))

# Headers: HTTPS in production. The app runs behind a proxy that ends TLS and says so with
# X-Forwarded-Proto (it must overwrite a client's own); over plain HTTP it redirects to HTTPS and
# HSTS tells browsers to stay there. Only the container's health check calls /healthz over HTTP.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", "true")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")  # a year; 0 sends no HSTS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
    # Off unless the operator chooses it: the directive lets anyone submit the domain to the browsers'
    # preload lists, which takes months to undo and forces HTTPS on every subdomain.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
# `check --deploy` warns while preload is off (security.W021); here off is the deliberate default (above).
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (django-csp), in every environment so the browser tests hold it: no inline
# script or style anywhere, only our own files (Swagger UI's stylesheet embeds its images as data: URLs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'"],  # spoken answers play from the API (default-src says so too; stated for the reader)
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

"""Settings for Enabling Model, read from the environment.

Defaults give a working local installation: SQLite (WAL), console email, and Celery
running tasks eagerly in-process. Set DATABASE_URL for PostgreSQL and CELERY_BROKER_URL
for a real broker (Redis or RabbitMQ).
"""

from pathlib import Path

import dj_database_url

from .env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-for-any-real-use")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "rules",
    "axes",  # sign-in lockout by username and address (settings in the accounts section)
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "csp",  # Content-Security-Policy on every response (settings at the end)
    "catalogue",
    "assessments",
]

MIDDLEWARE = [
    "config.middleware.RequestSizeLimitMiddleware",  # 413 before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "catalogue.audit.AccountsMiddleware",  # idle timeout, ended sessions, audit context
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "assessments.middleware.PeriodicJobsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into our page
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalogue.context_processors.organisation",
                "assessments.context_processors.notifications",
            ],
        },
    },
]

# Persistent connections: each web thread (and each Celery worker process) keeps its
# connection for up to DATABASE_CONN_MAX_AGE seconds instead of opening one per request;
# the health check pings a reused connection first, so one the database dropped (a restart)
# is replaced rather than failing the request. Celery's Django fixup closes connections
# that are too old or broken around each task. 0 opens one per request.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while a task writes; the init command runs per connection.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from npm (`npm ci` in the set-up) and is served as our own static files.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Enabling Model <no-reply@localhost>")
# For the SMTP backend (Django's names and defaults).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 14)

# Celery: eager in-process when no broker is configured, so a plain `make run` still runs tasks.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# One queue per test process when the suite runs in parallel against a real broker, so a
# worker never takes a task meant for another process's test database.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
if env_str("PYTEST_XDIST_WORKER"):
    CELERY_TASK_DEFAULT_QUEUE += "-" + env_str("PYTEST_XDIST_WORKER")

# The balance report pipeline (see assessments/services.py).
# At most one recompute per organisation starts in this many seconds: the first change is
# recomputed at once, and a burst of changes after it coalesces into one recompute per interval.
BALANCE_RECOMPUTE_INTERVAL = env_float("BALANCE_RECOMPUTE_INTERVAL", 2.0)
# Without a broker, a recompute that must wait for the interval waits in a background thread
# of the web process (tests turn this off and run it at once).
BALANCE_EAGER_WAIT_IN_THREAD = env_bool("BALANCE_EAGER_WAIT_IN_THREAD", True)
# How often the sweeper looks for stale reports (a task lost to a crash or a broker restart).
BALANCE_SWEEP_SECONDS = env_float("BALANCE_SWEEP_SECONDS", 60.0)
# A recompute running longer than this has lost its worker: it is marked failed.
BALANCE_RUNNING_TIMEOUT = env_float("BALANCE_RUNNING_TIMEOUT", 600.0)
# Test-only: seconds each recompute sleeps, so a test can kill a worker in the middle of one.
BALANCE_COMPUTE_TEST_DELAY = env_float("BALANCE_COMPUTE_TEST_DELAY", 0.0)
# Balance reports older than this many days are pruned daily (keeping the last of each month,
# the latest and any a decision links to; see prune_reports). 0 keeps every report.
BALANCE_REPORT_RETENTION_DAYS = env_int("BALANCE_REPORT_RETENTION_DAYS", 0)
# Notifications go out by email as one digest per person this often.
NOTIFICATION_DIGEST_SECONDS = env_float("NOTIFICATION_DIGEST_SECONDS", 300.0)
# Teams with enablers left to assess are reminded this many days before a round is due.
ROUND_REMINDER_DAYS = env_int("ROUND_REMINDER_DAYS", 3)
# Links in emails start with this address.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

CELERY_BEAT_SCHEDULE = {
    "sweep-stale-reports": {
        "task": "assessments.tasks.sweep_stale_reports",
        "schedule": BALANCE_SWEEP_SECONDS,
    },
    "send-notification-digests": {
        "task": "assessments.tasks.send_notification_digests",
        "schedule": NOTIFICATION_DIGEST_SECONDS,
    },
    "send-round-reminders": {
        "task": "assessments.tasks.send_round_reminders",
        "schedule": 3600.0,
    },
    # Daily: each decision past its review date is reminded of once per review date.
    "send-decision-review-reminders": {
        "task": "assessments.tasks.send_decision_review_reminders",
        "schedule": 86400.0,
    },
    # Daily: prunes report history when BALANCE_REPORT_RETENTION_DAYS is set (else does nothing).
    "prune-old-reports": {
        "task": "assessments.tasks.prune_old_reports",
        "schedule": 86400.0,
    },
}
# With no broker (the embedded default) there is no beat process: the same periodic jobs
# run from web requests when they are due (assessments.middleware.PeriodicJobsMiddleware).
RUN_PERIODIC_JOBS_IN_WEB = env_bool("RUN_PERIODIC_JOBS_IN_WEB", CELERY_TASK_ALWAYS_EAGER)

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- accounts: lockout, sessions, password reset (issue 8) ---
# Axes checks every sign-in first (refusing a locked-out one); ModelBackend then signs in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout: LOGIN_FAILURE_LIMIT failed sign-ins for one username from one address lock that
# pair out for LOGIN_LOCKOUT_MINUTES (another address, or another username, is not locked).
# A failed attempt during the lockout starts the wait again.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # axes reads a float as hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "catalogue.audit.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # our audit log (catalogue.AuditEvent) records sign-ins
AXES_VERBOSE = False  # no banner on every manage.py command
# Behind a reverse proxy, the client's address is in X-Forwarded-For: set how many proxies
# (only those proxies may set the header, or anyone could pick the address to lock out).
if env_int("PROXY_COUNT", 0):
    AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Sessions end after SESSION_COOKIE_AGE seconds without a request (8 hours by default): the
# expiry moves on at most once per SESSION_REFRESH_SECONDS (catalogue.audit.AccountsMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)

# Password reset links work once, for an hour (Django's default is three days).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# --- end accounts ---

# --- production mode and security headers (issue 8) ---
# Content-Security-Policy in every environment, so the tests see a violation before anyone
# else does: our pages load scripts and styles from our own static files only, with no inline
# <script>, <style> or style="..." (tests/production checks every page, and Chromium reports no
# violation). The API docs need no exemption: django-ninja's Swagger page loads its script
# from a static file and keeps its settings in a JSON data block, which the policy allows.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Request size limits (Django's own defaults, named here so they can be tuned). Beyond them
# Django refuses the request with a 400 before any view runs; the imports have their own,
# smaller caps on the files they accept.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 100)
# The whole body, files included (DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out): larger is 413.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 30 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True

PRODUCTION = not DEBUG
if PRODUCTION:
    if SECRET_KEY.startswith("dev-only-insecure-key"):
        # Sessions, password reset links and CSRF tokens would be forgeable by anyone who has
        # read this repository: refuse to start rather than run like that.
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DJANGO_DEBUG=0 needs a secret key of your own: set DJANGO_SECRET_KEY "
            "(for example the output of `python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'`). `make serve` makes one in var/secret_key."
        )
    # HTTPS only: browsers remember for a year, subdomains included (HSTS preload list ready).
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Behind a proxy that ends TLS, its X-Forwarded-Proto says the request came over HTTPS.
    # Only safe when the proxy sets (or strips) that header on every request.
    if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Static files served by gunicorn itself (whitenoise): hashed names, compressed copies,
    # cached as immutable. Only here: the manifest exists only after collectstatic, which the
    # tests and `make run` never run.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        },
    }
    # collectstatic compresses every file it keeps: keeping the hashed copies only, and not
    # compressing source maps (megabytes, fetched only by developer tools), cuts its time.
    WHITENOISE_KEEP_ONLY_HASHED_FILES = True
    from whitenoise.compress import Compressor

    WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# --- end production ---

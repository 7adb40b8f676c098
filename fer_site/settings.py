"""Django settings, read from the environment.

One settings module serves both deployment profiles; ``fer_site.profiles`` decides
the backends. With nothing set this is the embedded profile (SQLite, in-process tasks),
production-safe: DEBUG off, a generated secret key in the data folder, localhost only.
See README.md for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from fer_site import secret_key
from fer_site.profiles import resolve_profile

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Runtime data (SQLite file, uploads, collected static) lives outside the source tree's tracked files.
DATA_DIR = Path(env.str("FER_DATA_DIR", default=str(BASE_DIR / "var")))

PROFILE = resolve_profile(os.environ, data_dir=DATA_DIR)
FER_PROFILE = PROFILE.name

# Safe by default in every profile: DEBUG=1 is for development only (it shows tracebacks and every URL pattern).
DEBUG = env.bool("DEBUG", default=False)


def _required_in_scaled_profile(name: str) -> None:
    """A scaled deployment has several hosts that must agree: start-up stops unless the value is given."""
    if not PROFILE.is_embedded and not DEBUG:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment in the scaled profile when DEBUG is off "
            f"(set {name}=..., the same on every host; DEBUG=1 for local development only)."
        )


# Embedded: a random key generated on first start and kept in the data folder (mode 0600), so sessions and
# password-reset links survive restarts. Scaled: every host needs the same key, so it must be given.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    _required_in_scaled_profile("SECRET_KEY")
    SECRET_KEY = secret_key.load_or_create(DATA_DIR / "secret-key")

# Embedded: this machine's own names only (set ALLOWED_HOSTS to serve other names or addresses, e.g. HOST=0.0.0.0).
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    _required_in_scaled_profile("ALLOWED_HOSTS")
    ALLOWED_HOSTS = ["localhost", ".localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ---------------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",  # first: makes `runserver` an ASGI server too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "axes",
    "accounts",
    "analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: cookie (footer switcher), then Accept-Language; after sessions, before common (docs/i18n.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's saved language wins over the cookie and Accept-Language.
    "accounts.language.UserLanguageMiddleware",
    # Every view requires sign-in unless decorated with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns lockouts into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fer_site.urls"
# Branded, or JSON under /api/ (fer_site.error_views; the 400/403/404/500 handlers are named in fer_site.urls).
CSRF_FAILURE_VIEW = "fer_site.error_views.csrf_failure"
WSGI_APPLICATION = "fer_site.wsgi.application"
ASGI_APPLICATION = "fer_site.asgi.application"

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
                "fer_site.js_catalog.catalog_url",
            ],
            # The analysis pages' helpers live with the pages (analysis/web/), not in a templatetags folder.
            "libraries": {"analysis_tags": "analysis.web.templatetags"},
        },
    },
]

# --- Backends chosen by the profile ---------------------------------------------------------------

DATABASES = PROFILE.databases
CACHES = PROFILE.caches
CHANNEL_LAYERS = PROFILE.channel_layers

if PROFILE.databases["default"]["ENGINE"].endswith("sqlite3"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Celery reads every CELERY_* setting (namespace configured in fer_site.celery_app).
CELERY_BROKER_URL = PROFILE.celery["broker_url"]
CELERY_RESULT_BACKEND = PROFILE.celery["result_backend"]
CELERY_TASK_ALWAYS_EAGER = PROFILE.celery["task_always_eager"]
CELERY_TASK_EAGER_PROPAGATES = PROFILE.celery["task_eager_propagates"]
# A worker that dies mid-task must not lose the task: acknowledge after running, one task at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Uploads go to GPU hosts, live frames to low-latency workers: each queue has its own worker command (Procfile).
CELERY_TASK_ROUTES = {
    "analysis.analyse_photo": {"queue": "gpu"},
    "analysis.compare_faces": {"queue": "gpu"},
    "analysis.face_heatmap": {"queue": "gpu"},
    "analysis.analyse_video": {"queue": "gpu"},
    "analysis.annotate_video": {"queue": "gpu"},
    "analysis.live_frame": {"queue": "realtime"},
    "analysis.sweep": {"queue": "celery"},
}
# Per-task limits (prefork pool only: the threads/solo pools cannot enforce them). The soft limit lets the
# analysis be marked failed with a reason; the hard limit kills a wedged child, whose task is then redelivered.
FER_LIVE_SOFT_TIME_LIMIT = env.int("FER_LIVE_SOFT_TIME_LIMIT", default=10)
# Videos: the analysis checks its own deadline between frames (every mode) and fails with a reason; the soft
# limit is the backstop, the hard limit kills a wedged child. See docs/scaled.md.
FER_VIDEO_TIME_LIMIT_S = env.int("FER_VIDEO_TIME_LIMIT_S", default=1800)
_VIDEO_LIMITS = {"soft_time_limit": FER_VIDEO_TIME_LIMIT_S + 30, "time_limit": FER_VIDEO_TIME_LIMIT_S + 90}
CELERY_TASK_ANNOTATIONS = {
    "analysis.live_frame": {"soft_time_limit": FER_LIVE_SOFT_TIME_LIMIT, "time_limit": FER_LIVE_SOFT_TIME_LIMIT + 5},
    "analysis.analyse_video": _VIDEO_LIMITS,
    "analysis.annotate_video": _VIDEO_LIMITS,
    "analysis.sweep": {"soft_time_limit": 60, "time_limit": 90},
}
# Redis redelivers a task whose worker vanished (kill -9, lost host) once it has been unacknowledged this long:
# it must exceed the hard time limit, or a slow but healthy task would run twice.
# (Video tasks run longer: a copy redelivered while its first worker still reports progress does nothing.)
FER_BROKER_VISIBILITY_TIMEOUT = env.int("FER_BROKER_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 120)
# Workers look for such tasks every FER_BROKER_RESTORE_INTERVAL_S (kombu scans only every Nth time by default,
# which would add minutes; one small sorted-set query per interval is cheap).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": FER_BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env.int("FER_BROKER_RESTORE_INTERVAL_S", default=10),
    "unacked_restore_throttle": 1,
}
# A broker that is down must not hang the upload request: give up after about a second and answer "busy".
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# Celery beat: stuck analyses and photo retention (analysis.sweep), see docs/scaled.md.
FER_SWEEP_INTERVAL_S = env.int("FER_SWEEP_INTERVAL_S", default=60)
CELERY_BEAT_SCHEDULE = {
    "analysis-sweep": {"task": "analysis.sweep", "schedule": float(FER_SWEEP_INTERVAL_S)},
}
# Load the default model in each worker process when it starts (in the child, after fork), off the task path.
FER_WORKER_WARMUP = env.bool("FER_WORKER_WARMUP", default=True)
# The embedded profile's web server loads the default model and detector in the background at start-up.
FER_SERVER_WARMUP = env.bool("FER_SERVER_WARMUP", default=True)

# --- Accounts and authentication ------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # First, so locked-out credentials are refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "analysis:analyze"
LOGOUT_REDIRECT_URL = "landing"

# Brute-force protection: lock a username+IP pair out after repeated failures, for a cool-off period.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# E-mail (password reset). Console output by default; EMAIL_URL=smtp+tls://user:pass@host:587 for real mail.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FER platform <noreply@localhost>")

# --- Security -------------------------------------------------------------------------------------

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# The footer switcher's cookie (docs/i18n.md): no script reads it, and it travels like the session's.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that sets this header itself; otherwise clients could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Uploads (enforced by the analysis app) -------------------------------------------------------

FER_MAX_UPLOAD_BYTES = env.int("FER_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FER_MAX_IMAGE_PIXELS = env.int("FER_MAX_IMAGE_PIXELS", default=40_000_000)
# How analyses run: "thread" (in-process pool, embedded), "eager" (in the caller, tests) or "celery".
FER_TASK_MODE = env.str("FER_TASK_MODE", default="thread" if PROFILE.celery["task_always_eager"] else "celery")
FER_INPROCESS_WORKERS = env.int("FER_INPROCESS_WORKERS", default=1)
# Pending or running longer than this: marked failed with a reason, never stuck.
FER_ANALYSIS_TIMEOUT_SECONDS = env.int("FER_ANALYSIS_TIMEOUT_SECONDS", default=600)
# A task that killed its worker this many times (hard limit, out of memory) is failed, not retried forever.
FER_ANALYSIS_MAX_ATTEMPTS = env.int("FER_ANALYSIS_MAX_ATTEMPTS", default=3)
# Tests only: seconds the analysis sleeps after it is claimed, so a fault test can kill its worker mid-task.
FER_TEST_TASK_DELAY_S = env.float("FER_TEST_TASK_DELAY_S", default=0.0)
# Live webcam frames: size and rate per socket; how long to wait for a realtime worker (scaled).
FER_LIVE_MAX_FRAME_BYTES = env.int("FER_LIVE_MAX_FRAME_BYTES", default=1_000_000)
# The WebSocket layer's own limit (daphne, set by fer_site.serve): between the two the consumer answers
# frame_too_large and keeps the socket; above it the socket is closed with code 1009 (message too big).
FER_LIVE_MAX_MESSAGE_BYTES = env.int("FER_LIVE_MAX_MESSAGE_BYTES", default=8 * FER_LIVE_MAX_FRAME_BYTES)
FER_LIVE_MAX_FPS = env.int("FER_LIVE_MAX_FPS", default=30)
# Live sockets one user may hold at once, across every web process (analysis.live.slots).
FER_LIVE_MAX_SOCKETS_PER_USER = env.int("FER_LIVE_MAX_SOCKETS_PER_USER", default=4)
FER_LIVE_MAX_FRAME_PIXELS = env.int("FER_LIVE_MAX_FRAME_PIXELS", default=4_000_000)
FER_LIVE_REMOTE_TIMEOUT_S = env.float("FER_LIVE_REMOTE_TIMEOUT_S", default=5.0)
# Realtime workers classify faces from many streams together: up to this many faces, waiting at most this long
# for more (only while other frames are still being decoded/detected). 1 turns batching off. See docs/scaled.md.
FER_LIVE_BATCH_SIZE = env.int("FER_LIVE_BATCH_SIZE", default=32)
FER_LIVE_BATCH_WAIT_MS = env.float("FER_LIVE_BATCH_WAIT_MS", default=10.0)
# Videos: file size, length, pixels per frame. The sweep fails a running video without a progress report for
# FER_VIDEO_STALE_SECONDS (its worker is gone and the broker's redelivery had its chance), and a video still
# waiting in the queue after FER_VIDEO_QUEUE_TIMEOUT_S.
FER_MAX_VIDEO_BYTES = env.int("FER_MAX_VIDEO_BYTES", default=200 * 1024 * 1024)
FER_MAX_VIDEO_SECONDS = env.float("FER_MAX_VIDEO_SECONDS", default=600.0)
FER_MAX_VIDEO_PIXELS = env.int("FER_MAX_VIDEO_PIXELS", default=3840 * 2160)
FER_VIDEO_STALE_SECONDS = env.int("FER_VIDEO_STALE_SECONDS", default=600)
# A running video with a progress report this recent belongs to a live worker: a redelivered copy of its task does
# nothing. Reports come about twice a second once frames flow; loading a model on a busy machine may take a minute.
FER_VIDEO_HEARTBEAT_TIMEOUT_S = env.int("FER_VIDEO_HEARTBEAT_TIMEOUT_S", default=120)
FER_VIDEO_QUEUE_TIMEOUT_S = env.int("FER_VIDEO_QUEUE_TIMEOUT_S", default=6 * 3600)
# Uploaded files above this are streamed to a temporary file instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The whole request body (fer_site/body_limit.py); 0: one video or one batch of photos, plus 1 MiB of form.
FER_MAX_REQUEST_BYTES = env.int("FER_MAX_REQUEST_BYTES", default=0)

# --- Internationalisation -------------------------------------------------------------------------

# Languages are not in the URLs (no i18n_patterns): LocaleMiddleware picks one from the switcher's cookie or the
# browser's Accept-Language, and accounts.language puts a signed-in user's preference first. See docs/i18n.md.
LANGUAGE_CODE = "en"
# Each language in its own name, as the footer switcher shows them.
LANGUAGES = [("en", "English"), ("vi", "Tiếng Việt")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The site's date formats per language (Django's own for the rest, e.g. vi's decimal comma).
FORMAT_MODULE_PATH = ["fer_site.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
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
# In development, serve straight from the source folders so `collectstatic` is optional.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- REST API (analysis.api) ----------------------------------------------------------------------

INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]

# Per-user rate of photo uploads, the upload page and the API together (each file counts), e.g. "120/min", "5000/hour"
# (analysis.core.uploads).
FER_UPLOAD_RATE = env.str("FER_UPLOAD_RATE", default="120/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a request without credentials gets 401 with `WWW-Authenticate: Token`.
        "accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the browser; CSRF enforced
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "fer_site.api.parsers.MultiPartParser",  # DRF's, with a clear parse_error for a malformed body
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "fer_site.api.throttles.UserRateThrottle",
        "fer_site.api.throttles.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("FER_API_USER_RATE", default="6000/hour"),
        "anon": env.str("FER_API_ANON_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "fer_site.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "FER platform API",
    "DESCRIPTION": (
        "Facial expression recognition from code: upload photos, get every face with its box, emotion and "
        "probabilities, list and delete your analyses, upload videos and get every face's emotion over time, "
        "read your statistics and the models' figures.\n\n"
        "Authenticate with `Authorization: Token <key>` (get a key from `POST /api/v1/auth/token/` or your "
        "profile page). Every error has the shape `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {"EmotionEnum": "analysis.models.EMOTION_CHOICES",
                            "VideoStatusEnum": "analysis.models.Video.Status",
                            # compare_status takes the same values (and "")
                            "AnalysisStatusEnum": "analysis.models.Analysis.Status"},
}

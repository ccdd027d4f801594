"""Settings for the OpenAEC ERP bridge: every value comes from the environment.

The variables are listed in DESIGN.md ("Environment") and `.env.example`.
https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# The development key is public: it only ever serves DEBUG runs.
DEVELOPMENT_SECRET_KEY = "django-insecure-openaec-development-key-do-not-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean the way administrators write them (1/0, true/false, yes/no, on/off)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    """Read a positive number."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive")
    return value


# CORE
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: with DEBUG off the server refuses the development key. "
        "Set SECRET_KEY to a long random value (see README, Production)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "openaec.accounts",
    "integrations",
    "projects",
    "erp",
    "bom",
    "orders",
    "costs",
    "ifcexport",
    "jobs",
    "preflight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "openaec.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openaec.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "openaec.urls"
WSGI_APPLICATION = "openaec.wsgi.application"
# API paths answer with and without a slash themselves; a redirect would drop a POST body.
APPEND_SLASH = False

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
                "openaec.context_processors.site",
            ],
        },
    },
]

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so the web process and the
    # job worker queue up instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHE: throttle state must be shared by every process, hence the database.
# https://docs.djangoproject.com/en/5.2/topics/cache/#database-caching
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "openaec_cache",
    }
}

# AUTHENTICATION
# https://docs.djangoproject.com/en/5.2/topics/auth/customizing/
AUTH_USER_MODEL = "accounts.User"
# Every password check (API login and token, /login, the admin) counts failed logins here.
AUTHENTICATION_BACKENDS = ["openaec.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ALLOW_REGISTRATION = env_bool("ALLOW_REGISTRATION", True)

# INTERNATIONALISATION
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# STATIC AND MEDIA FILES
# https://whitenoise.readthedocs.io/
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
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", "") or BASE_DIR / "media")
# A JSON body over 1 MiB is refused (uploads of IFC models have their own limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# IFC TAKEOFF
IFC_UPLOAD_MAX_BYTES = int(os.environ.get("IFC_UPLOAD_MAX_BYTES", str(1024**3)))
# An .ifczip may expand to at most this much (a zip bomb ends as a failed version).
IFC_MAX_EXPANDED_BYTES = int(os.environ.get("IFC_MAX_EXPANDED_BYTES", str(IFC_UPLOAD_MAX_BYTES)))
IFC_TAKEOFF_GEOMETRY = os.environ.get("IFC_TAKEOFF_GEOMETRY", "auto")
if IFC_TAKEOFF_GEOMETRY not in {"auto", "never", "always"}:
    raise ImproperlyConfigured("IFC_TAKEOFF_GEOMETRY must be auto, never or always")
IFC_TAKEOFF_THREADS = int(os.environ.get("IFC_TAKEOFF_THREADS", "2"))
# Processes meshing one model's geometry (default: the cores this worker may use), and the
# memory in MB the whole takeoff may take (default: what the machine or cgroup has free).
_WORKER_CORES = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
IFC_TAKEOFF_PROCESSES = max(1, int(os.environ.get("IFC_TAKEOFF_PROCESSES") or _WORKER_CORES))
IFC_TAKEOFF_MEMORY_MB = int(os.environ.get("IFC_TAKEOFF_MEMORY_MB") or 0) or None
# A running job whose worker wrote no progress for this long is shown as stalled and may be rerun.
JOB_STALL_SECONDS = int(os.environ.get("JOB_STALL_SECONDS", "900"))

# SECURITY
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# INTEGRATIONS
INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = env_bool("INTEGRATIONS_ALLOW_PRIVATE_NETWORKS", False)
ERPNEXT_TIMEOUT = env_float("ERPNEXT_TIMEOUT", 10.0)
ERPNEXT_CA_BUNDLE = os.environ.get("ERPNEXT_CA_BUNDLE", "").strip() or None
if ERPNEXT_CA_BUNDLE and not Path(ERPNEXT_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"ERPNEXT_CA_BUNDLE names no file: {ERPNEXT_CA_BUNDLE}")

# BACKGROUND JOBS
# https://github.com/RealOrangeOne/django-tasks-db
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# REST FRAMEWORK
# https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header is the one a 401 carries.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "openaec.accounts.authentication.BearerAuthentication",
        "openaec.accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["openaec.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "openaec.accounts.schema.AutoSchema",
    "EXCEPTION_HANDLER": "openaec.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "register": "20/hour",
        "connection_test": "30/min",
        "token_refresh": "60/min",
        "api_token_create": "30/hour",
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW = 600  # seconds
# Personal API tokens a user may hold at once.
API_TOKENS_PER_USER = int(os.environ.get("API_TOKENS_PER_USER", "50"))

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "60"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "7"))),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a digest of the password hash: a password change refuses every older one.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "openaec.accounts.api.serializers.TokenRefreshSerializer",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OpenAEC ERP bridge API",
    "DESCRIPTION": "ERPNext integration for the OpenAEC BIM server.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "openaec.accounts.schema.strip_trailing_slashes",
        "openaec.accounts.schema.document_parameters",
    ],
}

# LOGGING: secrets never reach a log line; the integrations log host and path only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

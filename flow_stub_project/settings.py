"""Settings of the Flow stub host.

SQLite by default; PostgreSQL when ``DATABASE_URL`` is set
(``postgres://user@host:port/name``). ``REDIS_URL`` switches django-q2 to Redis.

Production-safe by default: ``DEBUG`` is off, and there is no ``SECRET_KEY`` (Django
refuses to sign anything until ``DJANGO_SECRET_KEY`` is set) and no key to encrypt
credentials with (``OMNIUM_ENCRYPTION_KEYS``: comma-separated Fernet keys, newest first).
The demo (``demo_settings.py``) and the tests (``tests/settings.py``) set their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FLOW_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_q",
    "flow_stub_project.flow",
    "omnium_integration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "flow_stub_project.urls"
WSGI_APPLICATION = "flow_stub_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "flow",
        "USER": unquote(parsed.username or "") or os.environ.get("USER", "postgres"),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": os.environ.get("TEST_DATABASE_NAME") or None},
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(DATA_DIR / "flow.sqlite3")),
            # IMMEDIATE: take the write lock at BEGIN, so concurrent writers wait
            # (busy timeout) instead of failing on a lock upgrade. WAL: readers never
            # block the writer.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not :memory:, so test subprocesses (qcluster, workers) share it.
            "TEST": {
                "NAME": os.environ.get("TEST_SQLITE_PATH", str(DATA_DIR / "test_flow.sqlite3"))
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict] = []
LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "flow_stub_project.flow.api.authentication.TenantTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}

# --- the integration -------------------------------------------------------------------
OMNIUM_INTEGRATION = {
    "TENANT_MODEL": "flow.Tenant",
    "STORE_MODEL": "flow.Store",
    "CUSTOMER_MODEL": "flow.Customer",
    "ORDER_MODEL": "flow.Order",
    "ORDER_RECEIPT_MODEL": "flow.OrderReceipt",
    "RECEIVEMENT_MODEL": "flow.Receivement",
    # Where Omnium reaches this Flow: runserver's address unless told (the demo sets its
    # server's own address when it starts).
    "PUBLIC_BASE_URL": os.environ.get("OMNIUM_PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
    # The stub runs no nightly reconciliation; `manage.py omnium_reconcile` runs one.
    "RECONCILE_NIGHTLY": False,
}
if os.environ.get("OMNIUM_ENCRYPTION_KEYS"):
    OMNIUM_INTEGRATION["ENCRYPTION_KEYS"] = [
        key.strip() for key in os.environ["OMNIUM_ENCRYPTION_KEYS"].split(",") if key.strip()
    ]
if os.environ.get("OMNIUM_API_BASE_URL"):
    OMNIUM_INTEGRATION["API_BASE_URL"] = os.environ["OMNIUM_API_BASE_URL"]
if os.environ.get("OMNIUM_TIME_SCALE"):
    OMNIUM_INTEGRATION["TIME_SCALE"] = float(os.environ["OMNIUM_TIME_SCALE"])
if os.environ.get("OMNIUM_LEASE_SECONDS"):
    OMNIUM_INTEGRATION["LEASE_SECONDS"] = float(os.environ["OMNIUM_LEASE_SECONDS"])

# --- django-q2: one cluster per engine -------------------------------------------------
# Each engine is a named cluster whose broker list is its queue. ``timeout`` stays below
# ``retry`` (django-q2 would otherwise hand a slow task to a second worker), and the
# drain task's own time budget (45 s) stays below ``timeout``.
_ENGINE = {
    "workers": int(os.environ.get("OMNIUM_WORKERS", "2")),
    "timeout": 60,
    "retry": 90,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 100,
    "poll": 0.2,
}
Q_CLUSTER = {
    "name": "flow",
    **_ENGINE,
    "ALT_CLUSTERS": {
        "external_order_sync": dict(_ENGINE),
        "external_receivement_sync": dict(_ENGINE),
    },
}
if os.environ.get("REDIS_URL"):
    Q_CLUSTER["django_redis"] = None
    Q_CLUSTER["redis"] = os.environ["REDIS_URL"]
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "omnium_integration.redaction.RedactingFilter"}},
    "formatters": {
        "plain": {
            "()": "omnium_integration.logs.JobContextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

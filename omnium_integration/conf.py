"""The app's settings: the one place that reads ``settings.OMNIUM_INTEGRATION``.

Hosts set a single dict; every key is optional and falls back to the default below.
Values are read lazily and cached per key; the cache is dropped when Django's
``setting_changed`` fires, so ``override_settings`` works in tests (the DRF idiom).

Per-tenant values (credentials, the twelve ``OMNIUM_*`` parameters, tokens) are not
settings: they live in the database on :class:`~omnium_integration.models.TenantExtension`
and are edited in the admin.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Model
from django.utils.module_loading import import_string

SETTINGS_NAME = "OMNIUM_INTEGRATION"

DEFAULTS: dict[str, Any] = {
    # --- Flow's models, found the way AUTH_USER_MODEL is found -------------------------
    "TENANT_MODEL": "flow.Tenant",
    "STORE_MODEL": "flow.Store",
    "CUSTOMER_MODEL": "flow.Customer",
    "ORDER_MODEL": "flow.Order",
    "ORDER_RECEIPT_MODEL": "flow.OrderReceipt",
    "RECEIVEMENT_MODEL": "flow.Receivement",
    # The class that knows how Flow's models are shaped (reading an order's lines,
    # setting a state). Subclass it when Flow's models differ from the stub's.
    "ADAPTER": "omnium_integration.host.FlowAdapter",
    # --- Omnium API -----------------------------------------------------------------------
    # Default base URL; a tenant may override it (test/dev environments, the sandbox).
    "API_BASE_URL": "https://api.omnium.no",
    "CONNECT_TIMEOUT": 5.0,  # seconds
    "READ_TIMEOUT": 30.0,  # seconds
    # Import string of a factory returning the ``requests`` transport adapter the client
    # mounts on its sessions (e.g. an in-process fake Omnium for unit tests); None:
    # requests' HTTPAdapter.
    "HTTP_ADAPTER": None,
    # Omnium allows 20 concurrent requests per API user (docs/omnium-api.md#rate-limits);
    # one API user per tenant.
    "MAX_CONCURRENT_CALLS_PER_TENANT": 20,
    # Bulk updates (UpdateMany): at most 4 at once per API user.
    "MAX_CONCURRENT_BULK_CALLS_PER_TENANT": 4,
    # Where the per-tenant call slots (lock files shared by every worker process on this
    # machine) live; empty: the system temp dir. Must be local to the machine.
    "CONCURRENCY_LOCK_DIR": "",
    "BATCH_SIZE_LIMIT": 1000,  # items per bulk call (inventory, orders)
    # Tokens are reused until this margin before the earlier of their expiry and max age.
    "TOKEN_MAX_AGE": 16 * 3600,  # seconds
    "TOKEN_RENEW_MARGIN": 300,  # seconds
    # --- Job engine -----------------------------------------------------------------------
    # Minutes before retry n (1-based); the last value repeats for every later retry.
    "RETRY_SCHEDULE": (1, 2, 5, 10, 20, 30, 45, 60, 90, 120),
    # Give up after this many attempts (None: keep retrying every last-schedule minutes).
    "MAX_ATTEMPTS": None,
    # A job waiting for the object it depends on (a return for its sale) looks again after
    # this many seconds, without counting as a failure.
    "DEPENDENCY_WAIT": 5.0,
    # A 409 on an update (two updates raced in Omnium): re-read, re-apply, send again, this
    # many times in all before the attempt fails as retryable.
    "CONFLICT_ATTEMPTS": 3,
    # A claimed job belongs to its worker for this long; afterwards anyone may take it.
    "LEASE_SECONDS": 300,
    "CLAIM_BATCH_SIZE": 50,
    # A drain task stops claiming after this long and re-kicks itself, so each django-q2
    # task stays well below the cluster's ``timeout`` (which must stay below ``retry``).
    "DRAIN_TIME_BUDGET": 45.0,  # seconds
    # Kick the engine with a django-q2 task when a transaction that wrote jobs commits.
    "DISPATCH_ON_COMMIT": True,
    # Compress every engine delay (retry schedule, Retry-After, leases) by this factor.
    # 1.0 in production; chaos tests run the whole retry table in seconds.
    "TIME_SCALE": 1.0,
    # --- Retention (retention.py: a daily schedule, and ``omnium_jobs --prune``) ---------
    # Failed (and pending, running) jobs are never pruned: they wait for a person.
    "SUCCEEDED_RETENTION_DAYS": 14,  # succeeded jobs, with their attempts
    "CANCELLED_RETENTION_DAYS": 30,  # cancelled jobs, with their attempts
    "ATTEMPT_RETENTION_DAYS": 30,  # attempts of jobs that are not failed (long retries)
    "EVENT_RETENTION_DAYS": 30,  # Omnium events as they arrived
    "REFUSED_DELIVERY_RETENTION_DAYS": 7,  # webhook deliveries refused with a 4xx
    # Refused deliveries stored per hour at most: anyone can post to the webhook URL.
    "REFUSED_DELIVERIES_PER_HOUR": 1000,
    # --- Health, alerts, metrics ----------------------------------------------------------
    # A queue is down when a due job has waited longer than this (seconds).
    "HEALTH_MAX_DUE_AGE": 300,
    # --- Secrets at rest ------------------------------------------------------------------
    # Fernet keys (``omnium_secrets generate-key``), newest first: the first encrypts the
    # client secrets, tokens and webhook secrets stored in the database, every one
    # decrypts. Required: the system check E020 fails without a valid key.
    "ENCRYPTION_KEYS": (),
    # After a new webhook secret is added, the ones before it keep working this long
    # (seconds), so Omnium's subscription can be changed without refusing an event.
    "WEBHOOK_SECRET_OVERLAP": 72 * 3600,
    # Each cause (a failed job, a tenant's credentials, a queue down) is mailed at most once
    # per this many seconds, in a digest.
    "ALERT_INTERVAL": 3600,
    # Who gets the digest; empty: Django's ADMINS.
    "ALERT_EMAILS": (),
    # The metrics endpoint (/omnium/metrics/) is off unless one of these is set: a bearer
    # token scrapers send, or client addresses/networks allowed without one.
    "METRICS_TOKEN": "",
    "METRICS_ALLOWED_IPS": (),
    # --- Inbound (Omnium -> Flow) ---------------------------------------------------------
    "WEBHOOK_MAX_BODY_BYTES": 256 * 1024,
    "WEBHOOK_AUTH_HEADER": "X-Omnium-Api-Key",  # besides ``Authorization: Bearer``
    # Flow's public address, so ``omnium_check`` can print the full webhook URL to enter
    # in Omnium's event subscription (e.g. "https://flow.example.com").
    "PUBLIC_BASE_URL": "",
    "POLL_INTERVAL_MINUTES": 5,  # safety-net delta poll of Omnium orders
    "POLL_ORDER_TYPES": ("ClickAndCollect", "OnlineOrder", "Online"),
    # The member that marks an anonymised Omnium customer. Omnium documents that it marks
    # one, not the member's name (docs/omnium-api.md#customers); set the real name here.
    "ANONYMIZED_CUSTOMER_MEMBER": "isAnonymized",
    # --- Forgetting (docs/operations.md#gdpr-erasure) -------------------------------------
    # Personal values shorter than this are not searched for when the integration's rows
    # are scrubbed (a two-letter name would erase every word that has it).
    "SCRUB_MIN_TERM_LENGTH": 3,
    # What a scrubbed value becomes: this, a colon and a random suffix, in brackets
    # ("[erased:3f9a1c0b]"), so values that had to be unique stay unique.
    "SCRUB_PLACEHOLDER": "erased",
    # --- Outbound (Flow -> Omnium) --------------------------------------------------------
    # Omnium order type of the POS sales we create (must exist in Omnium's order types).
    "POS_ORDER_TYPE": "Pos",
    # The shipping method of a POS sale's shipment when neither the Flow order nor the
    # tenant's OMNIUM_DEFAULT_SHIPPING_METHOD_ID names one (Omnium's shipments need one);
    # empty: such a sale fails permanently with the reason instead.
    "POS_SHIPPING_METHOD": "InStore",
    # Omnium statuses written for a Flow order: a POS sale is created in the completed
    # status; an order that came from Omnium is moved to one of these when the store
    # completes or cancels it (UpdateStatus, which runs Omnium's workflow for the status).
    "ORDER_COMPLETED_STATUS": "Completed",
    "ORDER_CANCELLED_STATUS": "OrderCanceled",
    # One stock.export run sends at most this many SKUs (ten UpdateMany calls) and runs
    # again for the rest, so a store's first push of its whole range fits in a lease.
    "STOCK_SKUS_PER_JOB": 10_000,
    # --- Reconciliation (omnium_reconcile, docs/operations.md#reconciliation) -------------
    # Reconcile every active tenant's previous day each night, at this time of TIME_ZONE.
    "RECONCILE_NIGHTLY": True,
    "RECONCILE_NIGHTLY_AT": "03:00",
    # Enqueue the repairing jobs after the nightly run too (off: the admin's "heal" does).
    "RECONCILE_NIGHTLY_HEAL": False,
    # django-q2 timeout of one tenant's nightly run (seconds); longer than the cluster's.
    "RECONCILE_TASK_TIMEOUT": 3600,
    # Omnium is read this much beyond both ends of the period (sent late, clocks apart).
    "RECONCILE_MARGIN_MINUTES": 60,
    # A run keeps at most this many differences (the counts are always complete).
    "RECONCILE_MAX_STORED_DIFFERENCES": 10_000,
    # --- Stock at Flow-master stores ------------------------------------------------------
    # Flow's stock ledger: a booked movement at a Flow-master store notes its SKUs for the
    # store's stock push, in the movement's own transaction (the adapter says which saves
    # are booked movements: ``stock_movement_due``).
    "STOCK_MOVEMENT_MODEL": "flow.StockMovement",
    # The drift check's daily run: local time "HH:MM" (Django's TIME_ZONE) from which each
    # Flow-master store is checked once a day; None: no scheduled check (the command only).
    "STOCK_CHECK_TIME": None,
    # The scheduled check also heals: it pushes Flow's level of every SKU found different.
    "STOCK_CHECK_HEAL": False,
}

# Keys whose value names an importable object.
IMPORT_STRINGS = {"ADAPTER", "HTTP_ADAPTER"}


class AppSettings:
    """Attribute access to the app's settings with defaults (``app_settings.LEASE_SECONDS``)."""

    def __init__(self, defaults: dict[str, Any]):
        self._defaults = defaults
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, SETTINGS_NAME, {}) or {}
        if not isinstance(value, dict):
            raise ImproperlyConfigured(f"{SETTINGS_NAME} must be a dict.")
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._defaults:
            raise AttributeError(f"Invalid {SETTINGS_NAME} setting: {name!r}")
        if name not in self._cache:
            value = self.user_settings.get(name, self._defaults[name])
            if name in IMPORT_STRINGS and isinstance(value, str):
                value = import_string(value)
            self._cache[name] = value
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()
        _host_models.clear()


app_settings = AppSettings(DEFAULTS)
_host_models: dict[str, type[Model]] = {}


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        app_settings.reload()


setting_changed.connect(_reload)


def host_model_label(key: str) -> str:
    """The ``app_label.ModelName`` string configured for a Flow model (e.g. ``TENANT_MODEL``)."""
    return getattr(app_settings, key)


def get_host_model(key: str) -> type[Model]:
    """Resolve a Flow model named by a setting, with an error that says which setting is wrong."""
    if key not in _host_models:
        label = host_model_label(key)
        try:
            _host_models[key] = apps.get_model(label, require_ready=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{SETTINGS_NAME}['{key}'] must be of the form 'app_label.ModelName', "
                f"not {label!r}."
            ) from exc
        except LookupError as exc:
            raise ImproperlyConfigured(
                f"{SETTINGS_NAME}['{key}'] refers to model {label!r}, which is not installed."
            ) from exc
    return _host_models[key]


def get_tenant_model() -> type[Model]:
    return get_host_model("TENANT_MODEL")


def get_store_model() -> type[Model]:
    return get_host_model("STORE_MODEL")


def get_customer_model() -> type[Model]:
    return get_host_model("CUSTOMER_MODEL")


def get_order_model() -> type[Model]:
    return get_host_model("ORDER_MODEL")


def get_order_receipt_model() -> type[Model]:
    return get_host_model("ORDER_RECEIPT_MODEL")


def get_receivement_model() -> type[Model]:
    return get_host_model("RECEIVEMENT_MODEL")


def get_stock_movement_model() -> type[Model]:
    return get_host_model("STOCK_MOVEMENT_MODEL")

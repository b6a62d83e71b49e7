"""Signal receivers on Flow's models: each writes an outbound job in the saving transaction.

Receivers stay one-liners over :func:`capture`, which finds the tenant's active Omnium
extension and enqueues the job. Writes the integration itself makes to Flow (the inbound
import, storing an Omnium id back) run inside :func:`capture_suppressed`, so they never
bounce back to Omnium as an outbound update of the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

from .conf import get_host_model
from .enums import JobKind
from .host import get_adapter
from .jobs import manager
from .models import JobSource, StoreExtension, TenantExtension
from .privacy.erasures import capture_erasure

_suppressed: ContextVar[bool] = ContextVar("omnium_capture_suppressed", default=False)


@contextmanager
def capture_suppressed() -> Iterator[None]:
    """Flow saves made inside this block write no outbound jobs."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def capture(
    instance: Model,
    kind: str,
    *,
    payload: dict[str, Any] | None = None,
    require: dict[str, Any] | None = None,
    source: str = JobSource.SIGNAL,
) -> tuple[int, bool] | None:
    """Enqueue ``kind`` for ``instance`` if its tenant's Omnium extension is active.

    ``require`` adds conditions on the extension's parameters (e.g.
    ``{"send_order_receipt_to_omnium": True}``), checked in the same lookup.
    Returns what :func:`~omnium_integration.jobs.manager.enqueue` returns, or ``None`` when
    nothing was captured (suppressed, or the tenant has no active extension).
    """
    if _suppressed.get():
        return None
    adapter = get_adapter()
    extension_id = adapter.active_extension_id(adapter.tenant_id_of(instance), **(require or {}))
    if extension_id is None:
        return None
    return manager.enqueue(
        kind,
        extension_id=extension_id,
        object_id=instance.pk,
        payload=payload,
        source=source,
    )


# ------------------------------------------------------------------------ Flow models


@dataclass(frozen=True)
class Capture:
    """Which Flow model's saves become which job, and when a save is worth sending."""

    name: str
    model_key: str  # the setting naming Flow's model
    kind: str
    due: str  # the adapter method that says whether a saved instance has news for Omnium
    require: tuple[tuple[str, Any], ...] = ()  # extension parameters that must hold

    def __call__(
        self, instance: Model, *, source: str = JobSource.SIGNAL
    ) -> tuple[int, bool] | None:
        """Capture ``instance`` if it is due; what :func:`capture` returns, else ``None``."""
        if not getattr(get_adapter(), self.due)(instance):
            return None
        return capture(instance, self.kind, require=dict(self.require), source=source)

    def receiver(self, sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
        # ``raw`` saves (fixture loading) are data restores, not POS events.
        if not raw:
            self(instance)


CAPTURES = {
    c.name: c
    for c in (
        Capture("order", "ORDER_MODEL", JobKind.ORDER_EXPORT, "order_export_due"),
        Capture("customer", "CUSTOMER_MODEL", JobKind.CUSTOMER_EXPORT, "customer_export_due"),
        Capture(
            "receipt",
            "ORDER_RECEIPT_MODEL",
            JobKind.RECEIPT_EXPORT,
            "receipt_export_due",
            require=(("send_order_receipt_to_omnium", True),),
        ),
        Capture(
            "receivement", "RECEIVEMENT_MODEL", JobKind.RECEIVEMENT_EXPORT, "receivement_export_due"
        ),
    )
}


# ------------------------------------------------------------------------------ stock


@dataclass(frozen=True)
class StockCapture(Capture):
    """A booked stock movement at a Flow-master store: its SKUs are noted for the store's
    ``stock.export`` job, which is enqueued (or joined), in the movement's transaction.

    One job per store, not per movement: the notes carry the SKUs, and the job sends the
    levels of when it runs (docs/decisions.md#changed-skus-are-notes-not-payload). A
    movement at an Omnium-master store, or of an inactive tenant, notes nothing.
    """

    def __call__(
        self, instance: Model, *, source: str = JobSource.SIGNAL
    ) -> tuple[int, bool] | None:
        from .sync.stock import StockChange, note_stock_changes

        adapter = get_adapter()
        if _suppressed.get() or not adapter.stock_movement_due(instance):
            return None
        extension_id = adapter.stock_master_extension_id(adapter.movement_store_id(instance))
        if extension_id is None:
            return None
        movement = adapter.stock_movement(instance)
        # Enqueued as a Flow change whoever asks (a command too): the store's pending job
        # stays locked until these notes commit, so no push runs without them.
        return note_stock_changes(
            extension_id=extension_id,
            store_id=movement.store_pk,
            changes=[StockChange(sku) for sku in movement.skus],
            reason=movement.reason,
        )


STOCK_MOVEMENTS = StockCapture(
    "stock-movement", "STOCK_MOVEMENT_MODEL", JobKind.STOCK_EXPORT, "stock_movement_due"
)
CAPTURES[STOCK_MOVEMENTS.name] = STOCK_MOVEMENTS


def send_full_stock(
    store_id: Any, *, reason: str, source: str = JobSource.SIGNAL
) -> tuple[int, bool] | None:
    """Queue a Flow-master store's whole stock for Omnium (``stock.full``); ``None`` when the
    store is not Flow-master, its tenant is not active, or it keeps no stock."""
    from .sync.stock import queue_full_stock

    adapter = get_adapter()
    extension_id = adapter.stock_master_extension_id(store_id)
    if extension_id is None or not adapter.has_stock(store_id):
        return None
    return queue_full_stock(
        extension_id=extension_id, store_id=store_id, reason=reason, source=source
    )


# Per model, the flag that makes Flow send a store's stock; its value before a save is
# kept on the instance, under _WAS, from pre_save to post_save.
_WAS = "_omnium_stock_flag_before"
_SWITCHES = ((StoreExtension, "flow_stock_master"), (TenantExtension, "is_active"))


def _remember_flag(sender, instance: Model, raw: bool = False, update_fields=None, **kw) -> None:
    field = dict(_SWITCHES)[sender]
    if raw or (update_fields is not None and field not in update_fields):
        return  # a restore, or a save that leaves the flag alone
    before = False
    if not instance._state.adding:
        before = sender.objects.filter(pk=instance.pk, **{field: True}).exists()
    instance.__dict__[_WAS] = before


def _flag_switched_on(sender, instance: Model, raw: bool = False, **kw) -> None:
    """A store switched to Flow-master, or a tenant with Flow-master stores activated: Flow
    starts sending those stores' stock, so Omnium gets all of it once."""
    before = instance.__dict__.pop(_WAS, None)
    if raw or before is None or before or not getattr(instance, dict(_SWITCHES)[sender]):
        return
    if sender is StoreExtension:
        send_full_stock(instance.store_id, reason="store switched to Flow stock master")
        return
    for store in get_adapter().master_stores(extension=instance):
        send_full_stock(store.pk, reason="Omnium extension activated")


def _connect_stock_switches() -> None:
    for model, _field in _SWITCHES:
        uid = f"omnium_integration.stock_switch.{model.__name__}"
        pre_save.connect(_remember_flag, sender=model, dispatch_uid=uid, weak=False)
        post_save.connect(_flag_switched_on, sender=model, dispatch_uid=uid, weak=False)


def _disconnect_stock_switches() -> None:
    for model, _field in _SWITCHES:
        uid = f"omnium_integration.stock_switch.{model.__name__}"
        pre_save.disconnect(sender=model, dispatch_uid=uid)
        post_save.disconnect(sender=model, dispatch_uid=uid)


def dispatch_uid(capture: Capture) -> str:
    return f"omnium_integration.capture.{capture.name}"


# ------------------------------------------------------------------------ erasures
# Flow's erase action is a save of the customer with its personal data gone. What the
# customer was is read just before that save (the row still has it) and handed to
# ``capture_erasure`` after it, in the same transaction. The integration's own erasing
# of a customer (Omnium anonymised it) runs suppressed and records itself.

ERASED_FROM = "_omnium_erased_from"
ERASURE_UIDS = ("omnium_integration.erasure.before", "omnium_integration.erasure.after")


def _before_customer_save(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None or _suppressed.get():
        return
    adapter = get_adapter()
    if not adapter.customer_is_erased(instance):
        return
    stored = adapter.stored_customer(instance)
    if stored is not None and not adapter.customer_is_erased(stored):
        instance.__dict__[ERASED_FROM] = stored


def _after_customer_save(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    before = instance.__dict__.pop(ERASED_FROM, None)
    if before is not None and not raw:
        capture_erasure(instance, before)


def connect_receivers() -> None:
    """Connect a post_save receiver to each captured Flow model (idempotent).

    A setting naming a model that does not exist is skipped here and reported by the
    system check ``omnium_integration.E002`` with a hint, instead of crashing startup.
    """
    for item in CAPTURES.values():
        try:
            model = get_host_model(item.model_key)
        except ImproperlyConfigured:
            continue
        post_save.connect(item.receiver, sender=model, dispatch_uid=dispatch_uid(item), weak=False)
    _connect_stock_switches()
    try:
        customer_model = get_host_model("CUSTOMER_MODEL")
    except ImproperlyConfigured:
        return
    before, after = ERASURE_UIDS
    pre_save.connect(_before_customer_save, sender=customer_model, dispatch_uid=before)
    post_save.connect(_after_customer_save, sender=customer_model, dispatch_uid=after)


def disconnect_receivers() -> None:
    """The opposite of :func:`connect_receivers` (benchmarks measure Flow without us).

    A receiver connected for a sender is found by its dispatch uid and that sender.
    """
    for item in CAPTURES.values():
        try:
            model = get_host_model(item.model_key)
        except ImproperlyConfigured:
            continue
        post_save.disconnect(sender=model, dispatch_uid=dispatch_uid(item))
        if item.model_key == "CUSTOMER_MODEL":
            pre_save.disconnect(sender=model, dispatch_uid=ERASURE_UIDS[0])
            post_save.disconnect(sender=model, dispatch_uid=ERASURE_UIDS[1])
    _disconnect_stock_switches()

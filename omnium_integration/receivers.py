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
from .models import JobSource
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

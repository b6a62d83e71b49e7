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
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.db.models.signals import post_save

from .conf import get_host_model
from .enums import JobKind
from .host import get_adapter
from .jobs import engine
from .models import JobSource

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
) -> tuple[int, bool] | None:
    """Enqueue ``kind`` for ``instance`` if its tenant's Omnium extension is active.

    ``require`` adds conditions on the extension's parameters (e.g.
    ``{"send_order_receipt_to_omnium": True}``), checked in the same lookup.
    Returns what :func:`~omnium_integration.jobs.engine.enqueue` returns, or ``None`` when
    nothing was captured (suppressed, or the tenant has no active extension).
    """
    if _suppressed.get():
        return None
    adapter = get_adapter()
    extension_id = adapter.active_extension_id(adapter.tenant_id_of(instance), **(require or {}))
    if extension_id is None:
        return None
    return engine.enqueue(
        kind,
        tenant_id=extension_id,
        object_id=instance.pk,
        payload=payload,
        source=JobSource.SIGNAL,
    )


# ------------------------------------------------------------------------ Flow models
# Connected in ``AppConfig.ready`` to the models the settings name. ``raw`` saves (fixture
# loading) are data restores, not POS events, so they are not captured.


def order_saved(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw and get_adapter().order_export_due(instance):
        capture(instance, JobKind.ORDER_EXPORT)


def customer_saved(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw and get_adapter().customer_export_due(instance):
        capture(instance, JobKind.CUSTOMER_EXPORT)


def receipt_saved(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw and get_adapter().receipt_export_due(instance):
        capture(instance, JobKind.RECEIPT_EXPORT, require={"send_order_receipt_to_omnium": True})


def receivement_saved(sender, instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw and get_adapter().receivement_export_due(instance):
        capture(instance, JobKind.RECEIVEMENT_EXPORT)


def connect_receivers() -> None:
    """Connect the receivers to Flow's models (idempotent: fixed ``dispatch_uid``s).

    A setting naming a model that does not exist is skipped here and reported by the
    system check ``omnium_integration.E002`` with a hint, instead of crashing startup.
    """
    for key, receiver in (
        ("ORDER_MODEL", order_saved),
        ("CUSTOMER_MODEL", customer_saved),
        ("ORDER_RECEIPT_MODEL", receipt_saved),
        ("RECEIVEMENT_MODEL", receivement_saved),
    ):
        try:
            model = get_host_model(key)
        except ImproperlyConfigured:
            continue
        post_save.connect(
            receiver, sender=model, dispatch_uid=f"omnium_integration.{receiver.__name__}"
        )

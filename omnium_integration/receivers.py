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

from django.db.models import Model
from django.db.models.signals import post_save
from django.dispatch import receiver

from .conf import host_model_label
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
    instance: Model, kind: str, *, payload: dict[str, Any] | None = None
) -> tuple[int, bool] | None:
    """Enqueue ``kind`` for ``instance`` if its tenant's Omnium extension is active.

    Returns what :func:`~omnium_integration.jobs.engine.enqueue` returns, or ``None`` when
    nothing was captured (suppressed, or the tenant has no active extension).
    """
    if _suppressed.get():
        return None
    adapter = get_adapter()
    extension_id = adapter.active_extension_id(adapter.tenant_id_of(instance))
    if extension_id is None:
        return None
    return engine.enqueue(
        kind,
        tenant_id=extension_id,
        object_id=instance.pk,
        payload=payload,
        source=JobSource.SIGNAL,
    )


# --- goods receptions (receivement engine) ----------------------------------------------


@receiver(
    post_save, sender=host_model_label("RECEIVEMENT_MODEL"), dispatch_uid="omnium_receivement"
)
def receivement_saved(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """A goods reception saved as completed: confirm it to Omnium (or send stock)."""
    if get_adapter().is_completed_receivement(instance):
        capture(instance, JobKind.RECEIVEMENT_EXPORT)

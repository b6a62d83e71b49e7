"""What happens to an Omnium event once the webhook has accepted it: stored, and for an
order turned into an ``order.import`` job, for a customer Flow has (or may create) into a
``customer.import`` job. Nothing here calls Omnium: the job does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from ..conf import app_settings
from ..enums import EventOutcome, JobKind
from ..host import get_adapter
from ..jobs import manager
from ..mapping.order_imports import order_kind
from ..models import InboundEvent, JobSource, TenantExtension, WebhookSecret
from ..sync.inbound_customers import UNKNOWN
from ..sync.inbound_orders import known_customer
from .envelope import is_customer_event, is_order_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    """What became of one delivery: the answer the view gives Omnium."""

    outcome: str
    event_pk: int | None = None
    job_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.outcome, "event": self.event_pk}
        if self.job_id is not None:
            data["job"] = self.job_id
        if self.reason:
            data["reason"] = self.reason
        return data


def ignore_reason(event: dict[str, Any]) -> str:
    """Why an event starts no import ("" for an order event the import handles).

    For orders ``subClassName`` carries the order type (compared case-insensitively:
    Omnium has written ``ClickAndcollect``); an event without one is imported, and the
    job decides from the fetched order.
    """
    if not is_order_event(event):
        return f"{event['className']} events are not imported."
    order_type = event.get("subClassName") or ""
    if order_type and order_kind(order_type, app_settings.POLL_ORDER_TYPES) is None:
        return f"Order type {order_type!r} is not imported."
    return ""


def customer_ignore_reason(extension: TenantExtension, omnium_id: str) -> str:
    """Why a customer event starts no import ("" when it does).

    An event imports the Flow customer it belongs to, unless that customer is erased;
    for a customer Flow does not have, only when the tenant creates customers from
    events. The job checks again when it runs.
    """
    customer = known_customer(extension, omnium_id)
    if customer is None:
        return "" if extension.create_customers_from_events else UNKNOWN
    if get_adapter().customer_is_erased(customer):
        return "The Flow customer is erased."
    return ""


def import_job(extension: TenantExtension, event: dict[str, Any]) -> tuple[str | None, str]:
    """``(job kind, "")`` for an event that starts an import, else ``(None, why not)``."""
    if is_customer_event(event):
        reason = customer_ignore_reason(extension, event["objectId"])
        return (None, reason) if reason else (JobKind.CUSTOMER_IMPORT, "")
    reason = ignore_reason(event)
    return (None, reason) if reason else (JobKind.ORDER_IMPORT, "")


def receive_event(
    extension: TenantExtension,
    body: dict[str, Any],
    event: dict[str, Any],
    *,
    headers: dict[str, str],
    remote_addr: str | None,
    webhook_secret: WebhookSecret | None = None,
) -> IntakeResult:
    """Store the event and enqueue its import (:func:`import_job`); both or neither.

    A repeated event id is answered as a duplicate and stores nothing more: the unique
    (tenant, event id) index refuses the second row and the transaction, job included,
    rolls back. Repeats are rare (Omnium's retries), so a new event is not looked up
    first. An order that already has an active import job gets no second one (the
    engine coalesces: the job fetches the order's current state when it runs).
    """
    event_id = event.get("id") or ""
    kind, reason = import_job(extension, event)
    try:
        with transaction.atomic():
            job_id, outcome = None, EventOutcome.IGNORED
            if kind is not None:
                job_id, created = manager.enqueue(
                    kind,
                    extension_id=extension.pk,
                    object_id=event["objectId"],
                    source=JobSource.WEBHOOK,
                )
                outcome = EventOutcome.QUEUED if created else EventOutcome.COALESCED
            stored = InboundEvent.objects.create(
                extension=extension,
                event_id=event_id,
                class_name=event["className"],
                sub_class_name=event["subClassName"],
                object_id=event["objectId"],
                body=body,
                headers=headers,
                remote_addr=remote_addr,
                webhook_secret=webhook_secret,
                outcome=outcome,
                reason=reason[:300],
                job_id=job_id,
            )
    except IntegrityError:
        # The same event again (a retry, or two deliveries at once): the delivery that
        # stored it first holds the job (the unique (tenant, event id) index).
        original = _original(extension, event_id) if event_id else None
        if original is None:
            raise
        return IntakeResult(EventOutcome.DUPLICATE, original.pk, original.job_id)
    logger.info(
        "Omnium event %s: %s",
        event_id or "(no id)",
        outcome,
        extra={"extension_id": extension.pk, "job_id": job_id, "object_id": event["objectId"]},
    )
    return IntakeResult(outcome, stored.pk, job_id, reason)


def _original(extension: TenantExtension, event_id: str) -> InboundEvent | None:
    return (
        InboundEvent.objects.filter(extension=extension, event_id=event_id)
        .only("pk", "job_id")
        .first()
    )

"""Omnium -> Flow orders: the ``order.import`` handler.

The job fetches the order its event (or the delta poll) named, and the unknown customer
when there is one, then applies it to Flow in one transaction inside the job's lease, by
the rules of :mod:`omnium_integration.mapping.order_imports`:

* a new order is created (state, handling task, deadline per its type);
* a known order gets its header and lines updated, and is reopened (``OPEN``) when the
  goods changed, so staff look at it again; a change that touches no line (a status
  step, our own write-back echoing) leaves the Flow state alone;
* an Omnium cancellation status, or an order Omnium no longer has (404: deleted),
  cancels the Flow order;
* an order already ``COMPLETED`` or ``CANCELLED`` in Flow is never changed by an import;
* :class:`~omnium_integration.models.ImportedOrder` keeps the Omnium ``modified`` of the
  version applied; an older one is never applied (events arrive in any order).

Every Flow write runs inside ``capture_suppressed()``: the import writes no outbound job
(no echo back to Omnium).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from .. import identities
from ..client import get_client
from ..conf import app_settings
from ..enums import Direction, IdentityKind, ImportOutcome, JobKind, Queue
from ..exceptions import ConfigurationError, MappingError
from ..host import get_adapter
from ..jobs import manager
from ..jobs.registry import handles
from ..mapping.common import text
from ..mapping.customer_imports import (
    customer_values,
    customer_values_from_order,
    is_anonymized,
)
from ..mapping.order_imports import (
    CLICK_AND_COLLECT,
    fingerprint,
    is_cancelled,
    omnium_deadline,
    omnium_lines,
    order_kind,
    plan_lines,
    store_candidates,
)
from ..mapping.records import LinePlan, LineSpec, OrderHeader
from ..models import ExternalSyncJob, ImportedOrder, TenantExtension
from ..receivers import capture_suppressed
from ..transform import parse_omnium_datetime
from ..workdays import pickup_deadline

# ------------------------------------------------------------------------ the handler


@handles(JobKind.ORDER_IMPORT, queue=Queue.ORDER, direction=Direction.INBOUND)
def import_order(job: ExternalSyncJob) -> dict[str, Any]:
    """Fetch the Omnium order the job names and create or update its Flow order."""
    extension = job.extension
    if not extension.is_active:
        raise ConfigurationError("The tenant's Omnium extension is not active.")
    client = get_client(extension)
    order = client.get_order(job.object_id)
    customer = fetch_unknown_customer(client, extension, order)
    return apply_order(
        extension, job.object_id, order, customer=customer, atomic=manager.leased(job)
    )


def fetch_unknown_customer(
    client: Any, extension: TenantExtension, order: dict[str, Any] | None
) -> tuple[str, dict[str, Any]] | None:
    """``(kind, customer)`` from Omnium when the order's customer is not in Flow yet.

    Fetched before the Flow transaction so no database transaction waits on Omnium.
    ``customerType`` B2B looks among business customers first, anything else among
    private customers first; ``None`` when Omnium has neither.
    """
    if not order or is_cancelled(order) or _kind(order) is None:
        return None  # no Flow order will be created or changed for it
    customer_id = text(order.get("customerId"))
    if not customer_id or known_customer(extension, customer_id):
        return None
    lookups = [
        ("private", client.get_private_customer),
        ("business", client.get_business_customer),
    ]
    if text(order.get("customerType")).upper() == "B2B":
        lookups.reverse()
    for kind, get in lookups:
        found = get(customer_id)
        if found:
            return kind, found
    return None


def known_customer(extension: TenantExtension, omnium_customer_id: str) -> Model | None:
    """The Flow customer that is Omnium customer ``omnium_customer_id``: by the identity
    map first (a Flow customer sent as ``C1`` may have the UID ``C-1``), else as the
    adapter finds it (Omnium's id stored on the customer, or its UID), unless the map
    gives that customer another Omnium id (Flow's ``C1`` sent as ``C1_2`` because Omnium's
    ``C1`` is someone else)."""
    adapter = get_adapter()
    ref = identities.flow_ref_for(extension, IdentityKind.CUSTOMER, omnium_customer_id)
    if ref is not None:
        found = adapter.customer_by_pk(extension.tenant, ref)
        if found is not None:
            return found
    found = adapter.find_customer(extension.tenant, omnium_customer_id)
    if found is not None:
        row = identities.find(extension, IdentityKind.CUSTOMER, found.pk)
        if row is not None and row.omnium_id != omnium_customer_id:
            return None
    return found


def apply_order(
    extension: TenantExtension,
    omnium_id: str,
    order: dict[str, Any] | None,
    *,
    customer: tuple[str, dict[str, Any]] | None = None,
    atomic: AbstractContextManager | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bring Flow in line with ``order`` (Omnium's current state; ``None``: deleted).

    ``atomic`` is the transaction to write in (the job's lease); ``customer`` is what
    :func:`fetch_unknown_customer` found. Returns the job result.
    """
    with atomic if atomic is not None else transaction.atomic(), capture_suppressed():
        record = (
            ImportedOrder.objects.select_for_update()
            .filter(extension=extension, omnium_order_id=omnium_id)
            .first()
        )
        run = _Import(extension, omnium_id, record, now or timezone.now())
        return run.apply(order, customer)


# -------------------------------------------------------------------------- applying


class _Import:
    """One application of an Omnium order to Flow, inside the job's transaction."""

    def __init__(
        self,
        extension: TenantExtension,
        omnium_id: str,
        record: ImportedOrder | None,
        now: datetime,
    ):
        self.adapter = get_adapter()
        self.extension = extension
        self.tenant = extension.tenant
        self.omnium_id = omnium_id
        self.record = record
        self.now = now

    def apply(
        self, order: dict[str, Any] | None, customer: tuple[str, dict[str, Any]] | None
    ) -> dict[str, Any]:
        if order is None:
            return self._deleted()
        modified = parse_omnium_datetime(order.get("modified"))
        digest = fingerprint(order)
        if self.record is not None and self.record.holds(modified, digest):
            if self.record.fingerprint == digest:
                reason = "This Omnium version is already applied."
            else:
                reason = (
                    f"Stale read: Omnium's modified {modified} is older than the applied "
                    f"{self.record.omnium_modified}."
                )
            return self._result(ImportOutcome.UNCHANGED, self.record.order_id, reason)
        flow_order = self.adapter.find_order(self.tenant, self.omnium_id)
        outcome, reason, result = self._decide(order, flow_order, customer)
        flow_order = result.pop("flow_order", flow_order)
        if flow_order is not None:  # the pair, for every later call both ways
            identities.resolve(
                self.extension,
                IdentityKind.ORDER,
                flow_order.pk,
                flow_order.uid,
                known=self.omnium_id,
            )
        self._record(order, modified, digest, outcome, reason, flow_order)
        return {**self._result(outcome, flow_order.pk if flow_order else None, reason), **result}

    def _decide(
        self,
        order: dict[str, Any],
        flow_order: Model | None,
        customer: tuple[str, dict[str, Any]] | None,
    ) -> tuple[str, str, dict[str, Any]]:
        """Apply ``order``; return (outcome, reason, result details)."""
        kind = _kind(order)
        status = text(order.get("status"))
        if kind is None:
            return (
                ImportOutcome.IGNORED,
                f"Order type {order.get('orderType')!r} is not imported.",
                {},
            )
        if flow_order is None:
            if is_cancelled(order):
                return (
                    ImportOutcome.IGNORED,
                    f"Cancelled in Omnium ({status}) before Flow had it.",
                    {},
                )
            return ImportOutcome.CREATED, "", self._create(order, kind, customer)
        state = self.adapter.finished_state(flow_order)
        if state:
            reason = f"The Flow order is {state}; Omnium's changes (status {status}) are ignored."
            return ImportOutcome.SKIPPED, reason, {}
        if is_cancelled(order):
            self.adapter.cancel_order(flow_order, self.now)
            return ImportOutcome.CANCELLED, f"Omnium status {status}.", {}
        outcome, result = self._update(flow_order, order, kind, customer)
        return outcome, "", result

    # --- the three paths --------------------------------------------------------------

    def _create(
        self, order: dict[str, Any], kind: str, customer: tuple[str, dict[str, Any]] | None
    ) -> dict[str, Any]:
        ext = self.extension
        clickcollect = kind == CLICK_AND_COLLECT
        valid_until = omnium_deadline(order)
        if valid_until is None and clickcollect and ext.click_collect_expiry_days is not None:
            valid_until = pickup_deadline(
                self.now,
                ext.click_collect_expiry_days,
                self.adapter.tenant_time_zone(self.tenant),
                lambda day: self.adapter.is_working_day(self.tenant, day),
            )
        header = self._header(order, kind, customer, valid_until, require_store=True)
        flow_order = self.adapter.create_order(
            self.tenant,
            header,
            state=self.adapter.ORDER_PARKED if clickcollect else self.adapter.ORDER_CONFIRMED,
        )
        plan = LinePlan(add=self._lines(order), material=True)
        self.adapter.apply_line_plan(flow_order, plan)
        handling = self._handling_uid(kind)
        self.adapter.ensure_handling(flow_order, handling)
        return {"flow_order": flow_order, "lines": plan.summary(), "handling": handling or None}

    def _update(
        self,
        flow_order: Model,
        order: dict[str, Any],
        kind: str,
        customer: tuple[str, dict[str, Any]] | None,
    ) -> tuple[str, dict[str, Any]]:
        header = self._header(order, kind, customer, omnium_deadline(order), require_store=False)
        changed = self.adapter.update_order_header(flow_order, header)
        handling_added = self.adapter.ensure_handling(flow_order, self._handling_uid(kind))
        plan = plan_lines(self._lines(order), self.adapter.order_lines(flow_order))
        self.adapter.apply_line_plan(flow_order, plan)
        reopened = plan.material and self.adapter.set_order_state(
            flow_order, self.adapter.ORDER_OPEN
        )
        touched = bool(changed or handling_added or plan.update or plan.material)
        return (ImportOutcome.UPDATED if touched else ImportOutcome.UNCHANGED), {
            "lines": plan.summary(),
            "fields": changed,
            "reopened": bool(reopened),
        }

    def _deleted(self) -> dict[str, Any]:
        flow_order = self.adapter.find_order(self.tenant, self.omnium_id)
        if flow_order is None:
            outcome, reason = ImportOutcome.IGNORED, "Omnium has no such order (404)."
        elif state := self.adapter.finished_state(flow_order):
            outcome, reason = (
                ImportOutcome.SKIPPED,
                f"Deleted in Omnium; the Flow order is {state}.",
            )
        else:
            self.adapter.cancel_order(flow_order, self.now)
            outcome, reason = ImportOutcome.CANCELLED, "Deleted in Omnium (404)."
        self._record(None, None, "", outcome, reason, flow_order)
        return self._result(outcome, flow_order.pk if flow_order else None, reason)

    # --- pieces -----------------------------------------------------------------------

    def _header(
        self,
        order: dict[str, Any],
        kind: str,
        customer: tuple[str, dict[str, Any]] | None,
        valid_until: datetime | None,
        *,
        require_store: bool,
    ) -> OrderHeader:
        candidates = store_candidates(order, kind)
        store = next(
            (s for s in (self.adapter.find_store(self.tenant, c) for c in candidates) if s), None
        )
        if store is None and require_store:
            raise MappingError(
                f"No Flow store matches the order's Omnium store(s) "
                f"{', '.join(candidates) or '(none given)'}; create the store in Flow (or fix "
                f"its uid) and retry the job."
            )
        shipments = (order.get("orderForm") or {}).get("shipments") or []
        first = shipments[0] if shipments and isinstance(shipments[0], dict) else {}
        return OrderHeader(
            external_id=self.omnium_id,
            order_type=text(order.get("orderType")),
            store=store,
            customer=self._customer(order, customer),
            currency=text(order.get("billingCurrency"))
            or self.adapter.tenant_currency(self.tenant),
            valid_until=valid_until,
            shipping_method_id=text(first.get("shippingMethodId"))
            or text(first.get("shippingMethodName")),
        )

    def _customer(
        self, order: dict[str, Any], fetched: tuple[str, dict[str, Any]] | None
    ) -> Model | None:
        """The order's Flow customer, created (from Omnium's record) when unknown; none for a
        customer Omnium anonymised."""
        customer_id = text(order.get("customerId"))
        if not customer_id:
            return None
        existing = known_customer(self.extension, customer_id)
        if existing is not None:
            return existing
        if fetched is not None:
            kind, data = fetched
            if is_anonymized(data, app_settings.ANONYMIZED_CUSTOMER_MEMBER):
                return None  # Omnium forgot who it is: Flow does not learn it again
            values = customer_values(
                kind, data, loyalty_key=self.extension.customer_loyalty_id_property_key
            )
            values["external_id"] = customer_id
        else:
            # Omnium keeps no customer record (a guest): the order's own details, and no
            # external id, so Flow does not claim an Omnium customer that does not exist.
            values = customer_values_from_order(order)
        customer = self.adapter.create_customer(self.tenant, uid=customer_id, values=values)
        if fetched is not None:
            identities.resolve(
                self.extension, IdentityKind.CUSTOMER, customer.pk, customer_id, known=customer_id
            )
        return customer

    def _lines(self, order: dict[str, Any]) -> list[LineSpec]:
        return omnium_lines(
            order, include_package_parent=self.extension.include_main_package_in_order_items
        )

    def _handling_uid(self, kind: str) -> str:
        if kind == CLICK_AND_COLLECT:
            return self.extension.click_collect_orderhandling_uid
        return self.extension.online_order_handling_uid

    def _record(
        self,
        order: dict[str, Any] | None,
        modified: datetime | None,
        digest: str,
        outcome: str,
        reason: str,
        flow_order: Model | None,
    ) -> None:
        ImportedOrder.objects.update_or_create(
            extension=self.extension,
            omnium_order_id=self.omnium_id,
            defaults={
                "order": flow_order,
                "order_type": text((order or {}).get("orderType"))[:100],
                "omnium_status": text((order or {}).get("status"))[:100],
                "omnium_modified": modified,
                "fingerprint": digest,
                "outcome": outcome,
                "reason": reason[:500],
                "imported_at": self.now,
            },
        )

    def _result(self, outcome: str, order_pk: Any, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = {"outcome": outcome, "order": order_pk}
        if reason:
            result["reason"] = reason
        return result


def _kind(order: dict[str, Any]) -> str | None:
    return order_kind(order.get("orderType"), app_settings.POLL_ORDER_TYPES)

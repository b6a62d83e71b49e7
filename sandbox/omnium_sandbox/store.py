"""The sandbox's data: one :class:`TenantData` per Omnium tenant, and what the API does to it.

Each operation validates like Omnium (required members and JSON types first, answered as
ASP.NET model errors; then business rules such as a configured market), changes the data,
stamps ``modified`` (UTC, strictly increasing) and an integer ``versionId`` on orders and
customers, and publishes an event. Every method runs under the sandbox's lock.

What Omnium documents (see docs/omnium-api.md, by section) and, marked, our assumptions
where it is silent:

* Orders: ``id``, ``marketId`` (a configured market), ``storeId``,
  ``orderType`` (a configured type), ``status`` (a known status) and ``orderForm.lineItems``
  with ``lineItemId`` (unique), ``code``, ``quantity``, ``placedPrice`` are required;
  payments need ``paymentMethodName``, ``transactionId``, ``transactionType``, ``status``,
  ``amount``; shipments need ``shipmentId`` and a line belongs to one shipment at most.
  ``orderNumber`` defaults to ``id``, ``customerNumber`` to ``customerId``; shipments
  default to status ``AwaitingInventory``. Totals are calculated, never taken from the
  request; the sandbox rounds them half-up to cents (assumption).
* ``POST /api/Orders`` answers 409 for an existing id and changes nothing.
* Creates answer 201 with the entity, upserts and updates 200 with it; bulk calls
  (``UpdateMany``, ``ProcessGoodsReception``) 200 with no body (assumption).
* Search: ``modifiedFrom`` is inclusive, ``take`` at most 100, ``take × page`` at
  most 10 000 (else 400), ``page`` 0-based, one ``orderType``; ties in ``modified`` are
  ordered by id. Scroll, the customer and invoice searches, and the filters Omnium does
  not document are in :mod:`.searches`.
* ``POST /api/Orders/Update`` replaces the members it sends and keeps the others
  (assumption), runs no workflow, answers 404 for an unknown order.
* ``UpdateStatus`` sets the status (shipments follow; an unknown ``shipmentInfo.
  shipmentId`` adds a shipment). ``PatchOrder`` merges ``properties`` / ``tags`` /
  ``externalIds`` unless told not to, sets other top-level members, answers the patch
  result, and changes nothing (no version, no event) when nothing differs. Both answer 404
  for an unknown order (assumption).
* Returns: need ``DefaultReturnOrderType`` configured (else 400); each line at most
  its remaining quantity (else 400); the return form is appended to the order. No
  idempotency is documented, so a repeated return creates a second return form (within the
  returnable quantity): check ``returnOrderForms[].rmaNumber`` before creating one.
* Customers: see :mod:`.customers` (create, update, patch, delete, anonymise, events).
* Inventory: ``UpdateMany`` takes at most 1000 items (else 400), is an upsert keyed by
  (``sku``, ``warehouseCode``), skips unchanged items, keeps ``reservedInventory`` unless
  ``isReservedInventoryOverwritten=true``. No inventory events are emitted. Reading
  levels (search and scroll) is in :mod:`.inventory`.
* Goods reception: lines must belong to the delivery; ``deliveredQuantity`` is
  added to the purchase-order line and to the warehouse's stock; an already processed
  ``goodsReceptionId`` makes the whole request a 400 that lists the duplicates (nothing
  applied). Several lines of one request may share a ``goodsReceptionId`` (one reception).
* Invoices: ``UpdateInvoice`` is an upsert by ``id``; ``AddFileToInvoice`` takes the
  file as the raw body or as ``multipart/form-data`` (which one Omnium wants is open),
  needs ``fileName``,
  answers 404 for an unknown invoice, and replaces an earlier file of the same name.
* When ``stores`` is configured, ``storeId`` and ``warehouseCode`` must name a store (a
  warehouse for stock); otherwise any store id is accepted.
* Unknown members are kept as sent (Omnium would drop them).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import searches
from .common import (
    ApiError,
    Event,
    Validator,
    bad_request,
    format_date,
    not_found,
    omnium_now,
    problem,
    require_list,
    require_object,
)
from .customers import CustomerData

ORDER_TYPES = (
    "Pos",
    "Online",
    "OnlineOrder",
    "ClickAndCollect",
    "Bopis",
    "PreOrder",
    "ShipFromStore",
    "Replacement",
    "ReturnOrder",
    "Subscription",
)
ORDER_STATUSES = (
    # processing
    "New", "Draft", "Queued", "Pending", "Confirmed", "PaymentReview", "OnHold", "InProgress",
    "InProgressWarehouse",
    # fulfilment
    "ReadyForShipment", "PackingInProcess", "PackedAndReady", "ReadyForPickup",
    "PickingPostponed",
    # shipping
    "Ship", "VirtualShip", "InTransit", "PartiallyShipped", "ShippedFromWarehouse",
    "SplittedShippedShipment",
    # completion
    "Completed", "PickedUp", "PickedUpAndPaid", "Closed",
    # cancellation
    "OrderCanceled", "OrderCanceledByCustomer", "OrderCanceledByStore", "Expired",
    "NotCollected", "Deleted",
    # returns and other
    "Returned", "PartiallyReturned", "Faulted", "Delayed", "PartiallyDelivered",
)  # fmt: skip
MARKETS = ("NOR", "SWE", "DNK", "FIN")
CENT = Decimal("0.01")
INVENTORY_BATCH_LIMIT = 1000


@dataclass
class SandboxConfig:
    """Settings of a sandbox, changeable while it runs (``configure()``)."""

    token_lifetime: float = 864_000  # seconds; Omnium: 10 days
    jwt_lifetime: float | None = None  # the JWT's exp, when it should differ from expiresIn
    markets: tuple[str, ...] = MARKETS
    order_types: tuple[str, ...] = ORDER_TYPES
    order_statuses: tuple[str, ...] = ORDER_STATUSES
    stores: dict[str, dict] | None = None  # id -> OmniumStore; None: accept any store id
    default_return_order_type: str | None = "ReturnOrder"
    webhook_retry_delays: tuple[float, ...] = (1.0, 5.0, 15.0)
    webhook_timeout: float = 10.0
    scroll_batch_size: int = 1000  # orders per scroll batch
    scroll_keepalive: float = 300.0  # seconds a scroll lives without being read


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _lower_in(value: str, allowed: tuple[str, ...]) -> str | None:
    """The configured spelling of ``value`` (case-insensitive), or ``None``."""
    lowered = value.lower()
    return next((a for a in allowed if a.lower() == lowered), None)


def _merge_list(old: list, new: list, key) -> list:
    merged = {key(item): item for item in old or []}
    for item in new or []:
        merged[key(item)] = item
    return list(merged.values())


def _property_key(item: Any) -> Any:
    return (item.get("keyGroup"), item.get("key")) if isinstance(item, dict) else item


def _external_key(item: Any) -> Any:
    return (item.get("providerName"), item.get("id")) if isinstance(item, dict) else item


class TenantData(CustomerData):
    """Everything one Omnium tenant holds. Read it freely from tests (``sandbox.state``)."""

    def __init__(self, name: str, config: SandboxConfig, publish) -> None:
        self.name = name
        self.config = config
        self._publish = publish
        self.orders: dict[str, dict] = {}
        self.order_versions: dict[str, list[dict]] = {}  # id -> earlier versions, oldest first
        self.private_customers: dict[str, dict] = {}
        self.business_customers: dict[str, dict] = {}
        self.inventory: dict[tuple[str, str], dict] = {}  # (sku, warehouseCode) -> item
        self.inventory_transactions: list[dict] = []
        self.inventory_scrolls: dict[str, dict] = {}  # scroll id -> what is left (inventory.py)
        self.purchase_orders: dict[str, dict] = {}
        self.deliveries: dict[str, dict] = {}
        self.goods_receptions: dict[str, dict] = {}  # goodsReceptionId -> what it did
        self.invoices: dict[str, dict] = {}
        self.invoice_files: dict[str, dict[str, dict]] = {}  # invoice id -> asset id -> file
        self.scrolls = searches.Scrolls(config)

    def __repr__(self) -> str:
        return f"<TenantData {self.name}: {len(self.orders)} orders>"

    # ------------------------------------------------------------------- snapshot

    def snapshot(self) -> dict:
        return {
            "tenant": self.name,
            "orders": list(self.orders.values()),
            "privateCustomers": list(self.private_customers.values()),
            "businessCustomers": list(self.business_customers.values()),
            "inventory": list(self.inventory.values()),
            "inventoryTransactions": self.inventory_transactions,
            "purchaseOrders": list(self.purchase_orders.values()),
            "deliveries": list(self.deliveries.values()),
            "goodsReceptions": self.goods_receptions,
            "invoices": list(self.invoices.values()),
        }

    def _event(self, event: Event) -> None:
        self._publish(self.name, event)

    def _stamp(self, entity: dict, previous: dict | None) -> None:
        now = format_date(omnium_now())
        entity["created"] = (previous or {}).get("created") or entity.get("created") or now
        entity["modified"] = now
        entity["versionId"] = int((previous or {}).get("versionId") or 0) + 1

    def _check_store(self, v: Validator, store_id: str | None, field_name: str, *, warehouse):
        stores = self.config.stores
        if stores is None or not store_id:
            return
        store = stores.get(store_id)
        if store is None:
            v.add(field_name, f"Store '{store_id}' does not exist.")
        elif warehouse and not store.get("isWarehouse"):
            v.add(field_name, f"Store '{store_id}' is not a warehouse.")
        elif warehouse and store.get("isVirtual"):
            v.add(field_name, f"Store '{store_id}' is a virtual warehouse.")

    # --------------------------------------------------------------------- orders

    def validate_order(self, body: Any) -> dict:
        order = copy.deepcopy(require_object(body))
        v = Validator()
        v.string(order, "id", required=True)
        market = v.string(order, "marketId", required=True)
        store = v.string(order, "storeId", required=True)
        order_type = v.string(order, "orderType", required=True)
        status = v.string(order, "status", required=True)
        for key in (
            "orderNumber",
            "customerId",
            "customerName",
            "customerEmail",
            "customerPhone",
            "billingCurrency",
            "orderOrigin",
            "salesChannel",
        ):
            v.string(order, key)
        v.boolean(order, "isReadOnly")
        for key in ("tags", "properties", "externalIds"):
            v.array(order, key)
        form = v.object(order, "orderForm", required=True)
        if form is not None:
            lines = v.array(form, "lineItems", "OrderForm", required=True) or []
            seen: set[str] = set()
            for path, line in v.items(lines, "OrderForm.LineItems"):
                line_id = v.string(line, "lineItemId", path, required=True)
                v.string(line, "code", path, required=True)
                v.number(line, "quantity", path, required=True)
                v.number(line, "placedPrice", path, required=True)
                for key in ("taxRate", "discounted", "canceledQuantity", "cost"):
                    v.number(line, key, path)
                if line_id in seen:
                    v.add(f"{path}.LineItemId", f"Duplicate lineItemId '{line_id}'.")
                seen.add(line_id)
            in_shipment: set[str] = set()
            shipment_ids: set[str] = set()
            shipments = v.array(form, "shipments", "OrderForm") or []
            for path, shipment in v.items(shipments, "OrderForm.Shipments"):
                shipment_id = v.string(shipment, "shipmentId", path, required=True)
                if shipment_id in shipment_ids:
                    v.add(f"{path}.ShipmentId", f"Duplicate shipmentId '{shipment_id}'.")
                shipment_ids.add(shipment_id)
                warehouse = v.string(shipment, "warehouseCode", path)
                self._check_store(v, warehouse, f"{path}.WarehouseCode", warehouse=False)
                v.string(shipment, "shippingMethodName", path)
                for lpath, line in v.items(
                    v.array(shipment, "lineItems", path) or [], f"{path}.LineItems"
                ):
                    line_id = v.string(line, "lineItemId", lpath, required=True)
                    if line_id in in_shipment:
                        v.add(f"{lpath}.LineItemId", f"Line '{line_id}' is in two shipments.")
                    in_shipment.add(line_id)
            payments = v.array(form, "payments", "OrderForm") or []
            for path, payment in v.items(payments, "OrderForm.Payments"):
                for key in ("paymentMethodName", "transactionId", "transactionType", "status"):
                    v.string(payment, key, path, required=True)
                v.number(payment, "amount", path, required=True)
            v.number(form, "grossRoundoff", "OrderForm")
        v.check()
        # Business rules, once the shapes are right.
        if _lower_in(market, self.config.markets) is None:
            v.add("MarketId", f"Market '{market}' is not configured.")
        canonical_type = _lower_in(order_type, self.config.order_types)
        if canonical_type is None:
            v.add("OrderType", f"Order type '{order_type}' is not configured.")
        else:
            order["orderType"] = canonical_type
        canonical_status = _lower_in(status, self.config.order_statuses)
        if canonical_status is None:
            v.add("Status", f"Status '{status}' does not exist for order type '{order_type}'.")
        else:
            order["status"] = canonical_status
        self._check_store(v, store, "StoreId", warehouse=False)
        v.check()
        return order

    def _save_order(self, order: dict, previous: dict | None) -> dict:
        if not order.get("orderNumber"):
            order["orderNumber"] = order["id"]
        if order.get("customerId") and not order.get("customerNumber"):
            order["customerNumber"] = order["customerId"]
        order.setdefault("returnOrderForms", [])
        if previous is not None:
            self.order_versions.setdefault(order["id"], []).append(previous)
        for shipment in order["orderForm"].get("shipments") or []:
            shipment.setdefault("status", "AwaitingInventory")
            shipment.setdefault("orderStatus", order["status"])
        self._calculate(order)
        self._stamp(order, previous)
        self.orders[order["id"]] = order
        return order

    @staticmethod
    def _calculate(order: dict) -> None:
        form = order["orderForm"]
        sub_total = tax_total = Decimal(0)
        for line in form["lineItems"]:
            quantity = _d(line["quantity"])
            effective = quantity - _d(line.get("canceledQuantity"))
            discount = _d(line.get("discounted"))
            price = effective * _d(line["placedPrice"])
            if quantity:
                price -= discount / quantity * effective
            extended = _cents(price)
            rate = _d(line.get("taxRate"))
            tax = _cents(extended * rate / (100 + rate)) if rate else Decimal("0.00")
            line["discountedPrice"] = line["extendedPrice"] = extended
            line["taxTotal"] = tax
            sub_total += extended
            tax_total += tax
        shipping = sum(
            (_d(s.get("shippingSubTotal")) for s in form.get("shipments") or []), Decimal(0)
        )
        form["subTotal"] = _cents(sub_total)
        form["shippingTotal"] = _cents(shipping)
        form["taxTotal"] = _cents(tax_total)
        form["total"] = _cents(sub_total + shipping + _d(form.get("grossRoundoff")))

    def _order_event(
        self,
        order: dict,
        category: str,
        operation_id: int,
        message: str,
        origin: str,
        previous_status: str = "",
        attachments=None,
    ) -> None:
        self._event(
            Event(
                class_name="Order",
                object_id=order["id"],
                category=category,
                operation_id=operation_id,
                message=message,
                origin=origin,
                sub_class_name=order.get("orderType", ""),
                status=order.get("status", ""),
                previous_status=previous_status,
                store_id=order.get("storeId", ""),
                market=order.get("marketId", ""),
                tags=list(order.get("tags") or []),
                external_ids=list(order.get("externalIds") or []),
                attachments=list(attachments or []),
            )
        )

    def add_order(self, body: Any, origin: str = "POST /api/Orders") -> dict:
        order = self.validate_order(body)
        if order["id"] in self.orders:
            raise ApiError(
                409, problem(409, detail=f"An order with id '{order['id']}' already exists.")
            )
        saved = self._save_order(order, None)
        self._order_event(saved, "Created", 110106, "Order added", origin)
        return saved

    def create_order_from_cart(self, body: Any) -> dict:
        """An order placed in Omnium by e-commerce (for inbound tests): 409 if it exists."""
        order = self.validate_order(body)
        if order["id"] in self.orders:
            raise ApiError(409, problem(409, detail=f"Order '{order['id']}' already exists."))
        saved = self._save_order(order, None)
        self._order_event(
            saved,
            "Created",
            110100,
            "Order created from cart",
            "POST /api/Cart/CreateOrderFromCart/",
        )
        return saved

    def edit_order(self, body: Any) -> dict:
        """An order changed in Omnium's GUI (lines, prices...): a new version and an
        ``Updated`` event (210101 GuiOrderUpdatedOrder). 404 for an unknown order."""
        order = self.validate_order(body)
        previous = self.get_order(order["id"])
        order["returnOrderForms"] = previous.get("returnOrderForms", [])
        saved = self._save_order(order, copy.deepcopy(previous))
        self._order_event(
            saved,
            "Updated",
            210101,
            "Order updated",
            "GUI",
            previous_status=previous.get("status", ""),
        )
        return saved

    def delete_order(self, order_id: str) -> None:
        """``DELETE /api/Orders/{id}?deletePermanently=true``: gone, later GETs answer 404
        (event 110109 DeletedOrder)."""
        order = self.get_order(order_id)
        del self.orders[order["id"]]
        self._order_event(order, "Deleted", 110109, "Order deleted", "GUI")

    def get_order(self, order_id: str) -> dict:
        order = self.orders.get(order_id) or next(
            (o for o in self.orders.values() if o.get("orderNumber") == order_id), None
        )
        if order is None:
            raise not_found("Order", order_id)
        return order

    def search_orders(self, body: Any) -> dict:
        return searches.search_orders(self.orders.values(), body)

    def scroll_orders(self, body: Any) -> dict:
        return searches.scroll_orders(self.orders.values(), body, self.scrolls)

    def next_scroll(self, scroll_id: str) -> dict:
        return self.scrolls.next(scroll_id)

    def search_customers(self, kind: str, body: Any) -> dict:
        return searches.search_documents(
            self._customers(kind).values(), body, key_field="customerId"
        )

    def search_invoices(self, body: Any) -> dict:
        return searches.search_documents(self.invoices.values(), body, key_field="id")

    def update_order(self, body: Any, origin: str = "POST /api/Orders/Update") -> dict:
        """``POST /api/Orders/Update``: the whole order replaced by the one sent, no workflow
        (event: Updated, 310103). Assumptions: 404 for an unknown id; members left out keep
        Omnium's value (``returnOrderForms`` among them), as for the other updates."""
        order = self.validate_order(body)
        previous = self.get_order(order["id"])
        merged = {**copy.deepcopy(previous), **order}
        saved = self._save_order(merged, copy.deepcopy(previous))
        self._order_event(
            saved, "Updated", 310103, "Order updated", origin, previous_status=previous["status"]
        )
        return saved

    def update_status(
        self, order_id: str, body: Any, *, origin: str, operation_id: int = 310101
    ) -> dict:
        order = self.get_order(order_id)
        patch = require_object(body)
        v = Validator()
        status = v.string(patch, "status", required=True)
        skip = v.boolean(patch, "skipRunWorkflow")
        info = v.object(patch, "shipmentInfo")
        if info is not None:
            v.string(info, "shipmentId", "ShipmentInfo")
            v.string(info, "warehouseCode", "ShipmentInfo")
        v.check()
        canonical = _lower_in(status, self.config.order_statuses)
        if canonical is None:
            v.add("Status", f"Status '{status}' does not exist.")
            v.check()
        previous = copy.deepcopy(order)
        updated = copy.deepcopy(order)
        updated["status"] = canonical
        shipments = updated["orderForm"].setdefault("shipments", [])
        if info and info.get("shipmentId"):
            shipment = next((s for s in shipments if s["shipmentId"] == info["shipmentId"]), None)
            if shipment is None:
                shipment = {
                    "shipmentId": info["shipmentId"],
                    "status": "AwaitingInventory",
                    "lineItems": [],
                }
                shipments.append(shipment)
            shipment["orderStatus"] = canonical
            for source, target in (
                ("trackingNumber", "shipmentTrackingNumber"),
                ("trackingUrl", "shipmentTrackingLink"),
                ("warehouseCode", "warehouseCode"),
                ("shipmentMethodName", "shippingMethodName"),
            ):
                if info.get(source):
                    shipment[target] = info[source]
        else:
            for shipment in shipments:
                shipment["orderStatus"] = canonical
        saved = self._save_order(updated, previous)
        if skip:
            operation_id = 310102
        message = f"Update status{'' if skip else ' and run workflow'}. Old status was " + (
            previous.get("status") or ""
        )
        self._order_event(
            saved,
            "Workflow",
            operation_id,
            message,
            origin,
            previous_status=previous.get("status", ""),
        )
        return {"isAborted": False, "order": saved, "orderActionExecutionResults": []}

    def patch_order(self, order_id: str, body: Any) -> dict:
        order = self.get_order(order_id)
        patch = require_object(body)
        v = Validator()
        keep_properties = v.boolean(patch, "keepExistingCustomProperties")
        keep_lists = v.boolean(patch, "keepExistingListItems")
        for key in ("properties", "tags", "externalIds", "forceUpdate"):
            v.array(patch, key)
        v.check()
        control = {
            "keepExistingCustomProperties",
            "keepExistingListItems",
            "forceUpdate",
            "propertiesRemovalConditions",
            "id",
            "orderId",
        }
        updated = copy.deepcopy(order)
        for key, value in patch.items():
            if key in control or value is None:
                continue
            if key == "properties" and keep_properties is not False:
                value = _merge_list(updated.get("properties") or [], value, _property_key)
            elif key == "externalIds" and keep_lists is not False:
                value = _merge_list(updated.get("externalIds") or [], value, _external_key)
            elif key == "tags" and keep_lists is not False:
                value = list(dict.fromkeys([*(updated.get("tags") or []), *value]))
            updated[key] = value
        for key in patch.get("forceUpdate") or []:
            updated[key] = None
        modified = updated != order
        if modified:
            saved = self._save_order(updated, copy.deepcopy(order))
            self._order_event(
                saved,
                "Updated",
                310100,
                "Order patched",
                f"PATCH /api/Orders/{order_id}/PatchOrder",
            )
        return {
            "totalCount": 1,
            "updatedCount": int(modified),
            "unchangedCount": int(not modified),
            "notFoundCount": 0,
            "errorCount": 0,
            "errorMessage": None,
            "isModified": modified,
        }

    def create_return(self, order_id: str, body: Any) -> dict:
        order = self.get_order(order_id)
        request = require_object(body)
        v = Validator()
        lines = v.array(request, "returns", required=True) or []
        for path, line in v.items(lines, "Returns"):
            v.string(line, "lineItemId", path, required=True)
            v.number(line, "returnQuantity", path, required=True)
            v.number(line, "creditAmount", path)
            v.boolean(line, "isStockUpdated", path)
        v.string(request, "storeId")
        v.string(request, "rmaNumber")
        v.check()
        if not self.config.default_return_order_type:
            raise bad_request("ReturnSettings.DefaultReturnOrderType is not configured.")
        if not lines:
            raise bad_request("A return needs at least one line.")
        updated = copy.deepcopy(order)
        by_id = {line["lineItemId"]: line for line in updated["orderForm"]["lineItems"]}
        returned_lines = []
        credit = Decimal(0)
        for line in lines:
            original = by_id.get(line["lineItemId"])
            if original is None:
                v.add("Returns", f"Line '{line['lineItemId']}' is not on order '{order_id}'.")
                continue
            quantity = _d(line["returnQuantity"])
            left = (
                _d(original["quantity"])
                - _d(original.get("canceledQuantity"))
                - _d(original.get("returnQuantity"))
            )
            if quantity <= 0 or quantity > left:
                v.add(
                    "Returns",
                    f"Line '{line['lineItemId']}': {quantity} exceeds the "
                    f"returnable quantity {left}.",
                )
                continue
            original["returnQuantity"] = _d(original.get("returnQuantity")) + quantity
            amount = line.get("creditAmount")
            unit = _d(amount) if amount is not None else _d(original["placedPrice"])
            credit += unit * quantity
            returned_lines.append(
                {
                    **original,
                    "quantity": quantity,
                    "returnQuantity": quantity,
                    "returnReason": line.get("returnReason"),
                    "returnType": line.get("returnType"),
                }
            )
        v.check()
        forms = updated.setdefault("returnOrderForms", [])
        number = len(forms) + 1
        form = {
            "returnId": f"{order['id']}-R{number}",
            "rmaNumber": request.get("rmaNumber") or f"RMA-{order['id']}-{number}",
            "status": request.get("status") or "New",
            "orderType": self.config.default_return_order_type,
            "storeId": request.get("storeId") or order.get("storeId"),
            "lineItems": returned_lines,
            "creditAmount": _cents(credit),
            "comment": request.get("comment"),
            "properties": request.get("properties") or [],
            "created": format_date(omnium_now()),
        }
        forms.append(form)
        saved = self._save_order(updated, copy.deepcopy(order))
        self._order_event(
            saved,
            "Updated",
            318100,
            "Return created",
            f"POST /api/Returns/{order_id}/Return",
            attachments=[{"name": "ReturnId", "value": form["returnId"]}],
        )
        return form

    # ------------------------------------------------------------------ inventory

    def update_inventory(self, body: Any, overwrite_reserved: bool = False) -> None:
        items = require_list(body, INVENTORY_BATCH_LIMIT, "inventory items")
        v = Validator()
        for path, item in v.items(items, "$"):
            v.string(item, "sku", path, required=True)
            warehouse = v.string(item, "warehouseCode", path, required=True)
            v.number(item, "inventory", path, required=True)
            for key in ("reservedInventory", "cost", "minQuantity", "maxQuantity"):
                v.number(item, key, path)
            self._check_store(v, warehouse, f"{path}.WarehouseCode", warehouse=True)
        v.check()
        now = format_date(omnium_now())
        for item in items:
            key = (item["sku"], item["warehouseCode"])
            existing = self.inventory.get(key)
            merged = dict(existing or {})
            for name, value in item.items():
                keep = name in ("cost", "location", "minQuantity") and not value
                keep = keep or (name == "reservedInventory" and not overwrite_reserved and existing)
                if not keep:
                    merged[name] = value
            if existing is not None and merged == existing:
                continue  # Omnium skips unchanged items
            change = _d(merged["inventory"]) - _d((existing or {}).get("inventory"))
            merged.setdefault("created", now)
            merged["modified"] = now
            self.inventory[key] = merged
            self.inventory_transactions.append(
                {
                    "sku": key[0],
                    "warehouseCode": key[1],
                    "inventoryChange": change,
                    "inventory": merged["inventory"],
                    "reason": "UpdateMany",
                    "created": now,
                }
            )

    def seed_inventory(self, body: Any) -> None:
        """Hold these stock levels as they are (no limit, no transactions, no events): what
        a tenant holds before a test starts."""
        items = require_list(body)
        v = Validator()
        for path, item in v.items(items, "$"):
            v.string(item, "sku", path, required=True)
            warehouse = v.string(item, "warehouseCode", path, required=True)
            v.number(item, "inventory", path, required=True)
            self._check_store(v, warehouse, f"{path}.WarehouseCode", warehouse=True)
        v.check()
        now = format_date(omnium_now())
        for item in items:
            key = (item["sku"], item["warehouseCode"])
            previous = self.inventory.get(key)
            self.inventory[key] = {
                **copy.deepcopy(item),
                "created": (previous or {}).get("created", now),
                "modified": now,
            }

    # ------------------------------------------------- purchase orders, deliveries

    def add_purchase_order(self, body: Any) -> dict:
        po = copy.deepcopy(require_object(body))
        v = Validator()
        v.string(po, "id", required=True)
        v.string(po, "deliveryId")
        v.string(po, "storeId")
        form = v.object(po, "purchaseOrderForm", required=True)
        if form is not None:
            for path, line in v.items(
                v.array(form, "lineItems", "PurchaseOrderForm", required=True) or [],
                "PurchaseOrderForm.LineItems",
            ):
                v.string(line, "lineItemId", path, required=True)
                v.string(line, "code", path, required=True)
                v.number(line, "quantity", path, required=True)
                v.number(line, "deliveredQuantity", path)
        v.check()
        po.setdefault("status", "New")
        po.setdefault("purchaseOrderNumber", po["id"])
        for line in po["purchaseOrderForm"]["lineItems"]:
            line.setdefault("deliveredQuantity", 0)
            line.setdefault("canceledQuantity", 0)
            line["purchaseOrderId"] = po["id"]
            if po.get("deliveryId"):
                line.setdefault("deliveryId", po["deliveryId"])
        if po.get("deliveryId") and po["deliveryId"] not in self.deliveries:
            self.add_delivery({"id": po["deliveryId"], "warehouseCode": po.get("storeId")})
        if po.get("deliveryId"):
            po["isDelivery"] = True
        self._stamp(po, self.purchase_orders.get(po["id"]))
        self.purchase_orders[po["id"]] = po
        return po

    def add_delivery(self, body: Any) -> dict:
        delivery = copy.deepcopy(require_object(body))
        v = Validator()
        v.string(delivery, "id", required=True)
        v.string(delivery, "warehouseCode")
        v.array(delivery, "purchaseOrderIds")
        v.check()
        delivery.setdefault("orderType", "PurchaseOrder")
        delivery.setdefault("deliveryStatus", "New")
        for po_id in delivery.pop("purchaseOrderIds", None) or []:
            po = self.purchase_orders.get(po_id)
            if po is None:
                raise not_found("Purchase order", po_id)
            po["deliveryId"] = delivery["id"]
            po["isDelivery"] = True
            for line in po["purchaseOrderForm"]["lineItems"]:
                line["deliveryId"] = delivery["id"]
        self._stamp(delivery, self.deliveries.get(delivery["id"]))
        self.deliveries[delivery["id"]] = delivery
        return delivery

    def create_delivery(
        self,
        po_id: str,
        body: Any,
        new_delivery_id: str | None = None,
        existing_delivery_id: str | None = None,
    ) -> dict:
        """``CreateDelivery``: put the named purchase-order lines on a delivery.

        Assumptions (Omnium documents only the signature): the lines move whole to the
        delivery (``quantity`` is recorded, lines are never split); ``newDeliveryId``
        names the new delivery and an id that exists is a 400; ``existingDeliveryId``
        adds the lines to that delivery instead.
        """
        po = self.get_purchase_order(po_id)
        lines = require_list(body, INVENTORY_BATCH_LIMIT, "purchase order line references")
        v = Validator()
        for path, line in v.items(lines, "$"):
            v.string(line, "lineItemId", path, required=True)
            v.number(line, "quantity", path, minimum=0)
        v.check()
        po_lines = {line["lineItemId"]: line for line in po["purchaseOrderForm"]["lineItems"]}
        for index, line in enumerate(lines):
            if line["lineItemId"] not in po_lines:
                v.add(
                    f"[{index}].LineItemId",
                    f"Line item '{line['lineItemId']}' is not on purchase order '{po_id}'.",
                )
        v.check()
        if existing_delivery_id:
            delivery = self.get_delivery(existing_delivery_id)
        else:
            delivery_id = new_delivery_id or f"D{len(self.deliveries) + 1:06d}"
            if delivery_id in self.deliveries:
                raise bad_request(f"Delivery '{delivery_id}' already exists.")
            delivery = self.add_delivery({"id": delivery_id, "warehouseCode": po.get("storeId")})
        for line in lines:
            po_lines[line["lineItemId"]]["deliveryId"] = delivery["id"]
        self._stamp(po, copy.deepcopy(po))
        return delivery

    def get_purchase_order(self, po_id: str) -> dict:
        po = self.purchase_orders.get(po_id)
        if po is None:
            raise not_found("Purchase order", po_id)
        return po

    def get_delivery(self, delivery_id: str) -> dict:
        delivery = self.deliveries.get(delivery_id)
        if delivery is None:
            raise not_found("Delivery", delivery_id)
        return delivery

    def delivery_lines(self, delivery_id: str) -> list[dict]:
        self.get_delivery(delivery_id)
        return [
            line
            for po in self.purchase_orders.values()
            for line in po["purchaseOrderForm"]["lineItems"]
            if line.get("deliveryId") == delivery_id
        ]

    def process_goods_reception(self, delivery_id: str, body: Any) -> None:
        delivery = self.get_delivery(delivery_id)
        lines = require_list(body, INVENTORY_BATCH_LIMIT, "goods reception lines")
        v = Validator()
        for path, line in v.items(lines, "$"):
            v.string(line, "lineItemId", path, required=True)
            v.number(line, "deliveredQuantity", path, required=True, minimum=0)
            warehouse = v.string(line, "warehouseCode", path, required=True)
            v.string(line, "goodsReceptionId", path)
            self._check_store(v, warehouse, f"{path}.WarehouseCode", warehouse=True)
        v.check()
        po_lines = {line["lineItemId"]: line for line in self.delivery_lines(delivery_id)}
        for index, line in enumerate(lines):
            if line["lineItemId"] not in po_lines:
                v.add(
                    f"[{index}].LineItemId",
                    f"Line item '{line['lineItemId']}' does not "
                    f"belong to delivery '{delivery_id}'.",
                )
        v.check()
        duplicates = list(
            dict.fromkeys(
                line["goodsReceptionId"]
                for line in lines
                if line.get("goodsReceptionId") in self.goods_receptions
            )
        )
        if duplicates:
            raise ApiError(
                400,
                problem(
                    400,
                    "Goods reception already processed.",
                    detail="Goods reception(s) already processed: " + ", ".join(duplicates),
                    errors={
                        "GoodsReceptionId": [
                            f"Goods reception id '{d}' has already been processed."
                            for d in duplicates
                        ]
                    },
                    duplicateGoodsReceptionIds=duplicates,
                ),
            )
        now = format_date(omnium_now())
        for line in lines:
            po_line = po_lines[line["lineItemId"]]
            quantity = line["deliveredQuantity"]
            po_line["deliveredQuantity"] = po_line.get("deliveredQuantity", 0) + quantity
            po_line["deliveredDate"] = now
            key = (po_line["code"], line["warehouseCode"])
            item = self.inventory.setdefault(
                key, {"sku": key[0], "warehouseCode": key[1], "inventory": 0, "created": now}
            )
            item["inventory"] = item["inventory"] + quantity
            item["modified"] = now
            self.inventory_transactions.append(
                {
                    "sku": key[0],
                    "warehouseCode": key[1],
                    "inventoryChange": quantity,
                    "inventory": item["inventory"],
                    "reason": "GoodsReception",
                    "goodsReceptionId": line.get("goodsReceptionId"),
                    "created": now,
                }
            )
            if line.get("goodsReceptionId"):
                self.goods_receptions.setdefault(
                    line["goodsReceptionId"], {"deliveryId": delivery_id, "lines": []}
                )["lines"].append(copy.deepcopy(line))

        def complete(po_line: dict) -> bool:
            done = _d(po_line.get("deliveredQuantity")) + _d(po_line.get("canceledQuantity"))
            return done >= _d(po_line["quantity"])

        for po_id in {line["purchaseOrderId"] for line in po_lines.values()}:
            po = self.purchase_orders[po_id]
            if all(complete(line) for line in po["purchaseOrderForm"]["lineItems"]):
                po["status"] = "Completed"
            self._stamp(po, copy.deepcopy(po))
        delivery["deliveryStatus"] = (
            "Completed" if all(complete(line) for line in po_lines.values()) else "InProgress"
        )
        self._stamp(delivery, copy.deepcopy(delivery))

    # ------------------------------------------------------------------- invoices

    def update_invoice(self, body: Any) -> dict:
        invoice = copy.deepcopy(require_object(body))
        v = Validator()
        v.string(invoice, "id", required=True)
        for key in (
            "orderId",
            "invoiceNumber",
            "customerId",
            "currency",
            "storeId",
            "marketId",
            "invoiceType",
        ):
            v.string(invoice, key)
        for key in ("amount", "amountExcludingTax", "amountOutstanding", "amountRoundoff"):
            v.number(invoice, key)
        for key in ("lineItems", "payments", "properties", "externalIds"):
            v.array(invoice, key)
        v.check()
        previous = self.invoices.get(invoice["id"])
        if previous is not None:
            invoice.setdefault("assets", previous.get("assets", []))
            invoice.setdefault("url", previous.get("url"))
        else:
            invoice.setdefault("assets", [])
        self._stamp(invoice, previous)
        self.invoices[invoice["id"]] = invoice
        return invoice

    def add_file_to_invoice(
        self, invoice_id: str, file_name: str | None, content_type: str, content: bytes
    ) -> dict:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise not_found("Invoice", invoice_id)
        if not file_name:
            raise ApiError(
                400,
                problem(
                    400,
                    "One or more validation errors occurred.",
                    errors={"fileName": ["The fileName field is required."]},
                ),
            )
        if not content:
            raise bad_request("The file is empty.")
        files = self.invoice_files.setdefault(invoice_id, {})
        asset_id = next(
            (a for a, f in files.items() if f["fileName"] == file_name), str(len(files) + 1)
        )
        url = f"/sandbox/invoices/{invoice_id}/files/{asset_id}"
        files[asset_id] = {"fileName": file_name, "contentType": content_type, "content": content}
        asset = {
            "assetId": asset_id,
            "fileName": file_name,
            "contentType": content_type,
            "url": url,
            "size": len(content),
        }
        invoice["assets"] = [a for a in invoice.get("assets", []) if a["assetId"] != asset_id]
        invoice["assets"].append(asset)
        invoice["url"] = url
        self._stamp(invoice, copy.deepcopy(invoice))
        return invoice

    def get_invoice(self, invoice_id: str) -> dict:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise not_found("Invoice", invoice_id)
        return invoice

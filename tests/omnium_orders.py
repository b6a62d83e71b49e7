"""Omnium-shaped order documents for tests (docs/omnium-api.md#orders), as Omnium returns them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def omnium_line(key: str, sku: str, quantity, price, **fields: Any) -> dict[str, Any]:
    line = {
        "lineItemId": key,
        "code": sku,
        "displayName": f"Product {sku}",
        "quantity": Decimal(str(quantity)),
        "placedPrice": Decimal(str(price)),
        "discounted": Decimal(0),
        "taxRate": Decimal(25),
        "canceledQuantity": Decimal(0),
        "deliveredQuantity": Decimal(0),
    }
    line.update(fields)
    return line


def omnium_order(
    order_id: str = "ORD-1",
    order_type: str = "ClickAndCollect",
    lines: list[dict[str, Any]] | None = None,
    *,
    store: str = "oslo_city",
    modified: str = "2026-03-06T10:00:00Z",
    **fields: Any,
) -> dict[str, Any]:
    order = {
        "id": order_id,
        "orderNumber": order_id,
        "orderType": order_type,
        "status": "New",
        "marketId": "NOR",
        "storeId": store,
        "billingCurrency": "NOK",
        "customerId": None,
        "customerName": "Kari Nordmann",
        "customerPhone": "+4740000000",
        "customerType": "B2C",
        "created": "2026-03-06T09:59:00Z",
        "modified": modified,
        "orderForm": {
            "lineItems": lines if lines is not None else [omnium_line("L1", "SKU-1", 2, "199.50")],
            "shipments": [
                {
                    "shipmentId": "1",
                    "warehouseCode": store,
                    "pickUpWarehouseCode": store if order_type == "ClickAndCollect" else None,
                    "shippingMethodName": "Pickup" if order_type == "ClickAndCollect" else "Post",
                }
            ],
        },
    }
    order.update(fields)
    return order

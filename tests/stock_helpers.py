"""What the stock tests share: Flow's and Omnium's levels side by side, moving stock through
Flow's POS / back-office API, and draining the receivement engine in-process."""

from __future__ import annotations

import json
from decimal import Decimal

from flow_stub_project.flow.models import InventoryLevel
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.jobs import clock, worker
from omnium_integration.models import ExternalSyncJob

UPDATE_INVENTORY = "PUT /api/Inventory/UpdateMany"
RECEIVEMENT_Q = Queue.RECEIVEMENT.value


def flow_stock(store) -> dict[str, Decimal]:
    """Flow's levels of a store, in units."""
    rows = InventoryLevel.objects.filter(store=store).values_list("sku", "quantity")
    return {sku: Decimal(quantity) / 100 for sku, quantity in rows}


def omnium_stock(sandbox, warehouse: str = "oslo_city") -> dict[str, Decimal]:
    """Omnium's levels of a warehouse, as the sandbox holds them."""
    items = sandbox.state.inventory.items()
    return {sku: Decimal(str(item["inventory"])) for (sku, wh), item in items if wh == warehouse}


def seed(sandbox, store, **levels: int) -> None:
    """Flow and Omnium both hold these levels (hundredths) of the store: in step."""
    for sku, quantity in levels.items():
        InventoryLevel.objects.update_or_create(
            tenant=store.tenant, store=store, sku=sku, defaults={"quantity": quantity}
        )
    sandbox.add_inventory(
        [
            {"sku": sku, "warehouseCode": store.uid, "inventory": Decimal(quantity) / 100}
            for sku, quantity in levels.items()
        ]
    )


def pushed(sandbox) -> list[list[tuple[str, str, Decimal]]]:
    """Every ``UpdateMany`` body sent: ``(warehouse, sku, inventory)`` per item."""
    return [
        [
            (i["warehouseCode"], i["sku"], Decimal(str(i["inventory"])))
            for i in json.loads(r["body"])
        ]
        for r in sandbox.last_requests(UPDATE_INVENTORY)
    ]


def drain() -> worker.DrainStats:
    return worker.drain(RECEIVEMENT_Q)


def drain_until_settled(limit: int = 40) -> None:
    """Drain, making waiting retries due at once, until no receivement job is active."""
    active = ExternalSyncJob.objects.active().filter(queue=RECEIVEMENT_Q)
    for _ in range(limit):
        active.filter(status=JobStatus.PENDING).update(next_attempt_at=clock.now())
        drain()
        if not active.exists():
            return
    raise AssertionError("jobs still active after draining")


# ------------------------------------------------------------------ Flow's POS calls


def api_post(api_client, path: str, body: dict, status: int = 201) -> dict:
    response = api_client.post(path, body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def sell(api_client, store, lines: list[tuple[str, str]], price: int = 1000) -> dict:
    """A completed sale of ``(sku, quantity)`` lines at ``price`` cents each."""
    body = {
        "storeUid": store.uid,
        "lines": [
            {"sku": sku, "quantity": quantity, "unitPrice": price} for sku, quantity in lines
        ],
    }
    order = api_post(api_client, "/api/pos/orders", body)
    payment = {"payments": [{"method": "Card", "amount": order["total"]}]}
    return api_post(api_client, f"/api/pos/orders/{order['uid']}/complete", payment, 200)


def return_goods(api_client, sale: dict, lines: list[tuple[str, str]], **extra) -> dict:
    """A completed return of ``(sale line uid, quantity)`` from ``sale``."""
    body = {"lines": [{"lineUid": uid, "quantity": quantity} for uid, quantity in lines]}
    ret = api_post(api_client, f"/api/pos/orders/{sale['uid']}/returns", {**body, **extra})
    payment = {"payments": [{"method": "Card", "amount": ret["total"]}]}
    return api_post(api_client, f"/api/pos/orders/{ret['uid']}/complete", payment, 200)


def count(api_client, store, **levels: int) -> dict:
    lines = [{"sku": sku, "quantity": quantity} for sku, quantity in levels.items()]
    return api_post(api_client, "/api/pos/stock/counts", {"storeUid": store.uid, "lines": lines})

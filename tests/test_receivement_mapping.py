"""The receivement engine's Flow side: UIDs, idempotency keys and the adapter's read model."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flow_stub_project.flow.models import Receivement
from omnium_integration.host import get_adapter
from omnium_integration.models import StoreExtension
from omnium_integration.transform import (
    goods_reception_id,
    hundredths_to_quantity,
    reception_delivery_id,
    split_purchase_order_uid,
)
from tests.flow_receptions import purchase_order, receive, stock


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("PO1001", ("PO1001", None)),
        ("PO1001-delivery-D7", ("PO1001", "D7")),
        ("PO_1001-delivery-DEL-2026-01", ("PO_1001", "DEL-2026-01")),
        ("PO1001-delivery-", ("PO1001-delivery-", None)),
        ("-delivery-D7", ("-delivery-D7", None)),
    ],
)
def test_a_delivery_as_po_uid_maps_back_to_its_purchase_order_and_delivery(uid, expected):
    assert split_purchase_order_uid(uid) == expected


def test_goods_reception_ids_are_stable_and_distinct_per_reception_and_line():
    first = goods_reception_id("tenant_no", "R-1", "L1")
    assert first == goods_reception_id("tenant_no", "R-1", "L1")
    others = {
        goods_reception_id("tenant_no", "R-2", "L1"),  # a second reception of the line
        goods_reception_id("tenant_no", "R-1", "L2"),
        goods_reception_id("tenant_se", "R-1", "L1"),  # another Flow tenant
    }
    assert first not in others and len(others) == 3
    assert first.startswith("flow:R-1:L1:")


def test_no_goods_reception_id_is_found_inside_another():
    ids = [goods_reception_id("t", "R-1", f"L{n}") for n in range(1, 120)]
    assert not [(a, b) for a in ids for b in ids if a != b and a in b]


def test_the_delivery_created_for_a_reception_has_an_omnium_uid():
    assert reception_delivery_id("tenant_no", "R-2026/17") == "flow_tenant_no_R202617"


@pytest.mark.parametrize(
    ("hundredths", "quantity"),
    [(100, Decimal("1")), (250, Decimal("2.5")), (1, Decimal("0.01")), (0, Decimal("0"))],
)
def test_fixed_point_quantities_convert_exactly(hundredths, quantity):
    assert hundredths_to_quantity(hundredths) == quantity


def test_the_adapter_reads_a_reception_into_plain_data(store):
    po = purchase_order(
        store, "PO1001", [("L1", "SKU-A", 1000, 2999), ("L2", "SKU-B", 500, 29)], currency=""
    )
    stock(store, **{"SKU-A": 300})
    reception = receive(store, "R-1", [("SKU-A", 400), ("SKU-B", 250), ("SKU-X", 100)], po=po)

    data = get_adapter().get_reception(reception.pk)

    assert data.is_completed and data.uid == "R-1" and data.tenant_uid == "tenant_no"
    assert (data.purchase_order_uid, data.warehouse_code, data.currency) == (
        "PO1001",
        "oslo_city",
        "NOK",  # the purchase order names none: the tenant's currency
    )
    assert [
        (line.sku, line.quantity, line.purchase_order_line_uid, line.unit_price)
        for line in data.lines
    ] == [
        ("SKU-A", 400, "L1", 2999),
        ("SKU-B", 250, "L2", 29),
        ("SKU-X", 100, "", None),  # not on the purchase order
    ]
    assert get_adapter().inventory_levels(store.pk, ["SKU-A", "SKU-X", "SKU-NONE"]) == {
        "SKU-A": 700,
        "SKU-X": 100,
    }


def test_the_adapter_knows_open_and_missing_receptions(store):
    reception = receive(store, "R-1", [("SKU-A", 100)], complete=False)
    assert not get_adapter().get_reception(reception.pk).is_completed
    assert get_adapter().get_reception(reception.pk + 1000) is None
    assert reception.state == Receivement.State.OPEN


def test_the_stock_master_flag_comes_from_the_store_parameter(store):
    adapter = get_adapter()
    assert not adapter.get_stock_store(store.pk).flow_stock_master
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    assert adapter.get_stock_store(store.pk).flow_stock_master
    assert adapter.get_stock_store(store.pk + 1000) is None

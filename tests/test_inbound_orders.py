"""The inbound order rules, driven by Omnium-shaped orders (the fetch is tested e2e)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models.signals import post_save

from flow_stub_project.flow.models import Customer, Order, OrderHandling, Store
from omnium_integration.exceptions import MappingError, PermanentError
from omnium_integration.mapping.order_imports import omnium_lines
from omnium_integration.models import ExternalSyncJob, ImportedOrder
from omnium_integration.receivers import capture
from omnium_integration.sync.inbound_orders import apply_order
from tests.omnium_orders import omnium_line, omnium_order
from tests.testapp.handlers import RECORD

FRIDAY = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def ext(extension, store):
    extension.click_collect_orderhandling_uid = "cc_pickup"
    extension.online_order_handling_uid = "web_shipping"
    extension.click_collect_expiry_days = 2
    extension.save()
    return extension


def apply(ext, order, omnium_id=None, **kwargs):
    omnium_id = omnium_id or (order or {}).get("id", "ORD-1")
    return apply_order(ext, omnium_id, order, now=kwargs.pop("now", FRIDAY), **kwargs)


def lines_of(order: Order) -> list[tuple]:
    return [
        (line.external_id, line.sku, line.quantity, line.unit_price, line.discount)
        for line in order.lines.order_by("external_id")
    ]


# ---------------------------------------------------------------------------- creating


def test_a_click_and_collect_order_is_parked_with_handling_and_deadline(ext, store):
    result = apply(ext, omnium_order("CC-1"))
    order = Order.objects.get(external_id="CC-1")
    assert result == {
        "outcome": "created",
        "order": order.pk,
        "lines": {"added": 1, "updated": 0, "removed": 0, "kept": 0, "frozen": 0},
        "handling": "cc_pickup",
    }
    assert (order.uid, order.state, order.store, order.type) == ("CC-1", "PARKED", store, "SALE")
    assert (order.currency, order.external_order_type) == ("NOK", "ClickAndCollect")
    assert list(order.handlings.values_list("handling_uid", "status")) == [("cc_pickup", "OPEN")]
    # Friday + 2 working days = Tuesday, end of day in Oslo.
    assert order.valid_until == datetime(2026, 3, 10, 23, 59, 59, tzinfo=OSLO)
    assert lines_of(order) == [("L1", "SKU-1", Decimal(2), 19950, 0)]
    assert order.total == 39900
    record = ImportedOrder.objects.get(omnium_order_id="CC-1")
    assert (record.order, record.outcome) == (order, "created")
    assert record.omnium_modified == datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


def test_omnium_s_own_pickup_deadline_wins(ext):
    apply(ext, omnium_order("CC-1", validUntil="2026-03-20T16:00:00Z"))
    assert Order.objects.get().valid_until == datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    apply(ext, omnium_order("CC-2", customerPickupDeadline="2026-03-21T16:00:00Z"))
    assert Order.objects.get(uid="CC-2").valid_until == datetime(2026, 3, 21, 16, 0, tzinfo=UTC)


def test_no_deadline_without_expiry_days(ext):
    ext.click_collect_expiry_days = None
    ext.save()
    apply(ext, omnium_order("CC-1"))
    assert Order.objects.get().valid_until is None


def test_no_handling_task_when_none_is_configured(ext):
    ext.click_collect_orderhandling_uid = ""
    ext.save()
    result = apply(ext, omnium_order("CC-1"))
    assert result["handling"] is None
    assert not OrderHandling.objects.exists()


@pytest.mark.parametrize("order_type", ["OnlineOrder", "Online"])
def test_an_online_order_is_confirmed_with_its_handling(ext, order_type):
    apply(ext, omnium_order("WEB-1", order_type))
    order = Order.objects.get()
    assert order.state == "CONFIRMED" and order.valid_until is None
    assert list(order.handlings.values_list("handling_uid", flat=True)) == ["web_shipping"]


@pytest.mark.parametrize("order_type", ["Pos", "Bopis", "ReturnOrder", ""])
def test_other_order_types_are_ignored_with_the_reason_recorded(ext, order_type):
    result = apply(ext, omnium_order("X-1", order_type))
    assert result["outcome"] == "ignored" and "not imported" in result["reason"]
    assert not Order.objects.exists()
    assert ImportedOrder.objects.get().reason == result["reason"]


def test_an_order_type_left_out_of_poll_order_types_is_not_imported(ext, settings):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "POLL_ORDER_TYPES": ("ClickAndCollect",),
    }
    assert apply(ext, omnium_order("WEB-1", "Online"))["outcome"] == "ignored"


def test_prices_become_exact_cents(ext):
    lines = [
        omnium_line("L1", "A", 1, "0.29"),
        omnium_line("L2", "B", 3, "19.99", discounted=Decimal("5.00")),
        omnium_line("L3", "C", "1.5", "100", taxRate=Decimal(15)),
    ]
    apply(ext, omnium_order("CC-1", lines=lines))
    order = Order.objects.get()
    assert lines_of(order) == [
        ("L1", "A", Decimal(1), 29, 0),
        ("L2", "B", Decimal(3), 1999, 500),
        ("L3", "C", Decimal("1.5"), 10000, 0),
    ]
    assert order.lines.get(external_id="L3").vat_rate == Decimal(15)
    assert order.total == 29 + 5997 - 500 + 15000


def test_the_line_total_is_what_omnium_charges_including_order_discounts(ext):
    # 2 × 100.00 with 10.00 line discount and a 9.00 share of an order discount.
    lines = [
        omnium_line("L1", "A", 2, "100", discounted=Decimal(10), extendedPrice=Decimal("181.00"))
    ]
    apply(ext, omnium_order("CC-1", lines=lines))
    line = Order.objects.get().lines.get()
    assert (line.unit_price, line.discount, line.total) == (10000, 1900, 18100)


def test_cancelled_quantities_are_not_flow_quantities(ext):
    lines = [
        omnium_line("L1", "A", 3, "10", canceledQuantity=Decimal(1), discounted=Decimal(3)),
        omnium_line("L2", "B", 1, "10", canceledQuantity=Decimal(1)),
    ]
    apply(ext, omnium_order("CC-1", lines=lines))
    assert lines_of(Order.objects.get()) == [("L1", "A", Decimal(2), 1000, 200)]


def test_an_order_cancelled_before_flow_saw_it_is_not_created(ext):
    result = apply(ext, omnium_order("CC-1", status="OrderCanceled"))
    assert result["outcome"] == "ignored" and not Order.objects.exists()


def test_an_unknown_store_fails_the_job_with_a_clear_reason(ext):
    with pytest.raises(MappingError, match="No Flow store matches .*bergen"):
        apply(ext, omnium_order("CC-1", store="bergen"))
    assert not Order.objects.exists()
    assert issubclass(MappingError, PermanentError)


def test_the_pickup_store_is_the_flow_store_of_a_click_and_collect_order(ext, store, tenant):
    bergen = Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")
    order = omnium_order("CC-1", store="webshop")
    order["orderForm"]["shipments"][0].update(pickUpWarehouseCode="bergen", warehouseCode="dc")
    apply(ext, order)
    assert Order.objects.get().store == bergen


def test_store_ids_are_matched_as_exported_with_sanitised_uids(ext, tenant):
    store = Store.objects.create(tenant=tenant, uid="oslo_storo2", name="Storo", country_code="NO")
    apply(ext, omnium_order("CC-1", store="oslo_storo-2"))
    assert Order.objects.get().store == store


def test_the_flow_uid_of_an_omnium_order_is_its_id_and_must_be_free(ext, store, tenant):
    Order.objects.create(tenant=tenant, store=store, uid="CC-1", currency="NOK")
    with pytest.raises(MappingError, match="already has another order with uid 'CC-1'"):
        apply(ext, omnium_order("CC-1"))


# ---------------------------------------------------------------------------- packages


def package_lines(nested: bool) -> list[dict]:
    parent = omnium_line("P", "KIT", 1, "300", isPackageProduct=True)
    parts = [omnium_line("P-1", "PART-1", 1, "100"), omnium_line("P-2", "PART-2", 2, "100")]
    if nested:
        return [{**parent, "components": parts}, omnium_line("X", "SOLO", 1, "50")]
    return [parent, *({**p, "packageLineItemId": "P"} for p in parts)]


@pytest.mark.parametrize("nested", [True, False], ids=["components", "packageLineItemId"])
def test_by_default_only_package_components_become_lines(ext, nested):
    apply(ext, omnium_order("CC-1", lines=package_lines(nested)))
    order = Order.objects.get()
    keys = sorted(order.lines.values_list("external_id", flat=True))
    assert keys == (["P-1", "P-2", "X"] if nested else ["P-1", "P-2"])
    assert not order.lines.filter(package_parent__isnull=False).exists()


@pytest.mark.parametrize("nested", [True, False], ids=["components", "packageLineItemId"])
def test_the_package_line_is_kept_when_the_parameter_says_so(ext, nested):
    ext.include_main_package_in_order_items = True
    ext.save()
    apply(ext, omnium_order("CC-1", lines=package_lines(nested)))
    order = Order.objects.get()
    parent = order.lines.get(external_id="P")
    assert sorted(parent.components.values_list("external_id", flat=True)) == ["P-1", "P-2"]


def test_switching_the_package_parameter_off_keeps_the_components(ext):
    ext.include_main_package_in_order_items = True
    ext.save()
    apply(ext, omnium_order("CC-1", lines=package_lines(True)))
    ext.include_main_package_in_order_items = False
    ext.save()
    apply(ext, omnium_order("CC-1", lines=package_lines(True), modified="2026-03-06T11:00:00Z"))
    order = Order.objects.get()
    assert sorted(order.lines.values_list("external_id", flat=True)) == ["P-1", "P-2", "X"]


def test_pure_line_mapping_needs_line_ids():
    with pytest.raises(MappingError, match="no lineItemId"):
        omnium_lines({"orderForm": {"lineItems": [{"code": "A"}]}}, include_package_parent=False)


# ---------------------------------------------------------------------------- updating


def v(n: int) -> str:
    return f"2026-03-06T1{n}:00:00Z"


def test_an_update_reopens_the_order_and_reconciles_its_lines(ext):
    first = [
        omnium_line("L1", "A", 1, "100"),
        omnium_line("L2", "B", 2, "50"),
        omnium_line("L3", "C", 1, "10"),
        omnium_line("L4", "D", 1, "10"),
        omnium_line("L5", "E", 1, "10"),
    ]
    apply(ext, omnium_order("CC-1", lines=first, modified=v(0)))
    order = Order.objects.get()
    order.lines.filter(external_id="L3").update(delivered_quantity=1)  # handed over already
    order.lines.filter(external_id="L4").update(is_paid=True)  # paid already
    order.lines.create(uid="flow-extra", sku="BAG", quantity=1, unit_price=200)  # added in Flow

    second = [
        omnium_line("L1", "A", 3, "100"),  # quantity up
        omnium_line("L2", "B", 2, "45", discounted=Decimal(10)),  # cheaper, discounted
        omnium_line("L6", "F", 1, "99.90"),  # new
    ]  # L3, L4, L5 are gone from Omnium
    result = apply(ext, omnium_order("CC-1", lines=second, modified=v(1)))

    order.refresh_from_db()
    assert order.state == "OPEN"
    assert result["outcome"] == "updated" and result["reopened"] is True
    assert result["lines"] == {"added": 1, "updated": 2, "removed": 1, "kept": 2, "frozen": 0}
    assert lines_of(order) == [
        ("", "BAG", Decimal(1), 200, 0),  # Flow's own line: untouched
        ("L1", "A", Decimal(3), 10000, 0),
        ("L2", "B", Decimal(2), 4500, 1000),
        ("L3", "C", Decimal(1), 1000, 0),  # delivered: kept
        ("L4", "D", Decimal(1), 1000, 0),  # paid: kept
        ("L6", "F", Decimal(1), 9990, 0),
    ]


def test_a_paid_line_is_never_changed_and_a_delivered_one_never_shrinks(ext):
    first = [omnium_line("L1", "A", 2, "100"), omnium_line("L2", "B", 3, "10")]
    apply(ext, omnium_order("CC-1", lines=first, modified=v(0)))
    order = Order.objects.get()
    order.lines.filter(external_id="L1").update(is_paid=True)
    order.lines.filter(external_id="L2").update(delivered_quantity=2)
    second = [omnium_line("L1", "A", 1, "80"), omnium_line("L2", "B", 1, "10")]
    result = apply(ext, omnium_order("CC-1", lines=second, modified=v(1)))
    assert result["lines"]["frozen"] == 1
    assert lines_of(order) == [
        ("L1", "A", Decimal(2), 10000, 0),
        ("L2", "B", Decimal(2), 1000, 0),
    ]


def test_a_change_that_touches_no_line_does_not_reopen(ext):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    result = apply(ext, omnium_order("CC-1", status="ReadyForPickup", modified=v(1)))
    assert Order.objects.get().state == "PARKED"
    assert result["outcome"] == "unchanged" and result["reopened"] is False
    assert ImportedOrder.objects.get().omnium_status == "ReadyForPickup"


def test_a_new_pickup_deadline_from_omnium_is_taken(ext):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    result = apply(
        ext, omnium_order("CC-1", customerPickupDeadline="2026-03-25T15:00:00Z", modified=v(1))
    )
    assert result["fields"] == ["valid_until"]
    assert Order.objects.get().valid_until == datetime(2026, 3, 25, 15, 0, tzinfo=UTC)
    # Omnium dropping its deadline later does not remove Flow's.
    apply(ext, omnium_order("CC-1", modified=v(2)))
    assert Order.objects.get().valid_until == datetime(2026, 3, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "status", ["OrderCanceled", "OrderCanceledByCustomer", "orderCanceledByStore", "NotCollected"]
)
def test_an_omnium_cancellation_cancels_the_flow_order(ext, status):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    result = apply(ext, omnium_order("CC-1", status=status, modified=v(1)))
    order = Order.objects.get()
    assert (result["outcome"], order.state) == ("cancelled", "CANCELLED")
    assert order.cancelled_at == FRIDAY
    assert list(order.handlings.values_list("status", flat=True)) == ["DONE"]


def test_a_deleted_omnium_order_cancels_the_flow_order(ext):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    result = apply(ext, None, omnium_id="CC-1")
    assert result["outcome"] == "cancelled" and "Deleted in Omnium" in result["reason"]
    assert Order.objects.get().state == "CANCELLED"


def test_an_unknown_order_omnium_does_not_have_is_ignored(ext):
    result = apply(ext, None, omnium_id="GONE-1")
    assert result == {
        "outcome": "ignored",
        "order": None,
        "reason": "Omnium has no such order (404).",
    }
    assert not Order.objects.exists()


@pytest.mark.parametrize("state", ["COMPLETED", "CANCELLED"])
def test_an_order_finished_in_flow_is_never_changed_by_an_import(ext, state):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    Order.objects.update(state=state)
    more = [omnium_line("L1", "SKU-1", 5, "1")]
    result = apply(ext, omnium_order("CC-1", lines=more, status="OrderCanceled", modified=v(1)))
    assert result["outcome"] == "skipped" and state in result["reason"]
    order = Order.objects.get()
    assert order.state == state and lines_of(order) == [("L1", "SKU-1", Decimal(2), 19950, 0)]


# ------------------------------------------------------------------- order of versions


def test_an_older_version_never_replaces_a_newer_one(ext):
    newer = omnium_order("CC-1", lines=[omnium_line("L1", "A", 5, "10")], modified=v(2))
    older = omnium_order("CC-1", lines=[omnium_line("L1", "A", 1, "10")], modified=v(1))
    apply(ext, newer)
    result = apply(ext, older)
    assert result["outcome"] == "unchanged" and "Stale" in result["reason"]
    assert lines_of(Order.objects.get()) == [("L1", "A", Decimal(5), 1000, 0)]
    assert ImportedOrder.objects.get().omnium_modified == datetime(2026, 3, 6, 12, tzinfo=UTC)


def test_the_same_version_twice_changes_nothing(ext):
    apply(ext, omnium_order("CC-1", modified=v(0)))
    Order.objects.update(state="CONFIRMED")  # staff moved it on
    result = apply(ext, omnium_order("CC-1", modified=v(0)))
    assert result["outcome"] == "unchanged" and "already applied" in result["reason"]
    assert Order.objects.get().state == "CONFIRMED"


def test_a_changed_order_with_the_same_modified_is_applied(ext):
    # Omnium's modified has 7 fractional digits; Python keeps 6: equal is not "same".
    apply(ext, omnium_order("CC-1", modified=v(0)))
    more = [omnium_line("L1", "SKU-1", 4, "199.50")]
    result = apply(ext, omnium_order("CC-1", lines=more, modified=v(0)))
    assert result["outcome"] == "updated"
    assert lines_of(Order.objects.get())[0][2] == Decimal(4)


# ----------------------------------------------------------------------------- customers


def test_a_known_customer_is_linked_by_uid_or_omnium_id(ext, tenant):
    mine = Customer.objects.create(tenant=tenant, uid="cust-7", display_name="Ola")
    theirs = Customer.objects.create(tenant=tenant, uid="c-8", external_id="OMN-8")
    apply(ext, omnium_order("CC-1", customerId="cust-7"))
    apply(ext, omnium_order("CC-2", customerId="OMN-8"))
    assert Order.objects.get(uid="CC-1").customer == mine
    assert Order.objects.get(uid="CC-2").customer == theirs
    assert Customer.objects.count() == 2


def test_an_unknown_private_customer_is_created_from_omnium(ext):
    ext.customer_loyalty_id_property_key = "Voyado"
    ext.save()
    omnium_customer = {
        "customerId": "kari@example.no",
        "customerNumber": "10001",
        "firstName": "Kari",
        "lastName": "Nordmann",
        "email": "kari@example.no",
        "phone": "+4740000000",
        "address": {
            "line1": "Storgata 1",
            "city": "Oslo",
            "postalCode": "0155",
            "countryCode": "no",
        },
        "externalIds": [{"id": "VOY-42", "providerName": "Voyado"}],
    }
    apply(
        ext,
        omnium_order("CC-1", customerId="kari@example.no"),
        customer=("private", omnium_customer),
    )
    customer = Order.objects.get().customer
    assert (customer.uid, customer.external_id, customer.type) == (
        "kari@example.no",
        "kari@example.no",
        "PERSON",
    )
    assert (customer.first_name, customer.last_name, customer.display_name) == (
        "Kari",
        "Nordmann",
        "Kari Nordmann",
    )
    assert (customer.mobile, customer.address, customer.postal_code, customer.country_code) == (
        "+4740000000",
        "Storgata 1",
        "0155",
        "NO",
    )
    assert customer.loyalty_id == "VOY-42"


def test_loyalty_id_from_a_property_or_the_customer_number(ext):
    ext.customer_loyalty_id_property_key = "Voyado"
    ext.save()
    with_property = {"customerId": "a", "properties": [{"key": "voyado", "value": "P-9"}]}
    apply(ext, omnium_order("CC-1", customerId="a"), customer=("private", with_property))
    ext.customer_loyalty_id_property_key = ""
    ext.save()
    numbered = {"customerId": "b", "customerNumber": "77"}
    apply(ext, omnium_order("CC-2", customerId="b"), customer=("private", numbered))
    assert Customer.objects.get(uid="a").loyalty_id == "P-9"
    assert Customer.objects.get(uid="b").loyalty_id == "77"


def test_an_unknown_business_customer_is_created_as_a_company(ext):
    company = {
        "customerId": "ACME",
        "name": "Acme AS",
        "taxId": "NO999888777MVA",
        "email": "post@acme.no",
        "address": {"line1": "Industriveien 2", "city": "Bergen", "countryCode": "NO"},
        "contacts": [
            {"firstName": "Per", "lastName": "Hansen", "email": "x@acme.no"},
            {
                "firstName": "Liv",
                "lastName": "Berg",
                "email": "liv@acme.no",
                "isPrimaryContact": True,
            },
        ],
    }
    apply(
        ext,
        omnium_order("CC-1", customerId="ACME", customerType="B2B"),
        customer=("business", company),
    )
    customer = Customer.objects.get()
    assert (customer.type, customer.company_name, customer.vat_number) == (
        "COMPANY",
        "Acme AS",
        "NO999888777MVA",
    )
    assert (customer.contact_person_name, customer.contact_person_email) == (
        "Liv Berg",
        "liv@acme.no",
    )


def test_a_customer_omnium_has_no_record_of_comes_from_the_order(ext):
    order = omnium_order(
        "CC-1",
        customerId="guest-1",
        customerEmail="guest@example.no",
        billingAddress={
            "firstName": "Gjest",
            "lastName": "Kunde",
            "line1": "Vei 3",
            "city": "Oslo",
        },
    )
    apply(ext, order)
    customer = Order.objects.get().customer
    assert (customer.uid, customer.external_id) == ("guest-1", "")
    assert (customer.display_name, customer.first_name, customer.mobile, customer.email) == (
        "Kari Nordmann",
        "Gjest",
        "+4740000000",
        "guest@example.no",
    )


def test_a_customer_omnium_anonymised_is_not_learned_again_from_its_order(ext):
    anonymised = {"customerId": "kari@example.no", "isAnonymized": True}
    apply(
        ext,
        omnium_order("CC-1", customerId="kari@example.no"),
        customer=("private", anonymised),
    )
    assert Order.objects.get().customer is None and not Customer.objects.exists()


def test_an_order_without_customer_id_has_no_customer(ext):
    apply(ext, omnium_order("CC-1"))
    assert Order.objects.get().customer is None and not Customer.objects.exists()


# -------------------------------------------------------------------------------- no echo


@pytest.fixture
def order_capture():
    """A stand-in for the outbound receivers: every Flow order or customer save is captured."""

    def receiver(sender, instance, **kwargs):
        capture(instance, RECORD)

    post_save.connect(receiver, sender=Order, dispatch_uid="test-echo")
    post_save.connect(receiver, sender=Customer, dispatch_uid="test-echo-customer")
    yield
    post_save.disconnect(sender=Order, dispatch_uid="test-echo")
    post_save.disconnect(sender=Customer, dispatch_uid="test-echo-customer")


def test_the_import_writes_no_outbound_job(ext, store, tenant, order_capture):
    apply(
        ext,
        omnium_order("CC-1", customerId="new-1"),
        customer=("private", {"customerId": "new-1", "firstName": "N"}),
    )
    apply(ext, omnium_order("CC-1", lines=[omnium_line("L9", "Z", 1, "1")], modified=v(1)))
    apply(ext, omnium_order("CC-1", status="OrderCanceled", modified=v(2)))
    assert Order.objects.get().state == "CANCELLED"
    assert not ExternalSyncJob.objects.exists()
    # The receiver is live: a change made in Flow itself is captured.
    Order.objects.get().save()
    assert ExternalSyncJob.objects.filter(kind=RECORD).count() == 1


def test_operators_see_why_an_order_is_or_is_not_in_flow(ext, admin_client):
    from django.urls import reverse

    apply(ext, omnium_order("CC-1"))
    apply(ext, omnium_order("POS-1", "Pos"))
    listing = admin_client.get(reverse("admin:omnium_integration_importedorder_changelist"))
    assert listing.status_code == 200
    assert "CC-1" in listing.content.decode() and "POS-1" in listing.content.decode()
    ignored = ImportedOrder.objects.get(omnium_order_id="POS-1")
    page = admin_client.get(
        reverse("admin:omnium_integration_importedorder_change", args=[ignored.pk])
    )
    assert "Order type &#x27;Pos&#x27; is not imported." in page.content.decode()

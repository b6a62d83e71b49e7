"""The POS API of the Flow stub: orders, settlement and receipts, returns, cancellations,
customers and goods receptions, each one database transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from flow_stub_project.flow.api.authentication import new_api_token
from flow_stub_project.flow.models import (
    Customer,
    InventoryLevel,
    Order,
    OrderHandling,
    OrderLine,
    OrderPayment,
    OrderReceipt,
    PurchaseOrder,
    PurchaseOrderLine,
    Receivement,
    ReceivementLine,
    Store,
    Tenant,
)
from omnium_integration.models import ExternalSyncJob
from omnium_integration.receivers import capture
from tests.pdf import assert_valid_pdf
from tests.testapp.handlers import RECORD

LINES = [
    {"sku": "TSHIRT-M", "name": "T-shirt M", "quantity": 2, "unitPrice": 19950, "discount": 1000},
    {"sku": "SOCKS", "name": "Socks", "quantity": "1.5", "unitPrice": 4000, "vatRate": "15.00"},
]
# 2 x 199.50 - 10.00 = 389.00 at 25 %; 1.5 x 40.00 = 60.00 at 15 %.
TOTAL = 38900 + 6000
VAT = 7780 + 783  # 389.00 * 25/125 = 77.80; 60.00 * 15/115 = 7.826... -> 7.83


def create_order(api_client, store, **extra):
    body = {"storeUid": store.uid, "lines": LINES, **extra}
    response = api_client.post("/api/pos/orders", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def complete(api_client, uid, payments):
    return api_client.post(f"/api/pos/orders/{uid}/complete", {"payments": payments}, format="json")


def sold(api_client, store, **extra):
    order = create_order(api_client, store, **extra)
    response = complete(api_client, order["uid"], [{"method": "Card", "amount": TOTAL}])
    assert response.status_code == 200, response.json()
    return response.json()


# ------------------------------------------------------------------- authentication


@pytest.mark.django_db
def test_the_api_needs_a_tenant_token(tenant, store, admin_user):
    anonymous = APIClient()
    response = anonymous.post("/api/pos/orders", {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"

    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert anonymous.get("/api/pos/orders/x").status_code == 401

    session = APIClient()
    session.force_login(User.objects.get(pk=admin_user.pk))
    response = session.get("/api/pos/customers/x")
    assert response.status_code == 403
    assert "API token" in response.json()["detail"]


@pytest.mark.django_db
def test_a_tenant_never_sees_another_tenants_objects(api_client, store):
    order = create_order(api_client, store)
    other = Tenant.objects.create(
        uid="tenant_se", name="Sverige", country_code="SE", currency="SEK"
    )
    Store.objects.create(tenant=other, uid=store.uid, name="Same uid", country_code="SE")
    intruder = APIClient()
    intruder.credentials(HTTP_AUTHORIZATION=f"Token {new_api_token(other, 'pos').key}")

    assert intruder.get(f"/api/pos/orders/{order['uid']}").status_code == 404
    assert complete(intruder, order["uid"], []).status_code == 404
    assert intruder.post(f"/api/pos/orders/{order['uid']}/cancel").status_code == 404
    assert Order.objects.get(uid=order["uid"]).state == Order.State.OPEN


# --------------------------------------------------------------------------- orders


@pytest.mark.django_db
def test_create_an_order(api_client, tenant, store):
    customer = Customer.objects.create(tenant=tenant, uid="c1", first_name="Kari")
    order = create_order(api_client, store, uid="POS-1.0001", customerUid="c1", note="gift")

    assert order["uid"] == "POS-1.0001"
    assert order["type"] == "SALE"
    assert order["state"] == "OPEN"
    assert order["storeUid"] == store.uid
    assert order["customerUid"] == customer.uid
    assert order["currency"] == "NOK"
    assert order["total"] == TOTAL
    assert order["vatTotal"] == VAT
    assert order["paid"] == 0
    assert [line["uid"] for line in order["lines"]] == ["1", "2"]
    first, second = order["lines"]
    assert (first["quantity"], first["unitPrice"], first["discount"]) == ("2.000", 19950, 1000)
    assert (first["total"], first["vatAmount"], first["vatRate"]) == (38900, 7780, "25.00")
    assert (second["quantity"], second["total"], second["vatAmount"]) == ("1.500", 6000, 783)

    stored = Order.objects.get(tenant=tenant, uid="POS-1.0001")
    assert stored.customer == customer
    assert stored.note == "gift"
    assert stored.lines.get(uid="2").quantity == Decimal("1.5")


@pytest.mark.django_db
def test_an_order_gets_a_uid_when_the_pos_gives_none(api_client, store):
    first = create_order(api_client, store)
    second = create_order(api_client, store)
    assert len(first["uid"]) == 32
    assert first["uid"] != second["uid"]
    assert api_client.get(f"/api/pos/orders/{first['uid']}").json()["total"] == TOTAL


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"lines": []}, {"lines": {"non_field_errors": ["This list may not be empty."]}}),
        ({"storeUid": "nowhere"}, {"storeUid": ["No store with uid 'nowhere' in this tenant."]}),
        (
            {"customerUid": "ghost"},
            {"customerUid": ["No customer with uid 'ghost' in this tenant."]},
        ),
        (
            {"uid": "has space"},
            {"uid": ["Use 1 to 100 letters, digits, '_', '.' or '-' (no spaces or slashes)."]},
        ),
        (
            {"lines": [{**LINES[0], "quantity": 0}]},
            {
                "lines": {
                    "0": {"quantity": ["Ensure this value is greater than or equal to 0.001."]}
                }
            },
        ),
        (
            {"lines": [{**LINES[0], "unitPrice": 12.5}]},
            {"lines": {"0": {"unitPrice": ["A valid integer is required."]}}},
        ),
        (
            {"lines": [{**LINES[0], "discount": 40000}]},
            {"lines": {"0": {"discount": ["The discount is more than the line's 39900 cents."]}}},
        ),
        (
            {"lines": [{**LINES[0], "uid": "a"}, {**LINES[1], "uid": "a"}]},
            {"lines": {"1": {"uid": ["Same uid as item 0."]}}},
        ),
        (
            {"lines": [{"quantity": 1}]},
            {
                "lines": {
                    "0": {
                        "sku": ["This field is required."],
                        "unitPrice": ["This field is required."],
                    }
                }
            },
        ),
    ],
)
def test_an_invalid_order_is_refused_with_field_errors_and_nothing_is_written(
    api_client, store, change, errors
):
    body = {"storeUid": store.uid, "lines": LINES, **change}
    response = api_client.post("/api/pos/orders", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


@pytest.mark.django_db
def test_an_order_uid_is_unique_per_tenant(api_client, store):
    create_order(api_client, store, uid="A1")
    response = api_client.post(
        "/api/pos/orders", {"uid": "A1", "storeUid": store.uid, "lines": LINES}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"uid": ["An order with uid 'A1' exists already."]}
    assert Order.objects.count() == 1


# ------------------------------------------------------------------------ settlement


@pytest.mark.django_db
def test_completing_an_order_settles_it_and_issues_a_receipt(api_client, tenant, store):
    order = create_order(api_client, store)
    response = complete(
        api_client,
        order["uid"],
        [
            {"method": "GiftCard", "amount": 10000},
            {"method": "Card", "amount": TOTAL - 10000, "transactionId": "nets-77"},
        ],
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "COMPLETED"
    assert body["completedAt"] is not None
    assert body["paid"] == TOTAL
    assert [(p["uid"], p["method"], p["amount"]) for p in body["payments"]] == [
        ("1", "GiftCard", 10000),
        ("2", "Card", TOTAL - 10000),
    ]
    assert all(line["isPaid"] for line in body["lines"])
    assert [line["deliveredQuantity"] for line in body["lines"]] == ["2.000", "1.500"]

    (receipt,) = body["receipts"]
    assert receipt["voucherNumber"] == "1"
    assert (receipt["grandTotal"], receipt["vatTotal"]) == (TOTAL, VAT)
    assert receipt["hasPdf"] is True
    assert receipt["settledAt"] == body["completedAt"]

    stored = OrderReceipt.objects.get(uid=receipt["uid"])
    assert stored.tenant == tenant
    assert stored.order.uid == order["uid"]
    assert stored.settled_at == Order.objects.get(uid=order["uid"]).completed_at
    pdf = bytes(stored.pdf)
    assert_valid_pdf(pdf)
    assert b"(RECEIPT " in pdf
    assert b"449.00) Tj" in pdf  # the grand total, printed in major units

    download = api_client.get(receipt["pdfUrl"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download.content == pdf


@pytest.mark.django_db
def test_voucher_numbers_run_per_series(api_client, tenant, store):
    numbers = [sold(api_client, store)["receipts"][0]["voucherNumber"] for _ in range(2)]
    assert numbers == ["1", "2"]
    store.voucher_number_series_uid = "oslo"
    store.save()
    assert sold(api_client, store)["receipts"][0]["voucherNumber"] == "1"
    assert sold(api_client, store)["receipts"][0]["voucherNumber"] == "2"


@pytest.mark.django_db
def test_payments_must_pay_the_total_exactly(api_client, store):
    order = create_order(api_client, store)
    response = complete(api_client, order["uid"], [{"method": "Cash", "amount": TOTAL - 1}])
    assert response.status_code == 400
    assert response.json() == {
        "payments": [f"Payments add up to {TOTAL - 1} cents, the order total is {TOTAL}."]
    }
    response = complete(api_client, order["uid"], [{"method": "Cash", "amount": "lots"}])
    assert response.status_code == 400
    assert response.json() == {"payments": {"0": {"amount": ["A valid integer is required."]}}}

    stored = Order.objects.get(uid=order["uid"])
    assert stored.state == Order.State.OPEN
    assert not stored.payments.exists()
    assert not stored.receipts.exists()
    assert not stored.lines.filter(is_paid=True).exists()


@pytest.mark.django_db
def test_an_order_from_omnium_completes_with_what_was_paid_online(api_client, tenant, store):
    """A Click & Collect order: PARKED, prepaid online, with a handling task to close."""
    order = Order.objects.create(
        tenant=tenant,
        store=store,
        uid="cc-1",
        state=Order.State.PARKED,
        currency="NOK",
        external_id="EPIC0001",
        external_order_type="ClickAndCollect",
    )
    OrderLine.objects.create(order=order, uid="1", sku="BAG", quantity=1, unit_price=50000)
    OrderPayment.objects.create(order=order, uid="web", method="Klarna", amount=50000)
    OrderHandling.objects.create(order=order, handling_uid="click_collect")

    response = complete(api_client, "cc-1", [])
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "COMPLETED"
    assert body["handlings"][0]["status"] == "DONE"
    assert [p["uid"] for p in body["payments"]] == ["web"]
    assert body["receipts"][0]["grandTotal"] == 50000


@pytest.mark.django_db
def test_a_receipt_that_cannot_be_rendered_keeps_no_pdf(api_client, store):
    lines = [{"sku": "SUSHI", "name": "寿司 🍣", "quantity": 1, "unitPrice": 12900}]
    order = api_client.post(
        "/api/pos/orders", {"storeUid": store.uid, "lines": lines}, format="json"
    ).json()
    response = complete(api_client, order["uid"], [{"method": "Card", "amount": 12900}])
    assert response.status_code == 200
    receipt = response.json()["receipts"][0]
    assert (receipt["hasPdf"], receipt["pdfUrl"]) == (False, None)
    assert receipt["grandTotal"] == 12900
    assert OrderReceipt.objects.get(uid=receipt["uid"]).pdf is None
    assert Order.objects.get(uid=order["uid"]).state == Order.State.COMPLETED
    assert api_client.get(f"/api/pos/receipts/{receipt['uid']}/pdf").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("state", [Order.State.COMPLETED, Order.State.CANCELLED])
def test_only_an_open_parked_or_confirmed_order_can_be_completed(api_client, store, state):
    order = create_order(api_client, store)
    Order.objects.filter(uid=order["uid"]).update(state=state)
    response = complete(api_client, order["uid"], [{"method": "Card", "amount": TOTAL}])
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Order {order['uid']} is {state} and cannot be completed."
    }
    assert not OrderPayment.objects.exists()
    assert not OrderReceipt.objects.exists()


# --------------------------------------------------------------------------- returns


def return_of(api_client, sale, lines, **extra):
    return api_client.post(
        f"/api/pos/orders/{sale['uid']}/returns", {"lines": lines, **extra}, format="json"
    )


@pytest.mark.django_db
def test_a_return_mirrors_the_sale_with_negative_amounts(api_client, store):
    sale = sold(api_client, store)
    response = return_of(
        api_client,
        sale,
        [{"lineUid": "1", "quantity": 1}],
        uid="R-1",
        payments=[{"method": "Card", "amount": -19450}],
    )
    assert response.status_code == 201, response.json()
    ret = response.json()
    assert (ret["uid"], ret["type"], ret["state"]) == ("R-1", "RETURN", "COMPLETED")
    assert ret["originalOrderUid"] == sale["uid"]
    (line,) = ret["lines"]
    # Half of the line comes back: -1 x 199.50 with half of its 10.00 discount.
    assert (line["quantity"], line["unitPrice"], line["discount"]) == ("-1.000", 19950, -500)
    assert (line["total"], line["vatAmount"], line["originalLineUid"]) == (-19450, -3890, "1")
    assert ret["total"] == ret["paid"] == -19450
    receipt = ret["receipts"][0]
    assert (receipt["grandTotal"], receipt["vatTotal"]) == (-19450, -3890)
    assert receipt["voucherNumber"] == "2"
    pdf = bytes(OrderReceipt.objects.get(uid=receipt["uid"]).pdf)
    assert_valid_pdf(pdf)
    assert b"(CREDIT NOTE " in pdf

    stored = Order.objects.get(uid="R-1")
    assert stored.original_order.uid == sale["uid"]
    assert stored.lines.get().original_line == OrderLine.objects.get(
        order__uid=sale["uid"], uid="1"
    )


@pytest.mark.django_db
def test_returns_never_take_back_more_than_was_sold(api_client, store):
    sale = sold(api_client, store)
    first = return_of(api_client, sale, [{"lineUid": "1", "quantity": 1}])
    assert first.status_code == 201
    assert first.json()["state"] == "OPEN"  # no refunds given: completed later

    too_much = return_of(
        api_client, sale, [{"lineUid": "2", "quantity": 1}, {"lineUid": "1", "quantity": 2}]
    )
    assert too_much.status_code == 400
    assert too_much.json() == {"lines": {"1": {"quantity": ["Line 1 has 1.000 left to return."]}}}
    assert Order.objects.filter(type=Order.Type.RETURN).count() == 1

    # The rest of the line takes the rest of its discount, so the shares add up.
    rest = return_of(api_client, sale, [{"lineUid": "1", "quantity": 1}]).json()
    assert rest["lines"][0]["discount"] == -500
    assert return_of(api_client, sale, [{"lineUid": "1", "quantity": "0.5"}]).status_code == 400

    # A cancelled return gives its quantity back.
    assert api_client.post(f"/api/pos/orders/{rest['uid']}/cancel").status_code == 200
    assert return_of(api_client, sale, [{"lineUid": "1", "quantity": 1}]).status_code == 201


@pytest.mark.django_db
def test_an_open_return_is_completed_with_refunds(api_client, store):
    sale = sold(api_client, store)
    ret = return_of(api_client, sale, [{"lineUid": "2", "quantity": "1.5"}]).json()
    assert ret["total"] == -6000

    positive = complete(api_client, ret["uid"], [{"method": "Cash", "amount": 6000}])
    assert positive.status_code == 400
    assert positive.json() == {
        "payments": [
            "Payments add up to 6000 cents, the order total is -6000 "
            "(refunds are negative amounts)."
        ]
    }
    done = complete(api_client, ret["uid"], [{"method": "Cash", "amount": -6000}])
    assert done.status_code == 200
    assert done.json()["state"] == "COMPLETED"
    assert done.json()["receipts"][0]["grandTotal"] == -6000


@pytest.mark.django_db
def test_a_return_is_refused_for_what_is_not_a_completed_sale(api_client, store):
    open_order = create_order(api_client, store)
    response = return_of(api_client, open_order, [{"lineUid": "1", "quantity": 1}])
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Only a completed sale can be returned; order {open_order['uid']} is a SALE "
        "in state OPEN."
    }

    sale = sold(api_client, store)
    response = return_of(
        api_client, sale, [{"lineUid": "9", "quantity": 1}, {"lineUid": "1", "quantity": -1}]
    )
    assert response.status_code == 400
    assert response.json() == {
        "lines": {
            "0": {"lineUid": [f"Order {sale['uid']} has no line '9'."]},
            "1": {"quantity": ["Ensure this value is greater than or equal to 0.001."]},
        }
    }
    response = return_of(
        api_client, sale, [{"lineUid": "1", "quantity": 1}, {"lineUid": "1", "quantity": 1}]
    )
    assert response.json() == {"lines": {"1": {"lineUid": ["Same lineUid as item 0."]}}}
    assert not Order.objects.filter(type=Order.Type.RETURN).exists()


# ---------------------------------------------------------------------- cancellation


@pytest.mark.django_db
def test_cancel_an_open_order(api_client, tenant, store):
    order = create_order(api_client, store)
    OrderHandling.objects.create(order=Order.objects.get(uid=order["uid"]), handling_uid="ship")
    response = api_client.post(f"/api/pos/orders/{order['uid']}/cancel")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "CANCELLED"
    assert body["cancelledAt"] is not None
    assert body["handlings"][0]["status"] == "DONE"

    again = api_client.post(f"/api/pos/orders/{order['uid']}/cancel")
    assert again.status_code == 409
    assert again.json() == {"detail": f"Order {order['uid']} is CANCELLED and cannot be cancelled."}


@pytest.mark.django_db
def test_a_completed_sale_is_returned_not_cancelled(api_client, store):
    sale = sold(api_client, store)
    response = api_client.post(f"/api/pos/orders/{sale['uid']}/cancel")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Order {sale['uid']} is COMPLETED and cannot be cancelled; "
        "return its goods instead."
    }
    assert Order.objects.get(uid=sale["uid"]).state == Order.State.COMPLETED
    assert api_client.post("/api/pos/orders/nope/cancel").status_code == 404


# ------------------------------------------------------------------- one transaction


@pytest.fixture
def order_jobs(extension):
    """Record an outbound job for every saved order, as the integration's receivers do."""

    def receiver(sender, instance, **kwargs):
        capture(instance, RECORD)

    post_save.connect(receiver, sender=Order, dispatch_uid="test-order-jobs")
    yield
    post_save.disconnect(sender=Order, dispatch_uid="test-order-jobs")


@pytest.mark.django_db
def test_jobs_written_by_receivers_commit_with_the_request(api_client, store, order_jobs):
    order = create_order(api_client, store)
    pk = Order.objects.get(uid=order["uid"]).pk
    assert list(ExternalSyncJob.objects.values_list("kind", "object_id")) == [(RECORD, str(pk))]


@pytest.mark.django_db
def test_a_failing_request_leaves_neither_rows_nor_jobs(api_client, store, order_jobs):
    def broken(sender, instance, **kwargs):
        if instance.uid == "2":
            raise RuntimeError("disk full")

    post_save.connect(broken, sender=OrderLine, dispatch_uid="test-broken-line")
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            api_client.post(
                "/api/pos/orders", {"storeUid": store.uid, "lines": LINES}, format="json"
            )
    finally:
        post_save.disconnect(sender=OrderLine, dispatch_uid="test-broken-line")
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not ExternalSyncJob.objects.exists()

    # And a refused settlement leaves the order's job as it was.
    order = create_order(api_client, store)
    complete(api_client, order["uid"], [{"method": "Card", "amount": 1}])
    assert ExternalSyncJob.objects.count() == 1


# ------------------------------------------------------------------------- customers


@pytest.mark.django_db
def test_create_a_person(api_client, tenant):
    response = api_client.post(
        "/api/pos/customers",
        {
            "firstName": "Kari",
            "lastName": "Nordmann",
            "email": "kari@example.no",
            "mobile": "+4791234567",
            "address": "Storgata 1",
            "city": "Oslo",
            "postalCode": "0155",
            "countryCode": "no",
            "loyaltyId": "V-123",
            "externalId": "not-yours",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["type"] == "PERSON"
    assert body["displayName"] == "Kari Nordmann"
    assert body["countryCode"] == "NO"
    assert body["externalId"] == ""  # written by the integration only
    assert body["lastModifiedBy"] == "pos-1"
    customer = Customer.objects.get(tenant=tenant, uid=body["uid"])
    assert (customer.loyalty_id, customer.postal_code, customer.external_id) == (
        "V-123",
        "0155",
        "",
    )
    assert api_client.get(f"/api/pos/customers/{customer.uid}").json() == body


@pytest.mark.django_db
def test_create_a_company(api_client, tenant):
    response = api_client.post(
        "/api/pos/customers",
        {
            "uid": "acme",
            "type": "COMPANY",
            "companyName": "Acme AS",
            "vatNumber": "NO912345678MVA",
            "contactPersonName": "Ola",
            "contactPersonEmail": "ola@acme.no",
            "countryCode": "SE",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(tenant=tenant, uid="acme")
    assert customer.type == Customer.Type.COMPANY
    assert customer.display_name == "Acme AS"
    assert (customer.vat_number, customer.country_code) == ("NO912345678MVA", "SE")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"firstName": ["A PERSON needs a firstName, lastName or displayName."]}),
        (
            {"type": "COMPANY", "firstName": "Ola"},
            {"companyName": ["A COMPANY needs a companyName."]},
        ),
        ({"type": "ROBOT", "firstName": "R2"}, {"type": ['"ROBOT" is not a valid choice.']}),
        ({"firstName": "Ola", "email": "ola@"}, {"email": ["Enter a valid email address."]}),
        (
            {"firstName": "Ola", "countryCode": "NOR"},
            {"countryCode": ["Ensure this field has no more than 2 characters."]},
        ),
        (
            {"firstName": "Ola", "countryCode": "1x"},
            {"countryCode": ["Use an ISO 3166-1 alpha-2 code, e.g. NO."]},
        ),
    ],
)
def test_an_invalid_customer_is_refused(api_client, body, errors):
    response = api_client.post("/api/pos/customers", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_update_a_customer(api_client, tenant):
    api_client.post(
        "/api/pos/customers",
        {"uid": "c1", "firstName": "Kari", "lastName": "Hansen"},
        format="json",
    )
    Customer.objects.filter(uid="c1").update(external_id="omnium-77")

    patched = api_client.patch("/api/pos/customers/c1", {"lastName": "Berg"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["displayName"] == "Kari Berg"  # follows the names
    assert patched.json()["externalId"] == "omnium-77"

    chosen = api_client.patch("/api/pos/customers/c1", {"displayName": "K. Berg"}, format="json")
    assert chosen.json()["displayName"] == "K. Berg"
    kept = api_client.patch("/api/pos/customers/c1", {"mobile": "+4790000000"}, format="json")
    assert kept.json()["displayName"] == "K. Berg"  # a chosen display name stays

    put = api_client.put(
        "/api/pos/customers/c1", {"type": "COMPANY", "companyName": "Berg AS"}, format="json"
    )
    assert put.status_code == 200
    customer = Customer.objects.get(tenant=tenant, uid="c1")
    assert (customer.type, customer.company_name, customer.external_id) == (
        "COMPANY",
        "Berg AS",
        "omnium-77",
    )

    moved = api_client.patch("/api/pos/customers/c1", {"uid": "c2"}, format="json")
    assert moved.status_code == 400
    assert moved.json() == {"uid": ["A customer's uid cannot change."]}
    refused = api_client.patch("/api/pos/customers/c1", {"companyName": ""}, format="json")
    assert refused.json() == {"companyName": ["A COMPANY needs a companyName."]}
    assert Customer.objects.get(uid="c1").company_name == "Berg AS"
    assert api_client.patch("/api/pos/customers/nobody", {}, format="json").status_code == 404


# ---------------------------------------------------------------------- receivements


@pytest.fixture
def purchase_order(tenant, store) -> PurchaseOrder:
    po = PurchaseOrder.objects.create(
        tenant=tenant, store=store, uid="PO1", supplier_uid="acme", external_id="PO-1"
    )
    PurchaseOrderLine.objects.create(
        purchase_order=po, uid="L1", sku="TSHIRT-M", quantity_ordered=1000
    )
    PurchaseOrderLine.objects.create(purchase_order=po, uid="L2", sku="SOCKS", quantity_ordered=250)
    return po


def receive(api_client, store, lines, **extra):
    return api_client.post(
        "/api/pos/receivements", {"storeUid": store.uid, "lines": lines, **extra}, format="json"
    )


@pytest.mark.django_db
def test_a_goods_reception_counts_goods_in_against_the_po(api_client, store, purchase_order):
    InventoryLevel.objects.create(tenant=store.tenant, store=store, sku="TSHIRT-M", quantity=300)
    response = receive(
        api_client,
        store,
        [{"purchaseOrderLineUid": "L1", "quantity": 400}, {"sku": "EXTRA", "quantity": 100}],
        uid="GR-1",
        purchaseOrderUid="PO1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["uid"], body["state"], body["purchaseOrderStatus"]) == (
        "GR-1",
        "COMPLETED",
        "PARTIALLYRECEIVED",
    )
    assert body["lines"] == [
        {"purchaseOrderLineUid": "L1", "sku": "TSHIRT-M", "quantity": 400},
        {"purchaseOrderLineUid": None, "sku": "EXTRA", "quantity": 100},
    ]
    assert body["completedAt"] is not None
    assert purchase_order.lines.get(uid="L1").quantity_received == 400
    levels = dict(InventoryLevel.objects.filter(store=store).values_list("sku", "quantity"))
    assert levels == {"TSHIRT-M": 700, "EXTRA": 100}

    rest = receive(
        api_client,
        store,
        [
            {"purchaseOrderLineUid": "L1", "quantity": 600},
            {"purchaseOrderLineUid": "L2", "sku": "SOCKS", "quantity": 250},
        ],
        purchaseOrderUid="PO1",
    )
    assert rest.json()["purchaseOrderStatus"] == "RECEIVED"
    purchase_order.refresh_from_db()
    assert purchase_order.status == PurchaseOrder.Status.RECEIVED
    assert api_client.get("/api/pos/receivements/GR-1").json() == {
        **body,
        "purchaseOrderStatus": "RECEIVED",
    }


@pytest.mark.django_db
def test_an_open_goods_reception_is_completed_later(api_client, store, purchase_order):
    response = receive(
        api_client,
        store,
        [{"purchaseOrderLineUid": "L2", "quantity": 50}],
        purchaseOrderUid="PO1",
        complete=False,
    )
    assert response.status_code == 201
    uid = response.json()["uid"]
    assert response.json()["state"] == "OPEN"
    assert purchase_order.lines.get(uid="L2").quantity_received == 0
    assert not InventoryLevel.objects.exists()

    done = api_client.post(f"/api/pos/receivements/{uid}/complete")
    assert done.status_code == 200
    assert done.json()["state"] == "COMPLETED"
    assert purchase_order.lines.get(uid="L2").quantity_received == 50
    assert InventoryLevel.objects.get(store=store, sku="SOCKS").quantity == 50

    again = api_client.post(f"/api/pos/receivements/{uid}/complete")
    assert again.status_code == 409
    assert again.json() == {"detail": f"Goods reception {uid} is already COMPLETED."}
    assert InventoryLevel.objects.get(store=store, sku="SOCKS").quantity == 50


@pytest.mark.django_db
def test_nothing_is_received_on_a_po_closed_in_the_meantime(api_client, store, purchase_order):
    lines = [{"purchaseOrderLineUid": "L1", "quantity": 100}]
    body = receive(api_client, store, lines, purchaseOrderUid="PO1", complete=False).json()
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(status=PurchaseOrder.Status.CLOSED)
    response = api_client.post(f"/api/pos/receivements/{body['uid']}/complete")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Purchase order PO1 is CLOSED; nothing can be received on it."
    }
    assert Receivement.objects.get(uid=body["uid"]).state == Receivement.State.OPEN
    assert not InventoryLevel.objects.exists()
    assert purchase_order.lines.get(uid="L1").quantity_received == 0


@pytest.mark.django_db
def test_an_invalid_goods_reception_is_refused(api_client, tenant, store, purchase_order):
    other = Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")
    response = receive(
        api_client,
        other,
        [
            {"purchaseOrderLineUid": "L9", "quantity": 100},
            {"purchaseOrderLineUid": "L1", "sku": "SOCKS", "quantity": 100},
            {"quantity": 100},
            {"sku": "X", "quantity": 0},
        ],
        purchaseOrderUid="PO1",
    )
    assert response.status_code == 400
    assert response.json() == {
        "lines": {"3": {"quantity": ["Ensure this value is greater than or equal to 1."]}}
    }
    response = receive(
        api_client,
        other,
        [
            {"purchaseOrderLineUid": "L9", "quantity": 100},
            {"purchaseOrderLineUid": "L1", "sku": "SOCKS", "quantity": 100},
            {"quantity": 100},
        ],
        purchaseOrderUid="PO1",
    )
    assert response.json() == {
        "purchaseOrderUid": ["Purchase order PO1 is for store oslo_city, not bergen."],
        "lines": {
            "0": {"purchaseOrderLineUid": ["Purchase order PO1 has no line 'L9'."]},
            "1": {"sku": ["Line 'L1' of the purchase order is for sku 'TSHIRT-M'."]},
            "2": {"sku": ["Give the sku, or the purchaseOrderLineUid it was ordered on."]},
        },
    }
    free = receive(api_client, store, [{"purchaseOrderLineUid": "L1", "quantity": 100}])
    assert free.json() == {
        "lines": {"0": {"purchaseOrderLineUid": ["Give the purchaseOrderUid of this line too."]}}
    }
    PurchaseOrder.objects.filter(pk=purchase_order.pk).update(status=PurchaseOrder.Status.CLOSED)
    closed = receive(api_client, store, [{"sku": "X", "quantity": 100}], purchaseOrderUid="PO1")
    assert closed.json() == {
        "purchaseOrderUid": ["Purchase order PO1 is CLOSED; nothing can be received."]
    }
    assert not Receivement.objects.exists()
    assert not ReceivementLine.objects.exists()
    assert not InventoryLevel.objects.exists()
    assert not PurchaseOrderLine.objects.filter(quantity_received__gt=0).exists()

"""The outbound mappers: Flow records -> Omnium documents, without a database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from omnium_integration.exceptions import MappingError
from omnium_integration.mapping.customers import (
    business_customer,
    customer_document,
    private_customer,
)
from omnium_integration.mapping.invoices import (
    REMITTANCE_SKU,
    invoice,
    invoice_file_name,
    invoice_has_file,
)
from omnium_integration.mapping.options import ExportOptions
from omnium_integration.mapping.orders import (
    find_return,
    is_cancelled,
    pos_order,
    pos_order_patch,
    return_request,
    target_status,
)
from omnium_integration.mapping.records import (
    CustomerKind,
    CustomerRecord,
    OrderKind,
    OrderLineRecord,
    OrderRecord,
    OrderRef,
    OrderState,
    PaymentRecord,
    ReceiptRecord,
    StoreRecord,
)

T0 = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
OPTIONS = ExportOptions(
    property_prefix="flow",
    default_shipping_method_id="store-pickup",
    customer_market_group_id="nordic",
    loyalty_id_property_key="Voyado",
)
STORE = StoreRecord(uid="oslo-city", country_code="NO")


def line(uid="1", sku="SKU-1", quantity="2", unit_price=19950, discount=0, **kw):
    return OrderLineRecord(
        uid=uid,
        sku=sku,
        quantity=Decimal(quantity),
        unit_price=unit_price,
        discount=discount,
        vat_rate=Decimal("25.00"),
        name=f"Product {sku}",
        **kw,
    )


def person(**kw):
    values = dict(
        uid="cust-1",
        kind=CustomerKind.PERSON,
        tenant_country_code="NO",
        first_name="Kari",
        last_name="Nordmann",
        display_name="Kari Nordmann",
        email="kari@example.com",
        mobile="+4740000000",
        address="Storgata 1",
        city="Oslo",
        postal_code="0155",
        country_code="SE",
        loyalty_id="LOY-77",
        created_at=T0,
        last_modified_at=T0,
        last_modified_by="cashier-3",
    )
    values.update(kw)
    return CustomerRecord(**values)


def company(**kw):
    values = dict(
        kind=CustomerKind.COMPANY,
        uid="acme-1",
        first_name="",
        last_name="",
        display_name="",
        company_name="Acme AS",
        vat_number="NO999888777MVA",
        contact_person_name="Ola Contact",
        contact_person_email="ola@acme.example",
        email="post@acme.example",
        country_code="SE",
    )
    values.update(kw)
    return person(**values)


def sale(**kw):
    values = dict(
        pk=1,
        uid="POS-1001/42",
        kind=OrderKind.SALE,
        state=OrderState.COMPLETED,
        currency="NOK",
        store=STORE,
        lines=(line(), line(uid="2", sku="SKU-2", quantity="1", unit_price=29, discount=0)),
        payments=(PaymentRecord(uid="pay-1", method="Card", amount=39929, created_at=T0),),
        created_at=T0,
        completed_at=T0,
    )
    values.update(kw)
    return OrderRecord(**values)


def as_json(document):
    """The JSON text Omnium would receive (Decimals written exactly)."""
    return json.loads(json.dumps(document, default=str))


# ------------------------------------------------------------------------ POS orders


def test_a_completed_sale_is_a_read_only_pos_order_keyed_by_the_sanitised_flow_uid():
    document = pos_order(sale(), OPTIONS)
    assert document["id"] == "POS100142"
    assert (document["orderType"], document["status"], document["isReadOnly"]) == (
        "Pos",
        "Completed",
        True,
    )
    assert (document["marketId"], document["storeId"]) == ("NOR", "oslocity")
    assert document["billingCurrency"] == "NOK"
    assert document["created"] == "2026-03-02T10:30:00Z"


def test_lines_carry_sku_quantity_unit_price_discount_and_vat_exactly():
    order = sale(lines=(line(quantity="1.500", unit_price=29, discount=5),))
    (item,) = pos_order(order, OPTIONS)["orderForm"]["lineItems"]
    assert item == {
        "lineItemId": "1",
        "code": "SKU-1",
        "displayName": "Product SKU-1",
        "quantity": Decimal("1.5"),
        "placedPrice": Decimal("0.29"),
        "discounted": Decimal("0.05"),
        "taxRate": Decimal("25"),
    }
    assert as_json(item)["placedPrice"] == "0.29"


def test_payments_are_processed_sales_and_refunds_are_credits():
    order = sale(
        payments=(
            PaymentRecord(uid="p-1", method="Cash", amount=50000, transaction_id="T1"),
            PaymentRecord(uid="p-2", method="Cash", amount=-10071),
        )
    )
    payments = pos_order(order, OPTIONS)["orderForm"]["payments"]
    assert [(p["transactionType"], p["amount"], p["status"]) for p in payments] == [
        ("Sale", Decimal("500.00"), "Processed"),
        ("Credit", Decimal("100.71"), "Processed"),
    ]
    assert [p["transactionId"] for p in payments] == ["T1", "p-2"]
    assert all(p["paymentMethodName"] == "Cash" and p["storeId"] == "oslocity" for p in payments)


def test_the_shipment_uses_the_default_shipping_method_when_flow_has_none():
    (shipment,) = pos_order(sale(), OPTIONS)["orderForm"]["shipments"]
    assert shipment["shippingMethodId"] == "store-pickup"
    assert shipment["warehouseCode"] == "oslocity"
    assert [i["lineItemId"] for i in shipment["lineItems"]] == ["1", "2"]
    (shipment,) = pos_order(sale(shipping_method_id="bring"), OPTIONS)["orderForm"]["shipments"]
    assert shipment["shippingMethodId"] == "bring"


def test_properties_are_written_under_the_tenants_prefix():
    document = pos_order(sale(note="gift wrap"), replace(OPTIONS, property_prefix="pos_"))
    props = {p["key"]: p["value"] for p in document["properties"]}
    assert props == {
        "pos_OrderUid": "POS-1001/42",
        "pos_OrderKind": "sale",
        "pos_StoreUid": "oslo-city",
        "pos_CompletedAt": "2026-03-02T10:30:00Z",
        "pos_Note": "gift wrap",
    }


def test_the_customer_is_named_on_the_order_with_its_omnium_id():
    document = pos_order(sale(customer=person(external_id="omn-77")), OPTIONS)
    assert document["customerId"] == "omn-77"
    assert document["customerType"] == "B2C"
    assert document["customerNumber"] == "LOY-77"
    assert pos_order(sale(customer=company()), OPTIONS)["customerType"] == "B2B"
    assert "customerId" not in pos_order(sale(customer=None), OPTIONS)


def test_the_stores_external_id_names_the_market():
    store = replace(STORE, country_code="DE", external_id="EUR_B2C")
    assert pos_order(sale(store=store), OPTIONS)["marketId"] == "EUR_B2C"


def test_an_unknown_country_is_a_mapping_error_naming_it():
    with pytest.raises(MappingError, match="'DE'"):
        pos_order(sale(store=replace(STORE, country_code="DE")), OPTIONS)


def test_only_completed_orders_with_lines_become_pos_orders():
    with pytest.raises(MappingError):
        pos_order(sale(state=OrderState.OPEN), OPTIONS)
    with pytest.raises(MappingError):
        pos_order(sale(lines=()), OPTIONS)


def test_a_package_component_points_at_its_package_line():
    order = sale(lines=(line(uid="P"), line(uid="C-1", package_parent_uid="P")))
    items = pos_order(order, OPTIONS)["orderForm"]["lineItems"]
    assert "packageLineItemId" not in items[0] and items[1]["packageLineItemId"] == "P"


def test_a_blind_return_is_a_pos_order_with_negative_quantities():
    order = sale(
        kind=OrderKind.RETURN,
        lines=(line(quantity="-1"),),
        payments=(PaymentRecord(uid="r", method="Card", amount=-19950),),
    )
    document = pos_order(order, OPTIONS)
    assert document["orderForm"]["lineItems"][0]["quantity"] == Decimal(-1)
    assert document["orderForm"]["payments"][0]["transactionType"] == "Credit"


def test_patch_of_an_existing_pos_order_holds_only_what_changed():
    document = pos_order(sale(customer=person()), OPTIONS)
    assert pos_order_patch(document, document) is None
    current = {**document, "customerName": "Old Name", "properties": []}
    patch = pos_order_patch(document, current)
    assert patch["customerName"] == "Kari Nordmann"
    assert patch["keepExistingCustomProperties"] is True
    assert {p["key"] for p in patch["properties"]} == {p["key"] for p in document["properties"]}
    assert "orderForm" not in patch


# ------------------------------------------------------------------------------ returns


def a_return(**kw):
    original = OrderRef(
        pk=1,
        uid="POS-1001/42",
        lines=(line(uid="1", quantity="1"), line(uid="2", sku="SKU-2"), line(uid="3")),
    )
    values = dict(
        pk=2,
        uid="RET-9",
        kind=OrderKind.RETURN,
        original_order=original,
        lines=(line(uid="r1", quantity="-2", discount=100),),
    )
    values.update(kw)
    return sale(**values)


def test_a_return_is_a_return_request_on_the_original_sale_lines():
    request = return_request(a_return(note="wrong size"), OPTIONS)
    assert request["rmaNumber"] == "RET9"
    assert request["storeId"] == "oslocity"
    assert request["creditPayment"] is False
    assert request["comment"] == "wrong size"
    # 2 x SKU-1 returned: line 1 sold one, line 3 another; 398.00 credited, 199.00 each.
    assert request["returns"] == [
        {
            "lineItemId": "1",
            "returnQuantity": Decimal(1),
            "creditAmount": Decimal("199.00"),
            "isStockUpdated": True,
        },
        {
            "lineItemId": "3",
            "returnQuantity": Decimal(1),
            "creditAmount": Decimal("199.00"),
            "isStockUpdated": True,
        },
    ]
    assert {p["key"]: p["value"] for p in request["properties"]}["flowReturnUid"] == "RET-9"


def test_a_return_line_that_names_its_sale_line_goes_there():
    order = a_return(lines=(line(uid="r1", quantity="-1", original_line_uid="3"),))
    assert [r["lineItemId"] for r in return_request(order, OPTIONS)["returns"]] == ["3"]
    too_many = a_return(lines=(line(uid="r1", quantity="-2", original_line_uid="1"),))
    with pytest.raises(MappingError, match="more than"):
        return_request(too_many, OPTIONS)


def test_returned_goods_restock_in_omnium_only_where_omnium_is_stock_master():
    flow_master = a_return(store=replace(STORE, flow_stock_master=True))
    assert all(not r["isStockUpdated"] for r in return_request(flow_master, OPTIONS)["returns"])


def test_returning_more_than_was_sold_is_a_mapping_error():
    with pytest.raises(MappingError, match="more than"):
        return_request(a_return(lines=(line(quantity="-4"),)), OPTIONS)
    with pytest.raises(MappingError):
        return_request(a_return(lines=(line(sku="UNKNOWN", quantity="-1"),)), OPTIONS)


def test_a_previous_return_is_found_by_its_rma_number():
    order = a_return()
    omnium = {"returnOrderForms": [{"returnId": "r-1", "rmaNumber": "OTHER"}]}
    assert find_return(omnium, order) is None
    omnium["returnOrderForms"].append({"returnId": "r-2", "rmaNumber": "RET9"})
    assert find_return(omnium, order)["returnId"] == "r-2"
    assert find_return({}, order) is None


def test_status_targets_and_cancelled_statuses():
    assert target_status(sale(), OPTIONS) == "Completed"
    assert target_status(sale(state=OrderState.CANCELLED), OPTIONS) == "OrderCanceled"
    assert target_status(sale(state=OrderState.OPEN), OPTIONS) is None
    assert is_cancelled({"status": "OrderCanceledByStore"}, OPTIONS)
    assert not is_cancelled({"status": "Completed"}, OPTIONS)


# ---------------------------------------------------------------------------- customers


def test_a_private_customer_maps_as_flow_documents_with_the_tenants_country():
    document = private_customer(person(), OPTIONS)
    assert document == {
        "customerId": "cust1",
        "firstName": "Kari",
        "lastName": "Nordmann",
        "fullName": "Kari Nordmann",
        "email": "kari@example.com",
        "phone": "+4740000000",
        "address": {
            "line1": "Storgata 1",
            "city": "Oslo",
            "postalCode": "0155",
            "countryCode": "NO",
        },
        # Whose it is: checked before a 409 on create is taken for ours.
        "properties": [{"key": "flowCustomerUid", "value": "cust-1"}],
        "customerNumber": "LOY-77",
        "marketGroupId": "nordic",
        "externalIds": [{"id": "LOY-77", "providerName": "Voyado"}],
        "created": "2026-03-02T10:30:00Z",
        "modified": "2026-03-02T10:30:00Z",
        "modifiedBy": "cashier-3",
    }


def test_a_business_customer_keeps_its_own_country():
    document = business_customer(company(), OPTIONS)
    assert document["name"] == "Acme AS"
    assert document["taxId"] == "NO999888777MVA"
    assert document["address"]["countryCode"] == "SE"
    assert document["address"]["name"] == "Acme AS"
    assert document["marketGroupId"] == "nordic"
    assert "firstName" not in document
    # Without a country of its own, the company falls back to the tenant's.
    assert business_customer(company(country_code=""), OPTIONS)["address"]["countryCode"] == "NO"


def test_the_document_kind_follows_the_customer_kind_and_blanks_are_left_out():
    assert "taxId" in customer_document(company(), OPTIONS)
    bare = customer_document(
        person(loyalty_id="", email="", address="", city="", postal_code=""), ExportOptions()
    )
    assert "customerNumber" not in bare and "email" not in bare and "marketGroupId" not in bare
    assert bare["address"] == {"countryCode": "NO"}
    assert "externalIds" not in bare


def test_an_omnium_id_wins_over_the_flow_uid():
    assert private_customer(person(external_id="omn-1"), OPTIONS)["customerId"] == "omn-1"


# ----------------------------------------------------------------------------- invoices


def receipt(order=None, **kw):
    values = dict(
        pk=5,
        uid="RCPT-5",
        voucher_number="10045",
        grand_total=39929,
        vat_total=7986,
        settled_amount=39929,
        currency="NOK",
        order=order or sale(customer=company()),
        created_at=T0,
        settled_at=T0,
        pdf=b"%PDF-1.4",
    )
    values.update(kw)
    return ReceiptRecord(**values)


def test_a_sale_receipt_is_a_standard_invoice_on_the_pos_order():
    document = invoice(receipt(), OPTIONS)
    assert document["id"] == "RCPT5"
    assert document["invoiceNumber"] == "10045"
    assert document["orderId"] == "POS100142"
    assert document["amount"] == Decimal("399.29")
    assert document["amountExcludingTax"] == Decimal("319.43")
    assert document["currency"] == "NOK"
    assert document["isCreditNote"] is False
    assert document["invoiceDate"] == document["deliveryDate"] == "2026-03-02T10:30:00Z"
    assert [i["code"] for i in document["lineItems"]] == ["SKU-1", "SKU-2"]
    assert document["payments"][0]["transactionType"] == "Sale"
    # The contact person wins for e-mail and name.
    assert document["customerEmail"] == "ola@acme.example"
    assert document["customerName"] == "Ola Contact"
    assert document["customerId"] == "acme1"


def test_a_payment_receipt_is_one_remittance_line_for_the_settled_amount():
    order = sale(uid="DEP-1", kind=OrderKind.PAYMENT, lines=())
    document = invoice(receipt(order, settled_amount=50000, grand_total=50000), OPTIONS)
    assert document["lineItems"] == [
        {
            "lineItemId": REMITTANCE_SKU,
            "code": "REMITTANCE",
            "displayName": "Payment for invoice 10045 (order #DEP-1)",
            "quantity": 1,
            "placedPrice": Decimal("500.00"),
        }
    ]


def test_a_return_receipt_is_a_credit_note_on_the_original_sale():
    document = invoice(receipt(a_return(), grand_total=-39800, vat_total=-7960), OPTIONS)
    assert document["isCreditNote"] is True
    assert document["orderId"] == "POS100142"
    assert document["amount"] == Decimal("398.00")
    assert document["lineItems"][0]["quantity"] == Decimal(2)


def test_invoice_file_detection():
    r = receipt()
    assert invoice_file_name(r) == "10045.pdf"
    assert not invoice_has_file(None, "10045.pdf")
    assert not invoice_has_file({"assets": []}, "10045.pdf")
    assert invoice_has_file({"assets": [{"fileName": "10045.pdf"}]}, "10045.pdf")
    assert invoice_has_file({"url": "http://127.0.0.1/files/10045.pdf"}, "10045.pdf")

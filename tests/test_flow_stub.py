"""The Flow stub's own pieces: admin, token command, receipt PDFs, HTML stripping, PO status."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from flow_stub_project.flow import models
from flow_stub_project.flow.api.authentication import TenantTokenAuthentication
from flow_stub_project.flow.plaintext import strip_html
from flow_stub_project.flow.purchasing import status_from_progress
from flow_stub_project.flow.receipts import LINES_PER_PAGE, ReceiptRenderError, render_pdf
from tests.pdf import assert_valid_pdf


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Plain", "Plain"),
        ("Salt & pepper", "Salt & pepper"),
        ("<p>Soft &amp; warm</p><p>Wool&nbsp;blend</p>", "Soft & warm\nWool blend"),
        ("Line one<br>Line two<br/>", "Line one\nLine two"),
        ("<div>  lots   of\n\n  space </div>", "lots of\nspace"),
        ("<style>p {}</style><script>alert(1)</script>Only this", "Only this"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        ("&lt;not a tag&gt;", "<not a tag>"),
    ],
)
def test_strip_html(html, text):
    assert strip_html(html) == text


def test_po_status_from_delivery_progress():
    assert status_from_progress([]) == "SENTTOSUPPLIER"
    assert status_from_progress([(100, 0), (200, 0)]) == "SENTTOSUPPLIER"
    assert status_from_progress([(100, 50), (200, 0)]) == "PARTIALLYRECEIVED"
    assert status_from_progress([(100, 100), (200, 300)]) == "RECEIVED"
    assert status_from_progress([(100, 100)], cancelled=True) == "CLOSED"


def test_render_pdf_escapes_text_and_pages_long_receipts():
    lines = ["(a) \\ b", "Blåbær 12,50 €"] + [f"line {i}" for i in range(LINES_PER_PAGE)]
    pdf = render_pdf(lines, title="Receipt (1)")
    assert_valid_pdf(pdf)
    assert b"/Count 2" in pdf
    assert b"(\\(a\\) \\\\ b) Tj" in pdf
    assert "Blåbær 12,50 €".encode("cp1252") in pdf
    assert b"/Title (Receipt \\(1\\))" in pdf
    with pytest.raises(ReceiptRenderError, match="cannot be printed"):
        render_pdf(["Sushi 寿司"])


@pytest.mark.django_db
def test_flow_api_token_command_prints_a_working_key(tenant):
    out = StringIO()
    call_command("flow_api_token", tenant.uid, "omnium-connector", stdout=out)
    key = out.getvalue().strip()
    principal, token = TenantTokenAuthentication().authenticate_credentials(key)
    assert (principal.tenant, token.name) == (tenant, "omnium-connector")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("flow_api_token", "nope", "x", stdout=StringIO())


@pytest.mark.django_db
def test_admin_lists_and_pages_render(admin_client, api_client, tenant, store):
    # An order with everything: lines, payments, a handling task and a receipt.
    order = api_client.post(
        "/api/pos/orders",
        {
            "storeUid": store.uid,
            "lines": [{"sku": "A", "name": "Apple", "quantity": 2, "unitPrice": 1250}],
        },
        format="json",
    ).json()
    handling_order = models.Order.objects.get(uid=order["uid"])
    models.OrderHandling.objects.create(order=handling_order, handling_uid="click_collect")
    api_client.post(
        f"/api/pos/orders/{order['uid']}/complete",
        {"payments": [{"method": "Vipps", "amount": 2500}]},
        format="json",
    )
    po = models.PurchaseOrder.objects.create(
        tenant=tenant, store=store, uid="PO1", supplier_uid="s"
    )
    models.PurchaseOrderLine.objects.create(
        purchase_order=po, uid="L1", sku="A", quantity_ordered=250
    )
    api_client.post(
        "/api/pos/receivements",
        {
            "storeUid": store.uid,
            "purchaseOrderUid": "PO1",
            "lines": [{"purchaseOrderLineUid": "L1", "quantity": 100}],
        },
        format="json",
    )
    token = models.ApiToken.objects.get(tenant=tenant)

    for model in [
        models.Tenant,
        models.Store,
        models.Customer,
        models.Order,
        models.OrderReceipt,
        models.PurchaseOrder,
        models.Receivement,
        models.InventoryLevel,
        models.ApiToken,
        models.Product,
        models.Brand,
        models.ProductGroup,
        models.PriceList,
        models.Organization,
        models.Warehouse,
        models.NumberSeries,
    ]:
        url = reverse(f"admin:flow_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url

    page = admin_client.get(reverse("admin:flow_order_change", args=[handling_order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Apple" in html and "Vipps" in html and "click_collect" in html
    receipt = models.OrderReceipt.objects.get()
    pdf_url = reverse("admin:flow_orderreceipt_pdf", args=[receipt.pk])
    assert pdf_url in html
    download = admin_client.get(pdf_url)
    assert download["Content-Type"] == "application/pdf"
    assert download.content == bytes(receipt.pdf)

    changelist = admin_client.get(reverse("admin:flow_order_changelist")).content.decode()
    assert "25.00" in changelist  # the total, in major units

    po_page = admin_client.get(reverse("admin:flow_purchaseorder_change", args=[po.pk]))
    assert 'value="100"' in po_page.content.decode()  # quantity received, inline
    receivement = models.Receivement.objects.get()
    assert (
        admin_client.get(
            reverse("admin:flow_receivement_change", args=[receivement.pk])
        ).status_code
        == 200
    )

    # Master data with its inlines: a store's warehouses, a product's prices.
    warehouse = models.Warehouse.objects.create(tenant=tenant, store=store, uid="back", name="Back")
    product = models.Product.objects.create(tenant=tenant, uid="A", name="Apple")
    price_list = models.PriceList.objects.create(
        tenant=tenant, uid="main", name="Main", currency="NOK"
    )
    models.Price.objects.create(price_list=price_list, product=product, unit_price=1250)
    store_page = admin_client.get(reverse("admin:flow_store_change", args=[store.pk]))
    assert warehouse.name in store_page.content.decode()
    product_page = admin_client.get(reverse("admin:flow_product_change", args=[product.pk]))
    assert 'value="1250"' in product_page.content.decode()

    # API token keys are never shown.
    for url in [
        reverse("admin:flow_apitoken_changelist"),
        reverse("admin:flow_apitoken_change", args=[token.pk]),
    ]:
        content = admin_client.get(url).content.decode()
        assert token.key not in content
        assert token.key[:4] + "…" in content


@pytest.mark.django_db
def test_admin_creates_a_token_without_showing_its_key(admin_client, tenant):
    response = admin_client.post(
        reverse("admin:flow_apitoken_add"), {"tenant": tenant.pk, "name": "till-2"}, follow=True
    )
    assert response.status_code == 200
    token = models.ApiToken.objects.get(name="till-2")
    assert len(token.key) == 48
    assert token.key not in response.content.decode()
    assert "manage.py flow_api_token" in response.content.decode()

"""Flow objects the way a POS makes them: open the order, add lines and payments, complete."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from flow_stub_project.flow import pos
from flow_stub_project.flow.models import (
    Customer,
    Order,
    OrderLine,
    OrderPayment,
    OrderReceipt,
)

# (sku, quantity, unit price in cents, discount in cents)
LINES = (("SKU-1", "2", 19950, 0), ("SKU-2", "1", 29, 0))


def make_order(
    store,
    uid="POS-1001",
    *,
    type=Order.Type.SALE,
    state=Order.State.COMPLETED,
    lines=LINES,
    payments=None,
    customer=None,
    original_order=None,
    **fields,
) -> Order:
    order = Order.objects.create(
        tenant=store.tenant,
        store=store,
        uid=uid,
        type=type,
        currency=store.tenant.currency,
        customer=customer,
        original_order=original_order,
        **fields,
    )
    for number, (sku, quantity, price, discount) in enumerate(lines, start=1):
        OrderLine.objects.create(
            order=order,
            uid=str(number),
            sku=sku,
            name=f"Product {sku}",
            quantity=Decimal(quantity),
            unit_price=price,
            discount=discount,
        )
    if payments is None:
        payments = [("Card", order.total)]
    for number, (method, amount) in enumerate(payments, start=1):
        OrderPayment.objects.create(
            order=order, uid=f"{uid}-pay-{number}", method=method, amount=amount
        )
    if state != Order.State.OPEN:
        set_state(order, state)
    return order


def set_state(order: Order, state: str) -> Order:
    order.state = state
    now = timezone.now()
    if state == Order.State.COMPLETED:
        order.completed_at = now
    elif state == Order.State.CANCELLED:
        order.cancelled_at = now
    order.save()
    return order


def make_return(sale: Order, uid="RET-1", lines=(("1", "1"),), *, complete=True, note=""):
    """A return made by Flow's own POS logic from ``(sale line uid, quantity)`` pairs.

    Its lines mirror the sale's with negative quantities and discount shares, each naming
    the sale line it returns; ``complete`` refunds it in full (a negative card payment).
    """
    sale_lines = {line.uid: line for line in sale.lines.all()}
    taken = [(sale_lines[line_uid], Decimal(quantity), "") for line_uid, quantity in lines]
    order = pos.create_return(sale, taken, uid=uid, note=note)
    if complete:
        pos.settle(order, [{"method": "Card", "amount": order.total}])
    order.refresh_from_db()
    return order


def make_customer(tenant, uid="C-1", **fields) -> Customer:
    values = dict(
        first_name="Kari",
        last_name="Nordmann",
        display_name="Kari Nordmann",
        email="kari@example.com",
        mobile="+4740000000",
        address="Storgata 1",
        city="Oslo",
        postal_code="0155",
        loyalty_id="LOY-1",
    )
    values.update(fields)
    return Customer.objects.create(tenant=tenant, uid=uid, **values)


def make_company(tenant, uid="B-1", **fields) -> Customer:
    values = dict(
        type=Customer.Type.COMPANY,
        first_name="",
        last_name="",
        display_name="Acme AS",
        company_name="Acme AS",
        vat_number="SE556677889901",
        contact_person_name="Sven Contact",
        contact_person_email="sven@acme.example",
        email="info@acme.example",
        country_code="SE",
        city="Stockholm",
    )
    values.update(fields)
    return make_customer(tenant, uid, **values)


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_receipt(order: Order, uid="R-1", *, pdf=PDF, settled=True, **fields) -> OrderReceipt:
    total = order.total
    values = dict(
        voucher_number="10001",
        grand_total=total,
        vat_total=sum(line.vat_amount for line in order.lines.all()),
        settled_at=timezone.now() if settled else None,
        pdf=pdf,
    )
    values.update(fields)
    return OrderReceipt.objects.create(tenant=order.tenant, order=order, uid=uid, **values)


def completed_sales(store, count: int) -> list[Order]:
    """``count`` completed one-line sales, written in bulk (no signal, so no job yet)."""
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            tenant=store.tenant,
            store=store,
            uid=f"POS-{n:05d}",
            state=Order.State.COMPLETED,
            currency=store.tenant.currency,
            completed_at=now,
        )
        for n in range(count)
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=o, uid="1", sku="SKU-1", name="Product", quantity=1, unit_price=9990)
        for o in orders
    )
    OrderPayment.objects.bulk_create(
        OrderPayment(order=o, uid=f"{o.uid}-pay-1", method="Card", amount=9990) for o in orders
    )
    return orders

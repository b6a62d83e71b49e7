"""The main job on the embedded default: Flow (SQLite), the Omnium sandbox, both engines.

It plays what a store sees in a day, end to end over real HTTP and real processes:

1. Omnium -> Flow: a web customer places a Click & Collect order in Omnium; Omnium's event
   reaches Flow's Omnium Event API, the order engine fetches the order and the (unknown)
   customer from Omnium, and the order is parked in Flow for pickup.
2. Flow -> Omnium: a till sells to a new customer through Flow's POS API; the order
   engine creates the customer and the POS order in Omnium, and the receipt as an
   invoice with its PDF.
3. Goods in: Omnium's connector pushes a purchase order into Flow; the store receives it;
   the receivement engine confirms the goods reception to Omnium and, as Flow is stock
   master for the store, sends the new stock levels.

Then it prints what arrived where. ``--serve`` keeps everything running afterwards.
"""

from __future__ import annotations

import secrets
import time
from decimal import Decimal

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone
from omnium_sandbox import OmniumSandbox

from flow_stub_project import devstack
from flow_stub_project.flow.api.authentication import new_api_token
from flow_stub_project.flow.models import Customer, Order, Store, Tenant
from omnium_integration.conf import app_settings
from omnium_integration.enums import JobStatus
from omnium_integration.health import queue_health
from omnium_integration.models import ExternalSyncJob, StoreExtension, TenantExtension

TENANT, STORE = "demo_no", "oslo_city"


class Command(BaseCommand):
    help = "Run the Flow <-> Omnium demo: sandbox, Flow server, both engines, three scenarios."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="One worker each, no pauses.")
        parser.add_argument(
            "--serve", action="store_true", help="Keep everything running afterwards."
        )
        parser.add_argument("--port", type=int, default=0, help="Flow's port (default: any).")
        parser.add_argument("--timeout", type=float, default=60.0, help="Per-step wait (s).")

    def handle(self, *args, **options):
        self.quick, self.timeout = options["quick"], options["timeout"]
        if not devstack.has_secrets():
            raise CommandError(
                "The demo needs a SECRET_KEY and ENCRYPTION_KEYS, which the stub's own "
                "(production-safe) settings leave out: use `make demo`, or set "
                "DJANGO_SETTINGS_MODULE=flow_stub_project.demo_settings."
            )
        call_command("migrate", verbosity=0)
        self.say("Setting up", "tenant, store, Omnium extension, POS API token")
        self.extension, self.store, token = self.set_up()
        processes, self.sandbox, self.flow = [], OmniumSandbox().start(), None
        try:
            self.sandbox.add_credentials(self.extension.client_id, self.extension.client_secret)
            self.extension.api_base_url = self.sandbox.url
            self.extension.save()
            self.flow = devstack.FlowServer(port=options["port"]).start()
            # The admin shows the webhook URL on this server's address.
            settings.OMNIUM_INTEGRATION = {
                **settings.OMNIUM_INTEGRATION,
                "PUBLIC_BASE_URL": self.flow.url,
            }
            app_settings.reload()
            events_url = self.flow.url + reverse("omnium_integration:events", args=[TENANT])
            self.sandbox.subscribe(
                events_url,
                headers={"Authorization": f"Bearer {self.extension.webhook_secret}"},
            )
            self.say("Omnium sandbox", self.sandbox.url)
            self.say("Flow", f"{self.flow.url}  (Omnium Event API: {events_url})")
            env = devstack.child_env()
            workers = 1 if self.quick else 2
            for queue in devstack.ENGINES:
                processes.append(devstack.start_engine(queue, env=env, workers=workers))
                self.say("Engine", f"{queue} (qcluster, {workers} worker(s))")
            self.pos = requests.Session()
            self.pos.headers["Authorization"] = f"Token {token}"
            self.click_and_collect()
            self.pos_sale()
            self.goods_in()
            self.summary()
            if options["serve"]:
                self.serve()
        finally:
            for process in processes:
                devstack.stop(process)
            if self.flow:
                self.flow.stop()
            self.sandbox.stop()

    # ---------------------------------------------------------------------- set-up

    def set_up(self) -> tuple[TenantExtension, Store, str]:
        tenant, _ = Tenant.objects.get_or_create(
            uid=TENANT, defaults={"name": "Nordic Demo", "country_code": "NO", "currency": "NOK"}
        )
        store, _ = Store.objects.get_or_create(
            tenant=tenant, uid=STORE, defaults={"name": "Oslo City", "country_code": "NO"}
        )
        StoreExtension.objects.update_or_create(store=store, defaults={"flow_stock_master": True})
        extension, _ = TenantExtension.objects.update_or_create(
            tenant=tenant,
            defaults={
                "is_active": True,
                "client_id": "demo-client",
                "client_secret": secrets.token_urlsafe(16),  # a fresh sandbox each run
                "token": "",
                "token_expires_at": None,
                "click_collect_orderhandling_uid": "CC_PICKUP",
                "online_order_handling_uid": "ONLINE_SHIP",
                "click_collect_expiry_days": 3,
                "default_shipping_method_id": "in-store",
                "send_order_receipt_to_omnium": True,
            },
        )
        user = get_user_model().objects.filter(username="demo").first()
        if user is None:
            get_user_model().objects.create_superuser("demo", "demo@example.com", "demo")
        return extension, store, new_api_token(tenant, "demo-till").key

    # ------------------------------------------------------------------- scenarios

    def click_and_collect(self) -> None:
        self.title("1. Omnium -> Flow: a Click & Collect order from the web shop")
        run = secrets.token_hex(3).upper()
        order_id, customer_id = f"WEB-{run}", f"kari.{run.lower()}@example.no"
        self.sandbox.state.create_customer(
            "private",
            {
                "customerId": customer_id,
                "firstName": "Kari",
                "lastName": "Nordmann",
                "email": customer_id,
                "phone": "+4740000000",
                "address": {"line1": "Storgata 1", "city": "Oslo", "postalCode": "0155"},
            },
            origin="demo",
        )
        self.sandbox.seed_order(
            {
                "id": order_id,
                "orderType": "ClickAndCollect",
                "status": "New",
                "marketId": "NOR",
                "storeId": STORE,
                "customerId": customer_id,
                "customerName": "Kari Nordmann",
                "billingCurrency": "NOK",
                "orderForm": {
                    "lineItems": [
                        _web_line("1", "JACKET-M", 1, "1299.00", "Rain jacket"),
                        _web_line("2", "SOCKS-3P", 2, "199.50", "Wool socks"),
                    ],
                    "shipments": [
                        {
                            "shipmentId": "1",
                            "warehouseCode": STORE,
                            "pickUpWarehouseCode": STORE,
                            "shippingMethodName": "Pickup",
                        }
                    ],
                },
            }
        )
        self.say("Omnium", f"order {order_id} placed; its event goes to Flow's Event API")
        order = self.wait(
            lambda: (
                Order.objects.filter(tenant=self.store.tenant, external_id=order_id)
                .select_related("customer")
                .first()
            ),
            f"Flow order for Omnium order {order_id}",
        )
        handlings = ", ".join(order.handlings.values_list("handling_uid", flat=True))
        deadline = (
            f"{timezone.localtime(order.valid_until):%a %Y-%m-%d %H:%M %Z}"
            if order.valid_until
            else "none"
        )
        self.say("Flow", f"order {order.uid}: {order.state}, handling {handlings}")
        self.say("", f"pickup deadline {deadline} (3 working days)")
        self.say("", f"{order.lines.count()} lines, total {_money(order.total)} NOK")
        self.say(
            "", f"customer {order.customer} (fetched from Omnium: {order.customer.external_id})"
        )

    def pos_sale(self) -> None:
        self.title("2. Flow -> Omnium: a POS sale to a new customer")
        run = secrets.token_hex(3).upper()
        api = self.flow.url + "/api/pos"
        customer = self._post(
            f"{api}/customers",
            {
                "uid": f"C-{run}",
                "type": "PERSON",
                "firstName": "Ola",
                "lastName": "Hansen",
                "email": f"ola.{run.lower()}@example.no",
                "mobile": "+4741111111",
                "loyaltyId": f"L{run}",
            },
        )
        order = self._post(
            f"{api}/orders",
            {
                "uid": f"POS-{run}",
                "storeUid": STORE,
                "customerUid": customer["uid"],
                "lines": [
                    {"sku": "SHIRT-L", "name": "Linen shirt", "quantity": 2, "unitPrice": 19950},
                    {"sku": "BAG", "name": "Paper bag", "quantity": 1, "unitPrice": 29},
                ],
            },
        )
        self._post(
            f"{api}/orders/{order['uid']}/complete",
            {"payments": [{"method": "Card", "amount": order["total"]}]},
        )
        self.say("Flow", f"sale {order['uid']} completed, {_money(order['total'])} NOK by card")
        omnium_id = order["uid"].replace("-", "")
        omnium_order = self.wait(
            lambda: self.sandbox.state.orders.get(omnium_id), f"Omnium order {omnium_id}"
        )
        flow_customer = self.wait(
            lambda: Customer.objects.filter(uid=customer["uid"]).exclude(external_id="").first(),
            "the customer's Omnium id stored back in Flow",
        )
        # The receipt job creates the invoice, then attaches the PDF: wait for both.
        invoice = self.wait(
            lambda: next(
                (
                    i
                    for i in self.sandbox.state.invoices.values()
                    if i.get("orderId") == omnium_id and i.get("assets")
                ),
                None,
            ),
            "the receipt as an Omnium invoice with its PDF",
        )
        total = Decimal(str(omnium_order["orderForm"]["total"]))
        self.say(
            "Omnium",
            f"order {omnium_id}: type {omnium_order['orderType']}, {omnium_order['status']}, "
            f"total {total} NOK, market {omnium_order['marketId']}",
        )
        self.say("", f"private customer {flow_customer.external_id} (Flow's externalId set)")
        files = ", ".join(a.get("fileName", "?") for a in invoice["assets"])
        self.say("", f"invoice {invoice['id']} with {files}")

    def goods_in(self) -> None:
        self.title("3. Goods in: a purchase order received in the store")
        run = secrets.token_hex(3).upper()
        po_id, delivery = f"PO{run}", f"D{run}"
        lines = [("L1", "JACKET-M", Decimal("10")), ("L2", "SOCKS-3P", Decimal("24"))]
        self.sandbox.add_purchase_order(
            {
                "id": po_id,
                "deliveryId": delivery,
                "storeId": STORE,
                "supplierId": "NORDIC_WEAR",
                "purchaseOrderForm": {
                    "lineItems": [
                        {"lineItemId": f"{po_id}{uid}", "code": sku, "quantity": qty}
                        for uid, sku, qty in lines
                    ]
                },
            }
        )
        # Omnium's connector pushes the PO into Flow's master-data API.
        self._post(
            self.flow.url + "/api/purchase-orders",
            {
                "purchaseOrderUid": po_id,
                "supplierUid": "NORDIC_WEAR",
                "storeUid": STORE,
                "currency": "NOK",
                "lines": [
                    {"lineUid": f"{po_id}{uid}", "sku": sku, "quantityOrdered": str(qty)}
                    for uid, sku, qty in lines
                ],
            },
        )
        self.say("Omnium", f"purchase order {po_id} (delivery {delivery}) pushed to Flow")
        # The store counts 10 jackets and 20 of 24 socks: a partial reception.
        self._post(
            self.flow.url + "/api/pos/receivements",
            {
                "uid": f"R-{run}",
                "storeUid": STORE,
                "purchaseOrderUid": po_id,
                "lines": [
                    {"purchaseOrderLineUid": f"{po_id}L1", "quantity": 1000},
                    {"purchaseOrderLineUid": f"{po_id}L2", "quantity": 2000},
                ],
            },
        )
        self.say("Flow", f"goods reception R-{run}: 10 jackets, 20 of 24 socks")

        def confirmed():
            po = self.sandbox.state.purchase_orders.get(po_id) or {}
            got = {
                line["code"]: Decimal(str(line.get("deliveredQuantity") or 0))
                for line in po.get("purchaseOrderForm", {}).get("lineItems", [])
            }
            return got if got.get("SOCKS-3P") == 20 else None

        delivered = self.wait(confirmed, "the goods-reception confirmation in Omnium")
        stock = self.wait(
            lambda: (
                {
                    sku: item["inventory"]
                    for (sku, warehouse), item in self.sandbox.state.inventory.items()
                    if warehouse == STORE and sku in {"JACKET-M", "SOCKS-3P"}
                }
                or None
            ),
            "stock levels in Omnium (Flow is stock master)",
        )
        shown = ", ".join(f"{sku} {_qty(q)}" for sku, q in sorted(delivered.items()))
        self.say("Omnium", f"PO {po_id} delivered: {shown}")
        shown = ", ".join(f"{sku} {_qty(q)}" for sku, q in sorted(stock.items()))
        self.say("", f"stock at {STORE}: {shown}")

    # -------------------------------------------------------------------- summary

    def summary(self) -> None:
        self.title("Jobs")
        self.wait(
            lambda: (
                not ExternalSyncJob.objects.filter(
                    status__in=[JobStatus.PENDING, JobStatus.RUNNING]
                ).exists()
            ),
            "every job finished",
        )
        for q in queue_health():
            done = ExternalSyncJob.objects.filter(queue=q.queue, status=JobStatus.SUCCEEDED)
            self.say(q.queue, f"{done.count()} succeeded, {q.pending} pending, {q.failed} failed")
        self.title("Calls Omnium received")
        for endpoint, count in sorted(self.sandbox.calls().items()):
            self.say(f"{count} x", endpoint)

    def serve(self) -> None:
        self.title("Serving (Ctrl-C to stop)")
        self.say("Admin", f"{self.flow.url}/admin/  (user demo, password demo)")
        self.say("Sandbox state", f"{self.sandbox.url}/sandbox/state")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write("")

    # -------------------------------------------------------------------- helpers

    def _post(self, url: str, body: dict) -> dict:
        response = self.pos.post(url, json=body, timeout=30)
        if response.status_code >= 300:
            raise CommandError(f"POST {url} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def wait(self, probe, what: str):
        started = time.monotonic()
        try:
            found = devstack.wait_for(probe, timeout=self.timeout, interval=0.05)
        except TimeoutError:
            raise CommandError(
                f"Gave up waiting for {what} after {self.timeout:.0f}s "
                "(see `manage.py omnium_jobs --failed`)."
            ) from None
        self.say("", f"... {what}: {time.monotonic() - started:.2f}s")
        return found

    def title(self, text: str) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(text))

    def say(self, who: str, what: str) -> None:
        self.stdout.write(f"  {who:14} {what}")


def _web_line(key: str, sku: str, quantity: int, price: str, name: str) -> dict:
    return {
        "lineItemId": key,
        "code": sku,
        "displayName": name,
        "quantity": quantity,
        "placedPrice": Decimal(price),
        "taxRate": 25,
    }


def _qty(quantity) -> str:
    return format(Decimal(str(quantity)).normalize(), "f")


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"

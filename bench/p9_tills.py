"""P9's tills: processes booking the planned sales, returns and counts at their moments.

Each till owns the stores whose index it is given (store ``n`` belongs to till
``n % tills``), so the movements of one SKU are booked one after another, by one process,
in the order their commit times say. A till reports, per movement, its commit time
(``time.monotonic()``, one clock for every process of the machine), its kind and the
level each moved SKU was left at.

By default a till books what a sale or a return does to stock, a ``SALE`` or ``RETURN``
movement of Flow's ledger (the call the POS makes when it completes one), and a count as
the back office does. With ``pos`` it makes the whole POS transaction instead (order,
lines, payment, receipt with its PDF, the ledger movement), and the sale and the return
also go to Omnium as orders on the order engine.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from bench.common import setup_django

KINDS = (("sale", 0.6), ("return", 0.2), ("count", 0.2))
PRICE = 1000  # cents per unit


@dataclass(frozen=True)
class Entry:
    at: float  # seconds after the start
    store: int  # index into the stores
    kind: str
    lines: tuple[tuple[str, int], ...] = ()  # sale: (sku, units); count: (sku, hundredths)


@dataclass(frozen=True)
class Plan:
    till: int
    tills: int
    start: float  # time.monotonic() of the first movement
    entries: tuple[Entry, ...]
    pos: bool = False  # whole POS transactions, not their ledger movements only

    def mine(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.store % self.tills == self.till]


def make_plan(args, rng: random.Random, warehouses: list[str]) -> tuple[Entry, ...]:
    """``rate`` movements a second for ``seconds``, spread over the stores and SKUs."""
    kinds, weights = zip(*KINDS, strict=True)
    entries = []
    for n in range(int(args.rate * args.seconds)):
        kind = rng.choices(kinds, weights)[0]
        skus = rng.sample(range(args.skus), rng.randint(1, 3 if kind == "sale" else 5))
        if kind == "sale":
            lines = tuple((f"SKU-{i:05d}", rng.randint(1, 2)) for i in skus)
        elif kind == "count":
            lines = tuple((f"SKU-{i:05d}", rng.randint(0, 50) * 100) for i in skus)
        else:
            lines = ()
        entries.append(Entry(n / args.rate, rng.randrange(len(warehouses)), kind, lines))
    return tuple(entries)


def till(db: str, plan: Plan, results) -> None:
    """A process target: book this till's movements on time; put the records on ``results``."""
    os.environ["BENCH_CHILD"] = "1"
    setup_django(db)
    from django.db import connection

    connection.ensure_connection()
    stores = [f"p9_store_{n}" for n in range(1 + max(e.store for e in plan.entries))]
    booker = PosBooker(stores) if plan.pos else Booker(stores)
    records = []
    cpu = time.process_time()
    for entry in plan.mine():
        time.sleep(max(0.0, plan.start + entry.at - time.monotonic()))
        records.append(booker.book(entry))
    results.put((records, time.process_time() - cpu))


class Booker:
    """Books the movements of Flow's stock ledger that sales, returns and counts book, one
    transaction each."""

    def __init__(self, store_uids: list[str]) -> None:
        from flow_stub_project.flow.models import Store

        stores = Store.objects.filter(uid__in=store_uids).select_related("tenant")
        by_uid = {store.uid: store for store in stores}
        self.stores = [by_uid[uid] for uid in store_uids]
        self.sold: dict[int, list] = {}  # store index -> what was sold there, to return

    def book(self, entry: Entry) -> tuple[float, str, list[tuple[str, str, int]]]:
        store = self.stores[entry.store]
        if entry.kind == "return" and self.sold.get(entry.store):
            return self.give_back(entry.store, store)
        if entry.kind == "count":
            lines = [(sku, level) for sku, level in entry.lines]
            return self._book(store, "count", "COUNT", counted=lines)
        lines = entry.lines or (("SKU-00000", 1),)
        return self.sell(entry.store, store, lines)

    def sell(self, index, store, lines):
        self.sold.setdefault(index, []).append(lines[0][0])
        return self._book(store, "sale", "SALE", [(sku, -100 * units) for sku, units in lines])

    def give_back(self, index, store):
        sku = self.sold[index].pop()
        return self._book(store, "return", "RETURN", [(sku, 100)])

    def _book(self, store, name, kind, added=(), counted=()):
        from django.db import transaction

        from flow_stub_project.flow import stock

        changes = [stock.Change(sku, quantity) for sku, quantity in added]
        changes += [stock.Change(sku, counted=level) for sku, level in counted]
        with transaction.atomic():
            movement = stock.book(store, kind, changes, reason=f"P9 {name}")
        committed = time.monotonic()
        moved = [(store.uid, line.sku, line.level_after) for line in movement.lines.all()]
        return committed, name, moved


class PosBooker(Booker):
    """Sales and returns as whole POS transactions (``pos.settle``), as the tills make them."""

    def sell(self, index, store, lines):
        from django.db import transaction

        from flow_stub_project.flow import pos

        with transaction.atomic():
            order = pos.create_order(
                store,
                [{"sku": sku, "quantity": units, "unit_price": PRICE} for sku, units in lines],
            )
            pos.settle(order, [{"method": "Card", "amount": sum(u for _, u in lines) * PRICE}])
        committed = time.monotonic()
        self.sold.setdefault(index, []).append(order.pk)
        return committed, "sale", self._moved(order.uid, "SALE")

    def give_back(self, index, store):
        from django.db import transaction

        from flow_stub_project.flow import pos
        from flow_stub_project.flow.models import Order

        sale = Order.objects.get(pk=self.sold[index].pop())
        line = sale.lines.order_by("pk").first()
        with transaction.atomic():
            ret = pos.create_return(
                sale, [(line, Decimal(1), "")], payments=[{"method": "Card", "amount": -PRICE}]
            )
        committed = time.monotonic()
        return committed, "return", self._moved(ret.uid, "RETURN")

    def _moved(self, reference: str, kind: str) -> list[tuple[str, str, int]]:
        from flow_stub_project.flow.models import StockMovementLine

        lines = StockMovementLine.objects.filter(
            movement__reference=reference, movement__kind=kind
        ).select_related("movement__store")
        return [(line.movement.store.uid, line.sku, line.level_after) for line in lines]

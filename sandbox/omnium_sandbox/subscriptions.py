"""Event subscriptions: Omnium-shaped events POSTed to a webhook, as Omnium's event API does.

Documented (see docs/omnium-api.md, Events): a subscription is a URL, an HTTP verb (POST)
and custom headers (an API key or a Bearer token), filtered by class names, categories,
statuses, order types, stores, markets, operation ids or errors only. Each POST carries one
envelope with event metadata only, never the order. Delivery is retried after 1 s, 5 s and
15 s, but not after 2xx, 400, 404 or 429; every delivery is logged as an
``EventSubscriptionExecuted`` (290100) entry with status Success or Failed.

Assumptions where the documentation is silent: "3 attempts" means the first call plus
three retries; the request times out after ``timeout`` seconds (10 by default);
deliveries go out one at a time in the order the events happened (a retry waits in a
queue and does not hold back later events, so a retried event can arrive after newer ones,
as with Omnium).

Two ways to deliver: over HTTP on a background thread (the server), or, given a ``post``
callable, at once in the publishing thread with no retries (the in-process fake).

Test hooks: :meth:`EventEmitter.hold` / :meth:`EventEmitter.release` (in order, reversed,
shuffled or an explicit order), :meth:`EventEmitter.emit` (a hand-made event),
:meth:`EventEmitter.repeat` (deliver again), :meth:`EventEmitter.wait_idle`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .common import dumps, format_date, omnium_now

logger = logging.getLogger(__name__)

NO_RETRY_STATUSES = {400, 404, 429}
ID_ALPHABET = string.ascii_letters + string.digits


@dataclass
class Subscription:
    id: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    tenant: str = "default"
    class_names: tuple[str, ...] = ("Order",)
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    order_types: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    operation_ids: tuple[int, ...] = ()
    errors_only: bool = False

    def matches(self, tenant: str, event: dict) -> bool:
        def among(values: tuple, value: Any) -> bool:
            if not values:
                return True
            lowered = {str(v).lower() for v in values}
            return str(value or "").lower() in lowered  # Omnium's casing varies

        return (
            tenant == self.tenant
            and among(self.class_names, event.get("className"))
            and among(self.categories, event.get("category"))
            and among(self.statuses, event.get("status"))
            and among(self.order_types, event.get("subClassName"))
            and among(self.store_ids, event.get("storeId"))
            and among(self.markets, event.get("market"))
            and (not self.operation_ids or event.get("operationId") in self.operation_ids)
            and (not self.errors_only or bool(event.get("isError")))
        )


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    subscription: Subscription = field(compare=False)
    event: dict = field(compare=False)
    attempt: int = field(default=1, compare=False)
    epoch: int = field(default=0, compare=False)


def envelope(**fields: Any) -> dict:
    """An Omnium event envelope with every documented field; ``fields`` win."""
    object_id = fields.get("objectId", "")
    event = {
        "id": "",
        "operationId": 0,
        "timestamp": format_date(omnium_now()),
        "message": "",
        "className": "Order",
        "subClassName": "",
        "objectId": object_id,
        "objectNumber": object_id,
        "category": "Updated",
        "market": "",
        "storeId": "",
        "user": "ApiUser",
        "userId": "",
        "employee": "",
        "employeeId": "",
        "status": "",
        "previousStatus": "",
        "isError": False,
        "isRead": False,
        "origin": "",
        "tags": [],
        "externalIds": [],
        "properties": [],
        "attachments": [],
        "references": [],
    }
    event.update(fields)
    return event


Post = Callable[[str, dict, dict[str, str]], int | None]


class EventEmitter:
    """Builds envelopes, matches them to subscriptions and delivers them.

    Without ``post``, deliveries go over HTTP from a background thread, with Omnium's
    retries. With ``post(url, envelope, headers) -> status``, each one is handed to it at
    once, in the thread that caused the event, and never retried; a ``None`` status means
    recorded only (no delivery, no log entry).
    """

    def __init__(
        self,
        rng: random.Random,
        retry_delays: tuple[float, ...] = (1.0, 5.0, 15.0),
        timeout: float = 10.0,
        *,
        post: Post | None = None,
    ) -> None:
        self.rng = rng
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self._post = post
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._ready: list[_Job] = []  # inline: due now, sent once the lock is released
        self._seq = itertools.count()
        self._busy = False
        self._stopped = False
        self._epoch = 0  # bumped by reset(): a delivery in flight then leaves no trace
        self._session = requests.Session() if post is None else None
        self.subscriptions: dict[str, Subscription] = {}
        self.emitted: list[dict] = []  # every envelope, with its tenant under "_tenant"
        self.deliveries: list[dict] = []  # every POST attempt and its outcome
        self.log: list[dict] = []  # the 290100 EventSubscriptionExecuted entries
        self.held = False
        self._held: list[tuple[Subscription, dict]] = []
        self._thread: threading.Thread | None = None
        if post is None:
            self._thread = threading.Thread(target=self._run, name="sandbox-events", daemon=True)
            self._thread.start()

    # ----------------------------------------------------------------- configuration

    def subscribe(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        tenant: str = "default",
        class_names: tuple[str, ...] | list[str] = ("Order",),
        categories=(),
        statuses=(),
        order_types=(),
        store_ids=(),
        markets=(),
        operation_ids=(),
        errors_only: bool = False,
    ) -> str:
        """Add a webhook subscription; returns its id."""
        with self._cond:
            sub_id = f"sub-{len(self.subscriptions) + 1}"
            self.subscriptions[sub_id] = Subscription(
                sub_id,
                url,
                dict(headers or {}),
                tenant,
                tuple(class_names or ()),
                tuple(categories),
                tuple(statuses),
                tuple(order_types),
                tuple(store_ids),
                tuple(markets),
                tuple(int(o) for o in operation_ids),
                errors_only,
            )
            return sub_id

    def edit_subscription(self, sub_id: str, *, headers: dict[str, str]) -> None:
        """Change a subscription's custom headers, as an operator does in Omnium's UI; the
        deliveries queued from now on (retries included) carry the new ones."""
        with self._cond:
            self.subscriptions[sub_id].headers = dict(headers)

    def reset(self) -> None:
        """No subscriptions, nothing queued or held, history cleared."""
        with self._cond:
            self.subscriptions.clear()
            self._queue.clear()
            self._ready.clear()
            self._held.clear()
            self.held = False
            self.emitted.clear()
            self.deliveries.clear()
            self.log.clear()
            self._epoch += 1
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._session is not None:
            self._session.close()

    # ------------------------------------------------------------------- publishing

    def new_id(self) -> str:
        return "".join(self.rng.choice(ID_ALPHABET) for _ in range(20))

    def envelope(self, **fields: Any) -> dict:
        """An event envelope with a new id (see :func:`envelope`)."""
        return envelope(**{"id": self.new_id(), **fields})

    def publish(self, tenant: str, event: dict) -> None:
        """Record an event and deliver it to every matching subscription."""
        with self._cond:
            self.emitted.append({**event, "_tenant": tenant})
            for subscription in self.subscriptions.values():
                if subscription.matches(tenant, event):
                    self._enqueue(subscription, event)
        self._send_ready()

    def emit(self, event: dict | None = None, *, tenant: str = "default", **fields: Any) -> dict:
        """Publish a hand-made event (missing envelope fields get defaults)."""
        envelope = self.envelope(**{**(event or {}), **fields})
        self.publish(tenant, envelope)
        return envelope

    def repeat(self, event_id: str, times: int = 1) -> int:
        """Deliver an already published event again (same ``id``); returns deliveries queued."""
        with self._cond:
            found = [e for e in self.emitted if e["id"] == event_id]
            if not found:
                raise KeyError(event_id)
            stored = dict(found[-1])
            tenant = stored.pop("_tenant")
            queued = 0
            for _ in range(times):
                for subscription in self.subscriptions.values():
                    if subscription.matches(tenant, stored):
                        self._enqueue(subscription, stored)
                        queued += 1
        self._send_ready()
        return queued

    def hold(self) -> None:
        """Keep new deliveries back until :meth:`release`."""
        with self._cond:
            self.held = True

    def release(self, order: str = "fifo") -> int:
        """Send what was held: ``"fifo"``, ``"reverse"`` or ``"shuffle"`` (seeded). Returns
        the deliveries released."""
        with self._cond:
            items, self._held, self.held = self._held, [], False
            if order == "reverse":
                items.reverse()
            elif order == "shuffle":
                self.rng.shuffle(items)
            for subscription, event in items:
                self._enqueue(subscription, event, force=True)
        self._send_ready()
        return len(items)

    def held_events(self) -> list[dict]:
        with self._cond:
            return [event for _, event in self._held]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or being sent (held events excepted)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # --------------------------------------------------------------------- delivery

    def _enqueue(self, subscription: Subscription, event: dict, force: bool = False) -> None:
        if self.held and not force:
            self._held.append((subscription, event))
            return
        job = _Job(time.monotonic(), next(self._seq), subscription, event, epoch=self._epoch)
        if self._post is not None:
            self._ready.append(job)
            return
        heapq.heappush(self._queue, job)
        self._cond.notify_all()

    def _send_ready(self) -> None:
        """Inline delivery: hand over what is due, outside the emitter's lock."""
        while True:
            with self._cond:
                if not self._ready:
                    return
                job = self._ready.pop(0)
            self._deliver(job)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._queue and self._queue[0].due <= time.monotonic():
                        break
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                job = heapq.heappop(self._queue)
                self._busy = True
            try:
                self._deliver(job)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _deliver(self, job: _Job) -> None:
        subscription, event = job.subscription, job.event
        started = time.monotonic()
        status: int | None = None
        error = ""
        headers = {"Content-Type": "application/json", **subscription.headers}
        if self._post is not None:
            try:
                status = self._post(subscription.url, event, headers)
            except Exception as exc:  # the receiver's failure, recorded like a 500
                logger.warning("event %s: the webhook raised", event["id"], exc_info=True)
                error = f"{type(exc).__name__}: {exc}"
            if status is None and not error:
                return  # recorded only
        else:
            try:
                response = self._session.post(
                    subscription.url, data=dumps(event), headers=headers, timeout=self.timeout
                )
                status = response.status_code
            except requests.RequestException as exc:
                error = type(exc).__name__
        took = (time.monotonic() - started) * 1000
        ok = status is not None and 200 <= status < 300
        retry = (
            self._post is None
            and not ok
            and status not in NO_RETRY_STATUSES
            and job.attempt <= len(self.retry_delays)
        )
        with self._cond:
            if job.epoch != self._epoch:
                return
            self.deliveries.append(
                {
                    "eventId": event["id"],
                    "subscription": subscription.id,
                    "attempt": job.attempt,
                    "status": status,
                    "error": error,
                    "willRetry": retry,
                    "tookMs": round(took, 1),
                }
            )
            self.log.append(
                {
                    "operationId": 290100,
                    "className": "EventSubscription",
                    "subClassName": "WebHook",
                    "objectId": event["id"],
                    "status": "Success" if ok else "Failed",
                    "message": f"Order webhook: POST {subscription.url} |Error: "
                    f"{'' if ok else (status or error)} Took: {took:.0f} ms",
                    "timestamp": format_date(omnium_now()),
                }
            )
            if retry:
                delay = self.retry_delays[job.attempt - 1]
                heapq.heappush(
                    self._queue,
                    _Job(
                        time.monotonic() + delay,
                        next(self._seq),
                        subscription,
                        event,
                        job.attempt + 1,
                        job.epoch,
                    ),
                )
                self._cond.notify_all()
        if not ok:
            logger.debug(
                "event %s to subscription %s failed: %s",
                event["id"],
                subscription.id,
                status or error,
            )

"""Omnium's REST API in memory: routes, handlers, API users, counters, faults and events.

:class:`FakeOmniumApi` answers one call at a time through :meth:`FakeOmniumApi.dispatch`
(method, path with query string, headers, body) with a :class:`Reply`, or :data:`DROP`
when a fault closes the connection without an answer. Two front ends serve it:
:class:`~omnium_sandbox.server.OmniumSandbox` (HTTP on loopback) and
:class:`~omnium_sandbox.testing.FakeOmnium` (a ``requests`` adapter, in process).

Paths are matched case-insensitively, as Omnium does. Every ``/api`` call is counted per
endpoint and per API user, and the calls in flight per API user are tracked (with their
maximum), which is how tests and benchmarks see the client's concurrency cap. Calls are
also counted per object (the path's ``{id}``, else a JSON body's ``id``), faulted ones
included, so a test can prove that each object was sent exactly once.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .auth import ApiUser, Auth, has_role, required_role
from .common import ApiError, camel_keys, dumps, loads, problem
from .customer_handlers import CustomerHandlers
from .faults import Faults
from .inventory import scroll_inventory, search_inventory
from .store import Event, SandboxConfig, TenantData
from .subscriptions import EventEmitter

logger = logging.getLogger(__name__)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is (with headers["Content-Type"])
    content_type: str = "application/json; charset=utf-8"

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return dumps(self.body)

    def render(self) -> Reply:
        """Serialise the body now, so a body that cannot be written fails inside the call."""
        if self.raw is None and self.body is not None:
            self.raw = dumps(self.body)
        return self

    def wire_headers(self, payload: bytes) -> dict[str, str]:
        """The response headers for ``payload``: its type if it has one, then the rest."""
        headers = {}
        if payload or self.raw is not None:
            headers["Content-Type"] = self.headers.get("Content-Type", self.content_type)
        headers.update((k, v) for k, v in self.headers.items() if k.lower() != "content-type")
        headers["Content-Length"] = str(len(payload))
        return headers


DROP = object()  # close the connection without answering


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    name: str  # the endpoint as Omnium spells it, e.g. "GET /api/Orders/{id}"
    handler: str
    anonymous: bool = False


def _route(method: str, template: str, handler: str, anonymous: bool = False) -> Route:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(
        method, re.compile(regex, re.IGNORECASE), f"{method} {template}", handler, anonymous
    )


ROUTES = [
    _route("POST", "/api/token", "token", anonymous=True),
    _route("GET", "/api/Health", "health", anonymous=True),
    _route("POST", "/api/Orders", "add_order"),
    _route("POST", "/api/Orders/Search", "search_orders"),
    _route("POST", "/api/Orders/Scroll", "scroll_orders"),
    _route("GET", "/api/Orders/Scroll/{id}", "next_scroll"),
    _route("POST", "/api/Orders/Update", "update_order"),
    _route("GET", "/api/Orders/{id}", "get_order"),
    _route("POST", "/api/Orders/{id}/UpdateStatus", "update_status"),
    _route("PATCH", "/api/Orders/{id}/PatchOrder", "patch_order"),
    _route("POST", "/api/Returns/{id}/Return", "create_return"),
    _route("POST", "/api/PrivateCustomers", "create_private"),
    _route("POST", "/api/PrivateCustomers/Update", "update_private"),
    _route("PATCH", "/api/PrivateCustomers/PatchPrivateCustomer", "patch_private"),
    _route("PUT", "/api/PrivateCustomers/AddOrUpdateMany", "many_private"),
    _route("DELETE", "/api/PrivateCustomers/Anonymize", "anonymize_private"),
    _route("GET", "/api/PrivateCustomers/{id}", "get_private"),
    _route("POST", "/api/PrivateCustomers/Search", "search_private"),
    _route("DELETE", "/api/PrivateCustomers/{id}", "delete_private"),
    _route("POST", "/api/BusinessCustomers", "create_business"),
    _route("POST", "/api/BusinessCustomers/Update", "update_business"),
    _route("PATCH", "/api/BusinessCustomers/PatchBusinessCustomer", "patch_business"),
    _route("PUT", "/api/BusinessCustomers/AddOrUpdateMany", "many_business"),
    _route("GET", "/api/BusinessCustomers/{id}", "get_business"),
    _route("POST", "/api/BusinessCustomers/Search", "search_business"),
    _route("DELETE", "/api/BusinessCustomers/{id}", "delete_business"),
    _route("PUT", "/api/Inventory/UpdateMany", "update_inventory"),
    _route("POST", "/api/Inventory/Search", "search_inventory"),
    _route("GET", "/api/Inventory/Scroll/{id}", "scroll_inventory"),
    _route("GET", "/api/PurchaseOrders/{id}", "get_purchase_order"),
    _route("GET", "/api/Deliveries/{id}", "get_delivery"),
    _route("GET", "/api/Deliveries/{id}/PurchaseOrderLines", "get_delivery_lines"),
    _route("POST", "/api/Deliveries/{id}/ProcessGoodsReception", "goods_reception"),
    _route("POST", "/api/Deliveries/CreateDelivery/{id}", "create_delivery"),
    _route("PUT", "/api/Invoices/UpdateInvoice", "update_invoice"),
    _route("POST", "/api/Invoices/{id}/AddFileToInvoice", "add_file_to_invoice"),
    _route("GET", "/api/Invoices/{id}", "get_invoice"),
    _route("POST", "/api/Invoices/Search", "search_invoices"),
]


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for a call, its path parameters, and whether the path exists at all."""
    known = False
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found:
            known = True
            if route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}, True
    return None, {}, known


class FakeOmniumApi(CustomerHandlers):
    """A fake Omnium without a front end; see :class:`~omnium_sandbox.server.OmniumSandbox`
    and :class:`~omnium_sandbox.testing.FakeOmnium`.

    ``state`` is the data of the ``default`` Omnium tenant (``tenant(name)`` for others);
    ``faults`` the fault injection; ``events`` the event subscriptions and their delivery.
    Settings given here are what :meth:`reset` returns to.
    """

    url: str

    def __init__(self, *, seed: int | None = None, **config: Any) -> None:
        self._defaults = SandboxConfig(**config)
        self.config = SandboxConfig(**config)
        self._seed = seed
        self.lock = threading.RLock()
        self.auth = Auth()
        self.faults = Faults(seed)
        self.events = self._event_emitter(random.Random(seed))
        self._tenants: dict[str, TenantData] = {}
        self._counts_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._client_calls: Counter[tuple[str, str]] = Counter()
        self._object_calls: Counter[tuple[str, str]] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._epoch = 0  # bumped by reset(): calls still in flight then are forgotten
        self._max_in_flight: Counter[str] = Counter()
        self._requests: deque[dict] = deque(maxlen=200)

    def _event_emitter(self, rng: random.Random) -> EventEmitter:
        """Webhook deliveries over HTTP on a thread, with Omnium's retries."""
        return EventEmitter(rng, self.config.webhook_retry_delays, self.config.webhook_timeout)

    def reset(self) -> None:
        """Forget all data, users, tokens, counters, faults and subscriptions; restore the
        configuration given at construction."""
        with self.lock:
            self._tenants.clear()
            self.auth.reset()
            self.faults.clear()
            self.faults.seed(self._seed)
            self.events.reset()
            self.events.rng.seed(self._seed)
            self.configure(
                **{f.name: getattr(self._defaults, f.name) for f in fields(self._defaults)}
            )
            with self._counts_lock:
                self._calls.clear()
                self._client_calls.clear()
                self._object_calls.clear()
                self._in_flight.clear()
                self._max_in_flight.clear()
                self._requests.clear()
                self._epoch += 1

    def configure(self, **options: Any) -> SandboxConfig:
        """Change settings while running (``token_lifetime``, ``markets``, ``stores``…)."""
        with self.lock:
            for name, value in options.items():
                if not hasattr(self.config, name):
                    raise TypeError(f"Unknown sandbox setting {name!r}")
                if name in ("markets", "order_types", "order_statuses", "webhook_retry_delays"):
                    value = tuple(value)
                if name == "stores" and value is not None and not isinstance(value, dict):
                    value = {store["id"]: store for store in value}
                setattr(self.config, name, value)
            self.events.retry_delays = tuple(self.config.webhook_retry_delays)
            self.events.timeout = float(self.config.webhook_timeout)
            return self.config

    def seed(self, value: int | None) -> None:
        """Make fault draws and event ids repeatable."""
        self._seed = value
        self.faults.seed(value)
        self.events.rng.seed(value)

    # ---------------------------------------------------------------- tenants, users

    def tenant(self, name: str = "default") -> TenantData:
        with self.lock:
            data = self._tenants.get(name)
            if data is None:
                data = self._tenants[name] = TenantData(name, self.config, self._publish)
            return data

    @property
    def state(self) -> TenantData:
        """The data of the ``default`` Omnium tenant."""
        return self.tenant("default")

    def add_credentials(
        self,
        client_id: str,
        client_secret: str,
        *,
        tenant: str = "default",
        roles: tuple[str, ...] | list[str] = ("ApiOwner",),
        active: bool = True,
    ) -> None:
        """Register an API user (Omnium: Configuration > Authorization > API Users)."""
        self.auth.add_user(ApiUser(client_id, client_secret, tenant, set(roles), active))

    def deactivate(self, client_id: str) -> None:
        """The user's tokens stop working at once and no new token is issued."""
        self.auth.set_active(client_id, False)

    def revoke_tokens(self, client_id: str | None = None) -> int:
        """Invalidate issued tokens; the next call with one gets 401. Returns how many."""
        return self.auth.revoke(client_id)

    # ------------------------------------------------------------ seeding, Omnium side

    def seed_order(self, order: dict, *, tenant: str = "default") -> dict:
        """An order placed in Omnium by e-commerce (event: Created, 110100)."""
        with self.lock:
            return self.tenant(tenant).create_order_from_cart(camel_keys(order))

    def edit_order(self, order: dict, *, tenant: str = "default") -> dict:
        """An order edited in Omnium's GUI (event: Updated, 210101)."""
        with self.lock:
            return self.tenant(tenant).edit_order(camel_keys(order))

    def edit_customer(self, kind: str, customer: dict, *, tenant: str = "default") -> dict:
        """A customer changed in Omnium's GUI (``kind``: ``private`` or ``business``): the
        members given replace Omnium's, the others stay (event: Updated)."""
        with self.lock:
            data = self.tenant(tenant)
            merged = {**data.get_customer(kind, customer["customerId"]), **camel_keys(customer)}
            return data.update_customer(kind, merged, "GUI")

    def delete_order(self, order_id: str, *, tenant: str = "default") -> None:
        """An order deleted for good in Omnium (event: Deleted, 110109)."""
        with self.lock:
            self.tenant(tenant).delete_order(order_id)

    def set_order_status(
        self, order_id: str, status: str, *, tenant: str = "default", **fields: Any
    ) -> dict:
        """A status change made in Omnium's GUI (event: Workflow, 210109)."""
        with self.lock:
            result = self.tenant(tenant).update_status(
                order_id, {"status": status, **fields}, origin="GUI", operation_id=210109
            )
            return result["order"]

    def patch_customer(self, kind: str, patch: dict, *, tenant: str = "default") -> dict:
        """A customer changed in Omnium (its web shop or GUI): ``kind`` is ``"private"`` or
        ``"business"``; event Updated (330113 or 330210)."""
        with self.lock:
            return self.tenant(tenant).patch_customer(kind, camel_keys(patch), origin="GUI")

    def anonymize_customer(self, customer_id: str, *, tenant: str = "default") -> None:
        """A private customer anonymised in Omnium (event Anonymized, see .customers)."""
        with self.lock:
            self.tenant(tenant).anonymize_customer(customer_id, origin="GUI")

    def delete_customer(self, kind: str, customer_id: str, *, tenant: str = "default") -> None:
        """A customer deleted in Omnium (event Deleted, see .customers)."""
        with self.lock:
            self.tenant(tenant).delete_customer(kind, customer_id, origin="GUI")

    def add_purchase_order(self, po: dict, *, tenant: str = "default") -> dict:
        with self.lock:
            return self.tenant(tenant).add_purchase_order(camel_keys(po))

    def add_delivery(self, delivery: dict, *, tenant: str = "default") -> dict:
        with self.lock:
            return self.tenant(tenant).add_delivery(camel_keys(delivery))

    def add_inventory(self, items: list[dict], *, tenant: str = "default") -> None:
        """Stock levels the tenant holds (``sku``, ``warehouseCode``, ``inventory``…), set
        as they are: no batch limit, no transactions, no events."""
        with self.lock:
            self.tenant(tenant).seed_inventory(camel_keys(items))

    def subscribe(self, url: str, **options: Any) -> str:
        """A webhook subscription (see :meth:`EventEmitter.subscribe`)."""
        return self.events.subscribe(url, **options)

    def edit_subscription(self, sub_id: str, *, headers: dict[str, str]) -> None:
        """New custom headers for a subscription (Omnium's UI; there is no API for it)."""
        self.events.edit_subscription(sub_id, headers=headers)

    def _publish(self, tenant: str, event: Event) -> None:
        self.events.publish(
            tenant,
            self.events.envelope(
                operationId=event.operation_id,
                message=event.message,
                className=event.class_name,
                subClassName=event.sub_class_name,
                objectId=event.object_id,
                objectNumber=event.object_id,
                category=event.category,
                market=event.market,
                storeId=event.store_id,
                status=event.status,
                previousStatus=event.previous_status,
                origin=event.origin,
                tags=event.tags,
                externalIds=event.external_ids,
                attachments=event.attachments,
            ),
        )

    # --------------------------------------------------------------------- counters

    def call_count(self, endpoint: str | None = None, *, client_id: str | None = None) -> int:
        """Calls made to ``endpoint`` (e.g. ``"PUT /api/Inventory/UpdateMany"``; any case),
        or to every endpoint; by one API user or all. The token endpoint counts too."""
        wanted = endpoint.lower() if endpoint else None
        with self._counts_lock:
            return sum(
                n
                for (client, name), n in self._client_calls.items()
                if (wanted is None or name.lower() == wanted)
                and (client_id is None or client == client_id)
            )

    def calls(self) -> dict[str, int]:
        """Calls per endpoint."""
        with self._counts_lock:
            return dict(self._calls)

    def object_calls(self, endpoint: str) -> dict[str, int]:
        """Calls to ``endpoint`` (e.g. ``"POST /api/Orders"``) per object id: the path's
        ``{id}`` or the body's ``id``. Calls answered with an injected fault count too."""
        wanted = endpoint.lower()
        with self._counts_lock:
            return {
                object_id: n
                for (name, object_id), n in self._object_calls.items()
                if name.lower() == wanted
            }

    def token_requests(self, client_id: str | None = None) -> int:
        with self.auth._lock:
            if client_id is None:
                return sum(self.auth.token_requests.values())
            return self.auth.token_requests[client_id]

    def max_in_flight(self, client_id: str | None = None) -> int:
        """The most API calls (token calls excluded) one API user had in flight at once."""
        with self._counts_lock:
            if client_id is None:
                return max(self._max_in_flight.values(), default=0)
            return self._max_in_flight[client_id]

    def last_requests(self, endpoint: str | None = None) -> list[dict]:
        """The last 200 API calls with their raw bodies (oldest first)."""
        wanted = endpoint.lower() if endpoint else None
        with self._counts_lock:
            return [r for r in self._requests if wanted is None or r["endpoint"].lower() == wanted]

    def counters(self) -> dict:
        with self._counts_lock:
            by_client: dict[str, dict[str, int]] = {}
            for (client, name), n in self._client_calls.items():
                by_client.setdefault(client, {})[name] = n
            data = {
                "total": sum(self._calls.values()),
                "byEndpoint": dict(self._calls),
                "byClient": by_client,
                "maxInFlight": dict(self._max_in_flight),
            }
        data["tokenRequests"] = dict(self.auth.token_requests)
        return data

    # ---------------------------------------------------------------------- the API

    def dispatch(self, method: str, target: str, headers, body: bytes) -> Reply | object:
        """Answer one call: ``target`` is the path with its query string, ``headers`` any
        case-insensitive mapping. A :class:`Reply` with its payload rendered, or
        :data:`DROP`; an error of the fake itself answers 500, as a server would."""
        try:
            reply = self._dispatch(method, target, headers, body)
            if isinstance(reply, Reply):
                reply.render()
            return reply
        except Exception:
            logger.exception("sandbox error on %s %s", method, urlsplit(target).path)
            return Reply(500, problem(500)).render()

    def _dispatch(self, method: str, target: str, headers, body: bytes) -> Reply | object:
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        if path.lower() == "/sandbox" or path.lower().startswith("/sandbox/"):
            try:
                with self.lock:
                    return self._control(method, path, query.get("tenant", "default"))
            except ApiError as exc:
                return Reply(exc.status, exc.body, exc.headers)
        if not path.lower().startswith("/api/"):
            return Reply(404, problem(404))
        return self._api(method, path, query, headers, body)

    def _api(self, method: str, path: str, query: dict, headers, body: bytes):
        route, params, known = match_route(method, path)
        name = route.name if route else f"{method} {path}"
        is_token = route is not None and route.handler == "token"
        user = None if is_token else self.auth.authenticate(headers.get("Authorization"))
        client = query.get("clientId", "") if is_token else (user.client_id if user else "")
        object_id = None if is_token else _object_id(params or _query_id(query), body)
        with self._counts_lock:
            self._calls[name] += 1
            self._client_calls[(client, name)] += 1
            if object_id is not None:
                self._object_calls[(name, object_id)] += 1
            entry = {
                "method": method,
                "path": path,
                "endpoint": name,
                "query": dict(query),
                "headers": {k: v for k, v in headers.items() if k.lower() != "authorization"},
                "body": body,
                "status": None,
                "at": time.time(),
            }
            if is_token:
                entry["query"] = {k: v for k, v in query.items() if k != "clientSecret"}
            self._requests.append(entry)
            epoch = self._epoch
            if user is not None:
                self._in_flight[client] += 1
                self._max_in_flight[client] = max(
                    self._max_in_flight[client], self._in_flight[client]
                )
        try:
            reply = self._api_call(
                route, known, method, path, params, query, headers, body, user, epoch
            )
        finally:
            if user is not None:
                with self._counts_lock:
                    if epoch == self._epoch:
                        self._in_flight[client] -= 1
        entry["status"] = reply.status if isinstance(reply, Reply) else "dropped"
        return reply

    def _api_call(self, route, known, method, path, params, query, headers, body, user, epoch):
        decision = self.faults.decide(path)
        if decision.delay:
            time.sleep(decision.delay)
            if epoch != self._epoch:
                # Reset while this call was held: it belongs to the data that is gone and
                # must not land in the new one (the next test's).
                return DROP
        if decision.drop:
            return DROP
        if decision.status:
            reply_headers = {}
            if decision.retry_after is not None:
                reply_headers["Retry-After"] = f"{decision.retry_after:g}"
            body_ = None if decision.status in (401, 403) else problem(decision.status)
            return Reply(decision.status, body_, reply_headers)
        if route is None:
            return Reply(405 if known else 404, problem(405 if known else 404))
        if not route.anonymous:
            if user is None:
                return Reply(401, None, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if not has_role(user.roles, required_role(method, path)):
                return Reply(403)
        try:
            reply = getattr(self, f"_h_{route.handler}")(
                params=params, query=query, headers=headers, body=body, user=user
            )
        except ApiError as exc:
            reply = Reply(exc.status, exc.body, exc.headers)
        if decision.drop_after:
            return DROP
        return reply

    def _json(self, body: bytes, *, bind: bool = True) -> Any:
        """The JSON body; ``bind``: member names camelCased as Omnium's model binding does."""
        if not body:
            return None
        try:
            data = loads(body)
            return camel_keys(data) if bind else data
        except ValueError:
            raise ApiError(
                400,
                problem(
                    400,
                    "One or more validation errors occurred.",
                    errors={"$": ["The request body is not valid JSON."]},
                ),
            ) from None

    def _data(self, user: ApiUser | None) -> TenantData:
        return self.tenant(user.tenant if user else "default")

    # Handlers: keyword arguments params, query, headers, body, user; return a Reply.

    def _h_token(self, *, query, **_):
        with self.lock:
            lifetime, jwt_lifetime = self.config.token_lifetime, self.config.jwt_lifetime
        issued = self.auth.issue(
            query.get("clientId", ""), query.get("clientSecret", ""), lifetime, jwt_lifetime
        )
        if issued is None:
            return Reply(401, problem(401, detail="Invalid client id or client secret."))
        token, expires_in = issued
        if query.get("returnAsJson", "").lower() == "true":
            return Reply(
                200, {"accessToken": token, "tokenType": "Bearer", "expiresIn": expires_in}
            )
        return Reply(200, raw=token.encode(), content_type="text/plain; charset=utf-8")

    def _h_health(self, **_):
        return Reply(200, {"status": "Healthy"})

    def _locked(self, function: Callable[[], Any], status: int = 200) -> Reply:
        with self.lock:
            return Reply(status, function())

    # JSON is parsed before taking the lock: only the data change is serialised.

    def _h_add_order(self, *, body, user, **_):
        data, order = self._data(user), self._json(body)
        return self._locked(lambda: data.add_order(order), 201)

    def _h_search_orders(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.search_orders(request))

    def _h_scroll_orders(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.scroll_orders(request))

    def _h_next_scroll(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).next_scroll(params["id"]))

    def _h_update_order(self, *, body, user, **_):
        data, order = self._data(user), self._json(body)
        return self._locked(lambda: data.update_order(order))

    def _h_get_order(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).get_order(params["id"]))

    def _h_update_status(self, *, params, body, user, **_):
        data, patch = self._data(user), self._json(body)
        origin = f"POST /api/Orders/{params['id']}/UpdateStatus"
        return self._locked(lambda: data.update_status(params["id"], patch, origin=origin))

    def _h_patch_order(self, *, params, body, user, **_):
        data, patch = self._data(user), self._json(body)
        return self._locked(lambda: data.patch_order(params["id"], patch))

    def _h_create_return(self, *, params, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.create_return(params["id"], request))

    def _h_search_private(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.search_customers("private", request))

    def _h_search_business(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.search_customers("business", request))

    def _h_update_inventory(self, *, query, body, user, **_):
        overwrite = query.get("isReservedInventoryOverwritten", "").lower() == "true"
        data, items = self._data(user), self._json(body)
        return self._locked(lambda: data.update_inventory(items, overwrite))

    def _h_search_inventory(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: search_inventory(data, request))

    def _h_scroll_inventory(self, *, params, user, **_):
        data = self._data(user)
        return self._locked(lambda: scroll_inventory(data, params["id"]))

    def _h_get_purchase_order(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).get_purchase_order(params["id"]))

    def _h_get_delivery(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).get_delivery(params["id"]))

    def _h_get_delivery_lines(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).delivery_lines(params["id"]))

    def _h_goods_reception(self, *, params, body, user, **_):
        data, lines = self._data(user), self._json(body)
        return self._locked(lambda: data.process_goods_reception(params["id"], lines))

    def _h_create_delivery(self, *, params, query, body, user, **_):
        data, lines = self._data(user), self._json(body)
        new_id, existing_id = query.get("newDeliveryId"), query.get("existingDeliveryId")
        return self._locked(
            lambda: data.create_delivery(params["id"], lines, new_id or None, existing_id or None)
        )

    def _h_update_invoice(self, *, body, user, **_):
        data, invoice = self._data(user), self._json(body)
        return self._locked(lambda: data.update_invoice(invoice))

    def _h_add_file_to_invoice(self, *, params, query, headers, body, user, **_):
        content_type = headers.get("Content-Type") or "application/octet-stream"
        file_name = query.get("fileName")
        if content_type.lower().startswith("multipart/form-data"):
            file_name, content_type, body = _multipart_file(content_type, body, file_name)
        return self._locked(
            lambda: self._data(user).add_file_to_invoice(
                params["id"], file_name, content_type, body
            )
        )

    def _h_get_invoice(self, *, params, user, **_):
        return self._locked(lambda: self._data(user).get_invoice(params["id"]))

    def _h_search_invoices(self, *, body, user, **_):
        data, request = self._data(user), self._json(body)
        return self._locked(lambda: data.search_invoices(request))

    # ------------------------------------------------------------ /sandbox (read only)

    def _control(self, method: str, path: str, tenant: str) -> Reply:
        """``GET /sandbox/state``: the data of the ``default`` tenant (``?tenant=`` for
        another), for a person looking at a running sandbox; ``GET /sandbox/invoices/{id}/
        files/{assetId}``: a file added to an invoice, where its asset ``url`` points.
        Unauthenticated: the sandbox listens on loopback only."""
        parts = [unquote(p) for p in path.strip("/").split("/")[1:]]
        names = [p.lower() for p in parts[::2]]  # the fixed segments: state, invoices/files
        if method == "GET" and len(parts) == 1 and names == ["state"]:
            return Reply(200, self.tenant(tenant).snapshot())
        if method == "GET" and len(parts) == 4 and names == ["invoices", "files"]:
            files = self.tenant(tenant).invoice_files.get(parts[1], {})
            if parts[3] not in files:
                raise ApiError(404, problem(404))
            stored = files[parts[3]]
            return Reply(200, raw=stored["content"], content_type=stored["contentType"])
        raise ApiError(404, problem(404, detail=f"No sandbox control endpoint {method} {path}."))


def _query_id(query: dict[str, str]) -> dict[str, str]:
    """``?id=`` of a call that names its object in the query (``…/Anonymize?id=``)."""
    return {"id": query["id"]} if query.get("id") else {}


def _object_id(params: dict[str, str], body: bytes) -> str | None:
    """What a call is about: the path's ``{id}``, else the ``id`` of a JSON object body."""
    if "id" in params:
        return params["id"]
    if body[:1] != b"{":
        return None
    try:
        data = loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    value = next((v for k, v in data.items() if str(k).lower() == "id"), None)  # any case
    return None if value is None or isinstance(value, dict | list) else str(value)


def _multipart_file(content_type: str, body: bytes, file_name: str | None):
    """The first file part of a ``multipart/form-data`` body: (name, type, bytes)."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        if part.get_filename() or part.get_param("name", header="content-disposition"):
            content = part.get_payload(decode=True) or b""
            return (file_name or part.get_filename(), part.get_content_type(), content)
    raise ApiError(400, problem(400, detail="The multipart body has no file part."))

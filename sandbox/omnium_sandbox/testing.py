"""An in-process fake Omnium for a host project's unit tests: no server, no port, no thread.

The ``omnium_integration`` app sends every Omnium call through the ``requests`` adapter its
``OMNIUM_INTEGRATION["HTTP_ADAPTER"]`` setting names. Name :func:`adapter` there and
the calls go to the :class:`FakeOmnium` installed at the time, whatever the tenant's API
base URL, without leaving the process::

    # the host's test settings (or override_settings in one test)
    OMNIUM_INTEGRATION = {..., "HTTP_ADAPTER": "omnium_sandbox.testing.adapter"}

    from omnium_sandbox.testing import fake_omnium

    def test_a_sale_reaches_omnium(extension):
        with fake_omnium() as omnium:
            omnium.add_credentials(extension.client_id, extension.client_secret)
            ...  # save a sale in the host, run the job
            assert "POS1001" in omnium.state.orders

A :class:`FakeOmnium` has the same data, API users, seeding, faults and counters as the
server (:class:`~omnium_sandbox.api.FakeOmniumApi`). Faults that close the connection
raise ``requests.ConnectionError``; a delay sleeps (no read timeout is enforced).

Webhook events: each event a subscription matches is recorded in ``omnium.posted``
(``url``, ``headers``, ``event``); given ``webhook=``, it is also handed to that callable
at once as ``webhook(url, event, headers)`` (a status code, or a response with
``status_code``), e.g. Django's test client posting to the host's webhook view. No
retries: ``omnium.events.repeat(event_id)`` delivers again.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from .api import DROP, FakeOmniumApi, Reply
from .subscriptions import EventEmitter

Webhook = Callable[[str, dict, dict[str, str]], Any]

_installed: list[FakeOmnium] = []
_installed_lock = threading.Lock()


class FakeOmnium(FakeOmniumApi):
    """A fake Omnium answering in process once :meth:`install` ed (or used with ``with``)."""

    # Never resolvable (RFC 2606): a call that misses the adapter cannot reach anyone.
    url = "https://fake-omnium.invalid"

    def __init__(
        self, *, webhook: Webhook | None = None, seed: int | None = None, **config: Any
    ) -> None:
        self.webhook = webhook
        self.posted: list[dict] = []
        super().__init__(seed=seed, **config)

    def __repr__(self) -> str:
        return f"<FakeOmnium {'installed' if self in _installed else 'not installed'}>"

    def _event_emitter(self, rng) -> EventEmitter:
        return EventEmitter(rng, (), self.config.webhook_timeout, post=self._post)

    def _post(self, url: str, event: dict, headers: dict[str, str]) -> int | None:
        self.posted.append({"url": url, "headers": dict(headers), "event": event})
        if self.webhook is None:
            return None
        answer = self.webhook(url, event, headers)
        return int(getattr(answer, "status_code", answer))

    def reset(self) -> None:
        """What :meth:`FakeOmniumApi.reset` forgets, and the events posted."""
        super().reset()
        self.posted.clear()

    def install(self) -> FakeOmnium:
        """Answer the calls :func:`adapter` receives from now on (the last installed wins)."""
        with _installed_lock:
            _installed.append(self)
        return self

    def uninstall(self) -> None:
        with _installed_lock:
            if self in _installed:
                _installed.remove(self)

    def __enter__(self) -> FakeOmnium:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


@contextmanager
def fake_omnium(**options: Any) -> Iterator[FakeOmnium]:
    """``with fake_omnium() as omnium:``: a new :class:`FakeOmnium`, installed meanwhile."""
    with FakeOmnium(**options) as omnium:
        yield omnium


def installed() -> FakeOmnium:
    """The fake :func:`adapter` answers from; ``LookupError`` if none is installed."""
    with _installed_lock:
        if not _installed:
            raise LookupError("No FakeOmnium is installed: use `with fake_omnium():`.")
        return _installed[-1]


class FakeOmniumAdapter(BaseAdapter):
    """A ``requests`` transport that hands each request to the installed :class:`FakeOmnium`."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        try:
            omnium = installed()
        except LookupError as exc:
            raise requests.ConnectionError(str(exc), request=request) from None
        reply = omnium.dispatch(
            request.method or "GET", request.path_url, request.headers, _body(request.body)
        )
        if reply is DROP:
            raise requests.ConnectionError(
                "Connection aborted: the fake Omnium closed it without an answer",
                request=request,
            )
        return self._response(request, reply)

    def _response(self, request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        payload = reply.payload()
        response = requests.Response()
        response.status_code = reply.status
        try:
            response.reason = HTTPStatus(reply.status).phrase
        except ValueError:
            response.reason = ""
        response.headers = CaseInsensitiveDict(reply.wire_headers(payload))
        response.encoding = get_encoding_from_headers(response.headers)
        content = b"" if request.method == "HEAD" else payload
        response.raw = io.BytesIO(content)
        response._content = content
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass


def adapter() -> FakeOmniumAdapter:
    """The ``HTTP_ADAPTER`` factory: ``"omnium_sandbox.testing.adapter"``."""
    return FakeOmniumAdapter()


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "read"):
        return body.read()
    return b"".join(body)  # an iterable of chunks

"""The sandbox server: a fake Omnium on loopback, and its data at ``GET /sandbox/state``.

A stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive (one thread per
connection), so a pool of clients reuses its connections like against the real API. What
it answers is :class:`~omnium_sandbox.api.FakeOmniumApi`'s; webhook events go out over
HTTP from a background thread.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .api import DROP, FakeOmniumApi

logger = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost"}  # IPv4: ThreadingHTTPServer binds AF_INET


class OmniumSandbox(FakeOmniumApi):
    """A fake Omnium on loopback. Use it as a context manager, or ``start()`` / ``stop()``.

    ``sandbox.url`` is its base URL; the rest is :class:`~omnium_sandbox.api.FakeOmniumApi`'s.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, seed: int | None = None, **config: Any
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError("The Omnium sandbox only listens on loopback.")
        self.host, self.port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        super().__init__(seed=seed, **config)

    def __repr__(self) -> str:
        return f"<OmniumSandbox {self.url if self._server else 'stopped'}>"

    # -------------------------------------------------------------------- lifecycle

    def bind(self) -> OmniumSandbox:
        """Open the listening socket (``port=0`` picks a free port, then in ``self.port``)."""
        if self._server is None:
            self._server = _Server((self.host, self.port), _Handler)
            self._server.sandbox = self
            self.port = self._server.server_address[1]
        return self

    def start(self) -> OmniumSandbox:
        """Serve on a background thread."""
        self.bind()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="omnium-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the foreground (the command line) until interrupted."""
        self.bind()
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self.stop()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:  # never from the serving thread itself
                server.shutdown()
                self._thread.join(timeout=5)
                self._thread = None
            server.server_close()
        self.events.stop()

    def __enter__(self) -> OmniumSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    sandbox: OmniumSandbox

    def handle_error(self, request, client_address) -> None:
        # A client that hung up is not an error worth a traceback on stderr.
        logger.debug("sandbox connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "OmniumSandbox/1.0"
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms per call on Linux).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.sandbox.dispatch(method, self.path, self.headers, body)
        if reply is DROP:
            self.close_connection = True
            return
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.wire_headers(payload).items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # The default writes every request line, token query string included, to stderr.
        path = urlsplit(getattr(self, "path", "") or "").path
        logger.debug("sandbox %s %s", self.address_string(), path)

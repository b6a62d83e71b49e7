"""Run the whole picture on one machine: Flow's HTTP server and the two sync engines.

Used by the demo (``manage.py omnium_demo``), by tests that need real processes and by
the benchmarks, so every one of them starts things the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("external_order_sync", "external_receivement_sync")


def database_env(alias: str = "default") -> dict[str, str]:
    """Environment variables that point a child process at this process's database.

    During tests that is the test database (only committed data is visible to children).
    """
    from django.db import connections

    settings = connections[alias].settings_dict
    if settings["ENGINE"].endswith("postgresql"):
        url = (
            f"postgres://{quote(settings['USER'] or '')}@{settings['HOST'] or '127.0.0.1'}"
            f":{settings['PORT'] or 5432}/{quote(settings['NAME'])}"
        )
        return {"DATABASE_URL": url}
    return {"SQLITE_PATH": str(settings["NAME"])}


def secrets_env() -> dict[str, str]:
    """The keys this process runs with, for a child that must read what it stored and
    sign what it reads (django-q2 signs its task messages with ``SECRET_KEY``)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from omnium_integration.conf import app_settings

    env = {"OMNIUM_ENCRYPTION_KEYS": ",".join(app_settings.ENCRYPTION_KEYS)}
    # Not set: the child refuses to sign anything, as this one does.
    with contextlib.suppress(ImproperlyConfigured):
        env["DJANGO_SECRET_KEY"] = settings.SECRET_KEY
    return env


def has_secrets() -> bool:
    """Whether this process has what the stub's production-safe settings leave out: a
    ``SECRET_KEY`` and usable ``ENCRYPTION_KEYS`` (the demo and the tests set both)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from omnium_integration.conf import app_settings
    from omnium_integration.crypto import key_problems

    try:
        return bool(settings.SECRET_KEY) and not key_problems(app_settings.ENCRYPTION_KEYS)
    except ImproperlyConfigured:  # Django's answer to an empty SECRET_KEY
        return False


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child Django process on the same database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", ""))
    env.update(database_env())
    env.update(secrets_env())
    env.update(extra)
    return env


def start_engine(
    queue: str,
    *,
    env: dict[str, str] | None = None,
    workers: int = 2,
    log: IO[Any] | int | None = subprocess.DEVNULL,
) -> subprocess.Popen:
    """``Q_CLUSTER_NAME=<queue> manage.py qcluster`` as a child process."""
    env = {**(env or child_env()), "Q_CLUSTER_NAME": queue, "OMNIUM_WORKERS": str(workers)}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT if log not in (None, subprocess.DEVNULL) else log,
        start_new_session=True,  # a SIGKILL of the group takes its workers too
    )


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a child politely (SIGTERM), then firmly."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the child and every process of its session (a crash, not a shutdown)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout}s")
        time.sleep(interval)


class _Handler(WSGIRequestHandler):
    # Without this the body waits for the client's delayed ACK (~40 ms per response).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass


class FlowServer:
    """Flow's WSGI app on a threaded HTTP server on loopback, in this process.

    Static files (the admin's CSS and JavaScript) are served from the apps, as
    ``runserver`` does: without them the admin is unstyled and its "select all" and bulk
    actions do nothing.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.server = ThreadedWSGIServer((host, port), _Handler, allow_reuse_address=True)
        self.server.daemon_threads = True
        self.server.set_app(StaticFilesHandler(get_wsgi_application()))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FlowServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""The Omnium REST client (:mod:`.omnium`), its transport and error rules (:mod:`.http`),
its shared token (:mod:`.tokens`) and its call slots (:mod:`.slots`).

``get_client(extension)`` is the way in: one client per tenant per process.
"""

from __future__ import annotations

import os
import threading

from django.core.signals import setting_changed

from ..models import TenantExtension
from .omnium import OmniumClient, client_fingerprint

__all__ = ["OmniumClient", "clear_clients", "get_client"]

_clients: dict[int, OmniumClient] = {}
_clients_lock = threading.Lock()


def get_client(extension: TenantExtension) -> OmniumClient:
    """The tenant's client in this process; rebuilt when its URL or credentials change."""
    fingerprint = client_fingerprint(extension)
    with _clients_lock:
        client = _clients.get(extension.pk)
        if client is None or client.fingerprint != fingerprint:
            if client is not None:
                client.close()
            client = _clients[extension.pk] = OmniumClient(extension)
        return client


def clear_clients() -> None:
    """Close and forget every client of this process (tests; after credentials change)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def _settings_changed(*, setting: str, **kwargs) -> None:
    # A client is built from the settings (timeouts, HTTP_ADAPTER...): rebuild on change.
    if setting == "OMNIUM_INTEGRATION":
        clear_clients()


setting_changed.connect(_settings_changed)


def _forget_clients_in_child() -> None:
    # A forked worker must not share the parent's sockets or locks.
    global _clients_lock
    _clients.clear()
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_clients_in_child)

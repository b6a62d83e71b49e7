"""How the app reads and writes Flow's objects.

Everything that depends on the shape of Flow's models goes through one adapter class,
named by the ``ADAPTER`` setting (allauth's ``get_adapter`` idiom). The default,
:class:`FlowAdapter`, fits Flow core's models as the stub host defines them; a host whose
models differ subclasses it and overrides what differs.
"""

from __future__ import annotations

from django.core.signals import setting_changed

from .base import BaseAdapter
from .customers import CustomerAdapterMixin
from .inbound import InboundOrdersMixin
from .orders import OrderAdapterMixin
from .receipts import ReceiptAdapterMixin
from .receivements import ReceivementAdapterMixin
from .reconcile import ReconcileAdapterMixin
from .stock import StockAdapterMixin


class FlowAdapter(
    InboundOrdersMixin,
    OrderAdapterMixin,
    CustomerAdapterMixin,
    ReceiptAdapterMixin,
    ReceivementAdapterMixin,
    ReconcileAdapterMixin,
    StockAdapterMixin,
    BaseAdapter,
):
    """The default adapter for Flow core's models."""


_adapter: BaseAdapter | None = None


def get_adapter() -> BaseAdapter:
    global _adapter
    if _adapter is None:
        from ..conf import app_settings

        _adapter = app_settings.ADAPTER()
    return _adapter


def _reset(*, setting: str, **kwargs) -> None:
    global _adapter
    if setting == "OMNIUM_INTEGRATION":
        _adapter = None


setting_changed.connect(_reset)

__all__ = ["BaseAdapter", "FlowAdapter", "get_adapter"]

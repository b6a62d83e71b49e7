"""Reading Flow's stock ledger and levels for the stock push and the drift check.

The capture, the handlers and the check never touch Flow's models: they get plain values
from these adapter methods, so a host whose ledger is shaped differently (another
movement model, levels kept elsewhere) overrides only this mixin and points
``STOCK_MOVEMENT_MODEL`` at its own model. Quantities stay in Flow's fixed point
(hundredths).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from ..conf import get_store_model
from ..models import StoreExtension, TenantExtension
from .base import BaseAdapter, overrides

# Movements the capture leaves alone: a goods reception's stock follows its confirmation
# to Omnium (the receivement job notes it), so Omnium's own addition lands first.
RECEPTION = "RECEPTION"


@dataclass(frozen=True)
class Movement:
    """A booked movement of a store's stock, as the capture needs it."""

    pk: Any
    store_pk: Any
    skus: tuple[str, ...]
    reason: str  # a short description for the notes, e.g. "SALE POS-1001"


@dataclass(frozen=True)
class MasterStore:
    """A Flow-master store of an active tenant: what the drift check reads and compares."""

    pk: Any
    uid: str
    extension_id: int
    warehouse_code: str  # the store's Omnium warehouse id


class StockAdapterMixin:
    """Flow core's stock ledger (``flow.StockMovement``) and levels (``flow.InventoryLevel``)."""

    def stock_movement_due(self, movement: Model) -> bool:
        """Whether a saved movement is booked and Omnium should get its SKUs' levels."""
        return movement.booked_at is not None and movement.kind != RECEPTION

    def movement_store_id(self, movement: Model) -> Any:
        """The primary key of the store whose stock the movement changed."""
        return movement.store_id

    def stock_movement(self, movement: Model) -> Movement:
        """The movement's store and the SKUs it changed."""
        skus = tuple(movement.lines.order_by("pk").values_list("sku", flat=True))
        return Movement(
            pk=movement.pk,
            store_pk=movement.store_id,
            skus=skus,
            reason=f"{movement.kind} {movement.reference or movement.uid}",
        )

    def stock_master_extension_id(self, store_id: Any) -> int | None:
        """The active Omnium extension of the store's tenant, when Flow is stock master of
        the store; else ``None``. Called on every booked movement: one query."""
        store_model = get_store_model()
        if overrides(self, "is_flow_stock_master", BaseAdapter):
            store = store_model.objects.filter(pk=store_id).first()
            if store is None or not self.is_flow_stock_master(store):
                return None
            return self.active_extension_id(self.tenant_id_of(store))
        tenant_ids = store_model.objects.filter(
            pk=store_id, omnium_extension__flow_stock_master=True
        ).values("tenant_id")
        return (
            TenantExtension.objects.filter(is_active=True, tenant_id__in=tenant_ids)
            .values_list("pk", flat=True)
            .first()
        )

    def store_skus(self, store_id: Any) -> list[str]:
        """Every SKU the store keeps a level of (its whole stock, for a full push)."""
        return list(self.store_levels(store_id))

    def store_levels(self, store_id: Any) -> dict[str, int]:
        """The store's level of every SKU it keeps one of, in hundredths."""
        store = get_store_model()(pk=store_id)
        return dict(store.inventory.order_by("sku").values_list("sku", "quantity"))

    def has_stock(self, store_id: Any) -> bool:
        """Whether the store keeps a level of any SKU."""
        return get_store_model()(pk=store_id).inventory.exists()

    def master_stores(
        self, extension: TenantExtension | None = None, store_keys: Iterable[str] = ()
    ) -> list[MasterStore]:
        """Flow-master stores of active tenants (of ``extension`` only, if given), by uid
        when ``store_keys`` names some."""
        flags = StoreExtension.objects.filter(
            flow_stock_master=True,
            store__tenant__omnium_extension__is_active=True,
        ).select_related("store__tenant__omnium_extension")
        if extension is not None:
            flags = flags.filter(store__tenant_id=extension.tenant_id)
        keys = list(store_keys)
        if keys:
            flags = flags.filter(store__uid__in=keys)
        return [
            MasterStore(
                pk=flag.store.pk,
                uid=flag.store.uid,
                extension_id=flag.store.tenant.omnium_extension.pk,
                warehouse_code=self.warehouse_code(flag.store),
            )
            for flag in flags.order_by("store__tenant_id", "store__uid")
        ]

    def find_stores(self, reference: str, tenant_id: Any = None) -> list[Model]:
        """Flow stores by uid (or primary key), within a tenant if given. Stores of two
        tenants may share a uid: the caller says which it means when there are several."""
        stores = get_store_model().objects.select_related("omnium_extension").order_by("pk")
        if tenant_id is not None:
            stores = stores.filter(tenant_id=tenant_id)
        found = list(stores.filter(uid=reference))
        if not found and str(reference).isdigit():
            found = list(stores.filter(pk=int(reference)))
        return found

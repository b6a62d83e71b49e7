"""What every adapter provides: finding the tenant and its Omnium extension."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from ..models import StoreExtension, TenantExtension


class BaseAdapter:
    """Tenant and store resolution shared by every domain."""

    def tenant_id_of(self, instance: Model) -> Any:
        """The Flow tenant's primary key for any tenant-owned Flow object."""
        return instance.tenant_id

    def active_extension_id(self, tenant_id: Any, **required: Any) -> int | None:
        """The tenant's Omnium extension id when it is active, else ``None``.

        ``required``: further conditions on the extension's parameters (field lookups).
        Called on every captured Flow save, so it is one indexed lookup and no more.
        """
        return (
            TenantExtension.objects.filter(tenant_id=tenant_id, is_active=True, **required)
            .values_list("pk", flat=True)
            .first()
        )

    def is_flow_stock_master(self, store: Model) -> bool:
        """``OMNIUM_FLOW_STOCK_MASTER`` of the store (default: Omnium is master)."""
        return StoreExtension.objects.filter(store=store, flow_stock_master=True).exists()

"""What every adapter provides: finding a Flow tenant, its Omnium extension, its objects."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, Model, OuterRef, QuerySet

from ..conf import get_host_model
from ..exceptions import MappingError
from ..models import StoreExtension, TenantExtension
from ..transform import sanitize_uid


def overrides(adapter: object, name: str, base: type) -> bool:
    """Whether the host's adapter replaced ``base.name`` with its own method."""
    return getattr(type(adapter), name) is not getattr(base, name)


class BaseAdapter:
    """Tenant and store resolution shared by every domain, and finding Flow objects."""

    # The field of each Flow model that tells when an object last changed (resync --since).
    CHANGED_AT = {
        "ORDER_MODEL": "updated_at",
        "CUSTOMER_MODEL": "last_modified_at",
        "ORDER_RECEIPT_MODEL": "created_at",
        "RECEIVEMENT_MODEL": "completed_at",
        "STOCK_MOVEMENT_MODEL": "booked_at",
    }

    def extension_for_tenant(self, tenant_key: str) -> TenantExtension | None:
        """The Omnium extension of the Flow tenant named by ``tenant_key`` (its uid).

        Operators and URLs name tenants this way: the webhook URL, ``--tenant``.
        """
        return TenantExtension.objects.without_secrets().filter(tenant__uid=tenant_key).first()

    def tenant_key(self, extension: TenantExtension) -> str:
        """What names the extension's Flow tenant (the inverse of ``extension_for_tenant``)."""
        return extension.tenant.uid

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

    def omnium_store_id(self, store: Model) -> str:
        """The store's id in Omnium: its store parameter, else its Flow UID stripped.

        One value for outbound ``storeId`` / ``warehouseCode``, inbound store matching and
        the poll's store filter. Read ``store`` with ``select_related("omnium_extension")``
        (or ``"store__omnium_extension"``) to spare the query.
        """
        explicit = self._explicit_store_id(store)
        if explicit:
            return explicit
        derived = sanitize_uid(store.uid)
        if derived != store.uid:
            # Only a stripped UID can meet another store's: "Oslo-1" strips to "Oslo1".
            other = self._store_stripping_to(store, derived)
            if other is not None:
                raise MappingError(
                    f"Flow stores {store.uid!r} and {other!r} both strip to Omnium store id "
                    f"{derived!r}; set the Omnium store id of {store.uid!r} in its store "
                    "parameters."
                )
        return derived

    def _store_stripping_to(self, store: Model, derived: str) -> str | None:
        """Another store of the tenant, without an Omnium id of its own, whose UID is or
        strips to ``derived`` (its UID), if there is one."""
        gap = "[^A-Za-z0-9_]*"
        pattern = "^" + gap + gap.join(re.escape(c) for c in derived) + gap + "$"
        others = (
            type(store)
            .objects.filter(tenant_id=store.tenant_id, uid__regex=pattern)
            .exclude(pk=store.pk)
            .exclude(omnium_extension__omnium_store_id__gt="")
        )
        return others.values_list("uid", flat=True).first()

    def _explicit_store_id(self, store: Model) -> str:
        """The store parameter's Omnium id ("" when unset)."""
        try:
            return store.omnium_extension.omnium_store_id
        except ObjectDoesNotExist:
            return ""

    def flow_stock_master_flag(self, store_field: str = "store") -> Exists:
        """``is_flow_stock_master`` as an expression, to read it in the query that reads an
        object with a store (``store_field``) rather than in one query more."""
        return Exists(
            StoreExtension.objects.filter(store=OuterRef(store_field), flow_stock_master=True)
        )

    def find_object(self, model_key: str, reference: str, tenant_id: Any = None) -> Model | None:
        """A Flow object by its UID (or, failing that, its primary key)."""
        objects = get_host_model(model_key).objects.all()
        if tenant_id is not None:
            objects = objects.filter(tenant_id=tenant_id)
        found = objects.filter(uid=reference).first()
        if found is None and str(reference).isdigit():
            found = objects.filter(pk=int(reference)).first()
        return found

    def changed_since(self, model_key: str, since: datetime, tenant_id: Any = None) -> QuerySet:
        """Flow objects of ``model_key`` changed at or after ``since``, oldest first."""
        field = self.CHANGED_AT[model_key]
        objects = get_host_model(model_key).objects.filter(**{f"{field}__gte": since})
        if tenant_id is not None:
            objects = objects.filter(tenant_id=tenant_id)
        return objects.order_by(field, "pk")

"""The tenant parameters and app settings an outbound mapping depends on, as plain data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportOptions:
    # OMNIUM_PROPERTY_PREFIX: our order properties are "<prefix>OrderUid" and so on.
    property_prefix: str = "flow"
    # The Flow tenant's key, written as "<prefix>TenantUid" on what we create, so an object
    # of another Flow tenant sharing the Omnium tenant is never taken for ours.
    tenant_uid: str = ""
    # OMNIUM_DEFAULT_SHIPPING_METHOD_ID: the shipment's method when Flow names none.
    default_shipping_method_id: str = ""
    # The POS_SHIPPING_METHOD setting: the method when neither the order nor the tenant
    # names one ("": such a sale is refused).
    fallback_shipping_method: str = "InStore"
    # OMNIUM_CUSTOMER_MARKET_GROUP_ID and OMNIUM_CUSTOMER_LOYALTY_ID_PROPERTY_KEY.
    customer_market_group_id: str = ""
    loyalty_id_property_key: str = ""
    # App settings: the Omnium order type of POS sales and the statuses we write.
    pos_order_type: str = "Pos"
    completed_status: str = "Completed"
    cancelled_status: str = "OrderCanceled"

    def key(self, name: str) -> str:
        """A property key under the tenant's prefix: ``key("OrderUid")`` -> ``flowOrderUid``."""
        return f"{self.property_prefix}{name}"

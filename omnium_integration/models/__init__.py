from .alerts import Alert, AlertKind
from .deliveries import RefusedDelivery
from .identities import OmniumIdentity
from .imports import ImportedOrder
from .inbound_events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .stock import PendingStockChange
from .tenants import StoreExtension, TenantExtension

__all__ = [
    "Alert",
    "AlertKind",
    "ExternalSyncJob",
    "ImportedOrder",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "OmniumIdentity",
    "PendingStockChange",
    "RefusedDelivery",
    "StoreExtension",
    "TenantExtension",
]

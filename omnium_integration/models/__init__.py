from .identities import OmniumIdentity
from .imports import ImportedOrder
from .inbound_events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .stock import PendingStockChange, StockCheck
from .tenants import StoreExtension, TenantExtension

__all__ = [
    "ExternalSyncJob",
    "ImportedOrder",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "OmniumIdentity",
    "PendingStockChange",
    "StockCheck",
    "StoreExtension",
    "TenantExtension",
]

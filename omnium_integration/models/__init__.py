from .events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .stock import PendingStockChange
from .tenants import StoreExtension, TenantExtension

__all__ = [
    "ExternalSyncJob",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "PendingStockChange",
    "StoreExtension",
    "TenantExtension",
]

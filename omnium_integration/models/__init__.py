from .customers import CustomerErasure, CustomerSync
from .identities import OmniumIdentity
from .imports import ImportedOrder
from .inbound_events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .stock import PendingStockChange
from .tenants import StoreExtension, TenantExtension

__all__ = [
    "CustomerErasure",
    "CustomerSync",
    "ExternalSyncJob",
    "ImportedOrder",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "OmniumIdentity",
    "PendingStockChange",
    "StoreExtension",
    "TenantExtension",
]

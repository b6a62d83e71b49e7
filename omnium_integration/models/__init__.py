from .events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .tenants import StoreExtension, TenantExtension

__all__ = [
    "ExternalSyncJob",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "StoreExtension",
    "TenantExtension",
]

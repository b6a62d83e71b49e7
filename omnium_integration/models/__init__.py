from .credential_changes import CredentialChange
from .identities import OmniumIdentity
from .imports import ImportedOrder
from .inbound_events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .stock import PendingStockChange
from .tenants import StoreExtension, TenantExtension
from .webhook_secrets import WebhookSecret

__all__ = [
    "CredentialChange",
    "ExternalSyncJob",
    "ImportedOrder",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "OmniumIdentity",
    "PendingStockChange",
    "StoreExtension",
    "TenantExtension",
    "WebhookSecret",
]

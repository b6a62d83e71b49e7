from .alerts import Alert, AlertKind
from .credential_changes import CredentialChange
from .customers import CustomerErasure, CustomerSync
from .deliveries import RefusedDelivery
from .identities import OmniumIdentity
from .imports import ImportedOrder
from .inbound_events import InboundEvent
from .jobs import ExternalSyncJob, JobAttempt, JobSource
from .reconciliation import ReconciliationRun
from .stock import PendingStockChange, StockCheck
from .tenants import StoreExtension, TenantExtension
from .webhook_secrets import WebhookSecret

__all__ = [
    "CredentialChange",
    "Alert",
    "AlertKind",
    "CustomerErasure",
    "CustomerSync",
    "ExternalSyncJob",
    "ImportedOrder",
    "InboundEvent",
    "JobAttempt",
    "JobSource",
    "OmniumIdentity",
    "PendingStockChange",
    "RefusedDelivery",
    "ReconciliationRun",
    "StockCheck",
    "StoreExtension",
    "TenantExtension",
    "WebhookSecret",
]

"""Choices shared by models, the engine and the admin."""

from django.db import models


class Queue(models.TextChoices):
    """The two queues of Flow's architecture; each is drained by its own django-q2 cluster."""

    ORDER = "external_order_sync", "Order sync"
    RECEIVEMENT = "external_receivement_sync", "Receivement sync"


class Direction(models.TextChoices):
    INBOUND = "inbound", "Omnium → Flow"
    OUTBOUND = "outbound", "Flow → Omnium"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A job in one of these states is "active": at most one active job exists per
# (tenant, kind, object) thanks to a partial unique index, which is how repeated
# saves coalesce into one job and how one object is never synced twice at once.
ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


class AttemptOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    RETRY = "retry", "Will retry"
    WAITING = "waiting", "Waiting for the object it depends on"
    FAILED = "failed", "Failed"
    LEASE_LOST = "lease_lost", "Lease lost"
    LEASE_EXPIRED = "lease_expired", "Lease expired (worker gone)"
    INTERRUPTED = "interrupted", "Interrupted (worker stopping)"


class JobKind(models.TextChoices):
    """What a job does. Each kind has exactly one handler and belongs to one queue."""

    ORDER_EXPORT = "order.export", "Flow order → Omnium"
    CUSTOMER_EXPORT = "customer.export", "Flow customer → Omnium"
    RECEIPT_EXPORT = "receipt.export", "Flow receipt → Omnium invoice"
    ORDER_IMPORT = "order.import", "Omnium order → Flow"
    CUSTOMER_IMPORT = "customer.import", "Omnium customer → Flow"
    CUSTOMER_ERASE = "customer.erase", "Flow customer erased → anonymised in Omnium"
    RECEIVEMENT_EXPORT = "receivement.export", "Flow goods reception → Omnium"
    STOCK_EXPORT = "stock.export", "Flow stock levels → Omnium"
    STOCK_FULL = "stock.full", "A Flow store's whole stock → Omnium"


class EventOutcome(models.TextChoices):
    """What became of an Omnium event delivered to the Omnium Event API."""

    QUEUED = "queued", "Job created"
    COALESCED = "coalesced", "Joined the active import job"
    DUPLICATE = "duplicate", "Duplicate event id"
    IGNORED = "ignored", "Not imported (see reason)"


class ImportOutcome(models.TextChoices):
    """What an import of an Omnium order (or customer) did to its Flow counterpart."""

    CREATED = "created", "Created in Flow"
    UPDATED = "updated", "Updated in Flow"
    UNCHANGED = "unchanged", "Nothing to change"
    CANCELLED = "cancelled", "Cancelled in Flow"
    SKIPPED = "skipped", "Not applied (see reason)"
    IGNORED = "ignored", "Not imported (see reason)"
    ERASED = "erased", "Erased in Flow (anonymised or deleted in Omnium)"


class IdentityKind(models.TextChoices):
    """The kinds of Flow object that have an Omnium counterpart, each an id space of its own.

    Stores are not here: a store's Omnium id is its store parameter (``StoreExtension``).
    """

    ORDER = "order", "Order (sale, blind return, web order)"
    RETURN = "return", "Return (rmaNumber on its sale)"
    CUSTOMER = "customer", "Customer"
    INVOICE = "invoice", "Invoice (receipt)"
    DELIVERY = "delivery", "Delivery created for a goods reception"
    RECEPTION_LINE = "reception_line", "Goods reception line (goodsReceptionId)"


class CredentialChangeKind(models.TextChoices):
    """What an operator changed in a tenant's credentials (the record never holds a value)."""

    CLIENT_ID = "client_id", "OMNIUM_CLIENT_ID replaced"
    CLIENT_SECRET = "client_secret", "OMNIUM_CLIENT_SECRET replaced"
    API_BASE_URL = "api_base_url", "Omnium API base URL changed"
    WEBHOOK_SECRET_ADDED = "webhook_secret_added", "Webhook secret added"
    WEBHOOK_SECRET_RETIRED = "webhook_secret_retired", "Webhook secret retired"
    EXTENSION_DELETED = "extension_deleted", "Extension deleted, its credentials with it"


class ErasureOrigin(models.TextChoices):
    """Where a customer's erasure started."""

    FLOW = "flow", "Erased in Flow"
    OMNIUM = "omnium", "Anonymised or deleted in Omnium"
    COMMAND = "command", "omnium_forget"


class OmniumErasure(models.TextChoices):
    """What became of an erased customer in Omnium."""

    ANONYMIZED = "anonymized", "Anonymised in Omnium"
    DELETED = "deleted", "Deleted in Omnium"
    ABSENT = "absent", "Not in Omnium (nothing to do there)"

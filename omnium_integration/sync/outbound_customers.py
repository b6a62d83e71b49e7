"""Flow customers -> Omnium private and business customers.

A customer without an Omnium id (``external_id``) is created in Omnium, and the id is
stored back on the Flow customer with a queryset update inside ``capture_suppressed()``,
so storing it does not send the customer again. A customer with an Omnium id is updated.
A create answered with 409 means an earlier attempt created the customer but did not
live to store the id: the customer is updated instead and the id stored, so a retry
converges instead of failing.
"""

from __future__ import annotations

from typing import Any

from ..client import get_client
from ..enums import Direction, JobKind, Queue
from ..exceptions import OmniumConflict
from ..host import get_adapter
from ..jobs import manager, registry
from ..mapping.customers import customer_document, is_business
from ..models import ExternalSyncJob
from ..receivers import capture_suppressed
from .outbound import active_extension, export_options, skipped


@registry.handles(JobKind.CUSTOMER_EXPORT, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def export_customer(job: ExternalSyncJob) -> dict[str, Any]:
    """Create or update the Flow customer in Omnium (see the module docstring)."""
    extension = active_extension(job)
    adapter = get_adapter()
    customer = adapter.customer_for_export(extension.tenant_id, job.object_id)
    if customer is None:
        return skipped("The customer no longer exists in Flow.")
    document = customer_document(customer, export_options(extension))
    client = get_client(extension)
    business = is_business(customer)
    create = client.create_business_customer if business else client.create_private_customer
    update = client.update_business_customer if business else client.update_private_customer
    result = {"customerId": document["customerId"], "type": "business" if business else "private"}
    if customer.external_id:
        update(document)
        return {"action": "updated", **result}
    try:
        create(document)
        action = "created"
    except OmniumConflict:
        update(document)
        action = "updated"
    with manager.leased(job), capture_suppressed():
        stored = adapter.store_customer_external_id(
            extension.tenant_id, job.object_id, document["customerId"]
        )
    return {"action": action, "idStored": stored, **result}

"""Flow -> Omnium erasures: the ``customer.erase`` handler.

Flow's erase action blanked the customer and recorded the erasure with the person's
values (:mod:`omnium_integration.privacy.erasures`). The job makes Omnium forget the
customer too, then the integration forgets: in the transaction that records the job's
success, every text and JSON column of the integration's own rows is scrubbed of the
person's values, Flow's and Omnium's.

* It waits while a ``customer.export`` of the customer runs, so a create or update that
  read the customer before the erasure lands first and is anonymised after, never the
  other way round. A pending export of an erased customer sends nothing.
* The Omnium id is the identity map's (or the one Flow held). The customer is read first:
  Omnium's own values are scrubbed too, and a customer Omnium holds for another Flow
  customer is refused. A private customer is anonymised
  (``DELETE /api/PrivateCustomers/Anonymize?id=``); a business customer, which Omnium
  cannot anonymise, is deleted (``DELETE /api/BusinessCustomers/{id}``)
  (docs/decisions.md#erasing-a-business-customer-deletes-it).
* A customer Omnium does not have (never sent, or gone) needs nothing there; the scrub
  still runs. Omnium refusing fails the job with its answer; Flow stays erased.
"""

from __future__ import annotations

from typing import Any

from .. import identities
from ..client import get_client
from ..enums import Direction, IdentityKind, JobKind, OmniumErasure, Queue
from ..exceptions import PermanentError
from ..host import get_adapter
from ..jobs import registry
from ..mapping.common import is_ours, owner_of
from ..mapping.customer_imports import personal_values
from ..mapping.records import CustomerKind
from ..models import ExternalSyncJob, OmniumIdentity, TenantExtension
from ..privacy.erasures import add_terms, latest_erasure, settle_erasure
from .customers import PRIVATE, fetch_customer, wait_while_running
from .outbound import active_extension, export_options, skipped


@registry.handles(JobKind.CUSTOMER_ERASE, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def anonymize_in_omnium(job: ExternalSyncJob) -> dict[str, Any]:
    """Anonymise (or delete) the erased Flow customer in Omnium (see the module docstring)."""
    extension = active_extension(job)
    erasure = latest_erasure(extension.pk, job.object_id)
    if erasure is None:
        return skipped("No erasure of this customer is recorded.")
    wait_while_running(job, JobKind.CUSTOMER_EXPORT, job.object_id, "The erasure")
    row = identities.find(extension, IdentityKind.CUSTOMER, job.object_id)
    omnium_id = row.omnium_id if row else erasure.omnium_id
    done = {"erasure": erasure.pk}
    if not omnium_id:
        return {"action": "none", "omnium": OmniumErasure.ABSENT, **done}
    client = get_client(extension)
    found = fetch_customer(client, omnium_id, business_first=_is_company(extension, job))
    if found is None:
        return {"action": "none", "omnium": OmniumErasure.ABSENT, "customerId": omnium_id, **done}
    kind, current = found
    _refuse_someone_elses(extension, row, current, omnium_id)
    add_terms(erasure, personal_values(current))
    if kind == PRIVATE:
        gone, outcome = client.anonymize_private_customer(omnium_id), OmniumErasure.ANONYMIZED
    else:
        gone, outcome = client.delete_business_customer(omnium_id), OmniumErasure.DELETED
    outcome = outcome if gone else OmniumErasure.ABSENT
    return {"action": outcome, "omnium": outcome, "customerId": omnium_id, "type": kind, **done}


@registry.on_success(JobKind.CUSTOMER_ERASE)
def forget_erased(job: ExternalSyncJob, result: dict[str, Any]) -> None:
    """The integration forgets the person, with the erasure job's success."""
    if result.get("erasure"):
        settle_erasure(result)


def _is_company(extension: TenantExtension, job: ExternalSyncJob) -> bool:
    record = get_adapter().customer_for_export(extension.tenant_id, job.object_id)
    return record is not None and record.kind == CustomerKind.COMPANY


def _refuse_someone_elses(
    extension: TenantExtension,
    row: OmniumIdentity | None,
    current: dict[str, Any],
    omnium_id: str,
) -> None:
    """Never anonymise a customer Omnium holds as another Flow customer's.

    The map's confirmed id, or an id Flow had from Omnium, is this customer's; an id
    chosen but never confirmed is, unless the customer there says it is someone else.
    """
    if row is None or row.confirmed_at is not None:
        return
    options = export_options(extension)
    owner = owner_of(current, options, "CustomerUid")
    if owner and not is_ours(current, options, "CustomerUid", row.flow_uid):
        raise PermanentError(
            f"Omnium customer {omnium_id} is Flow customer {owner}'s, not the erased "
            "customer's: nothing was anonymised. Find the erased customer's Omnium id and "
            "anonymise it there."
        )

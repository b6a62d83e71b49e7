"""What the outbound (Flow -> Omnium) handlers share: the tenant, its options, results."""

from __future__ import annotations

from typing import Any

from ..conf import app_settings
from ..exceptions import PermanentError
from ..mapping.options import ExportOptions
from ..models import ExternalSyncJob, TenantExtension


def active_extension(job: ExternalSyncJob) -> TenantExtension:
    """The job's tenant extension; a job of a deactivated tenant fails with a clear reason.

    It stays in the job list, so after reactivating the extension an operator can
    retry it (admin "retry now" or ``omnium_jobs --retry-failed``).
    """
    extension = job.extension
    if not extension.is_active:
        raise PermanentError(
            "The tenant's Omnium extension is not active; nothing was sent. "
            "Activate the extension and retry the job."
        )
    return extension


def export_options(extension: TenantExtension) -> ExportOptions:
    """The tenant's ``OMNIUM_*`` parameters and the app settings the mappers use."""
    return ExportOptions(
        property_prefix=extension.property_prefix,
        default_shipping_method_id=extension.default_shipping_method_id,
        customer_market_group_id=extension.customer_market_group_id,
        loyalty_id_property_key=extension.customer_loyalty_id_property_key,
        pos_order_type=app_settings.POS_ORDER_TYPE,
        completed_status=app_settings.ORDER_COMPLETED_STATUS,
        cancelled_status=app_settings.ORDER_CANCELLED_STATUS,
    )


def skipped(reason: str, **more: Any) -> dict[str, Any]:
    """The result of a job that found nothing to send (kept on the job for the operator)."""
    return {"action": "none", "reason": reason, **more}

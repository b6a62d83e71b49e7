"""Reading and updating Flow customers for the outbound customer sync (Flow -> Omnium)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from ..conf import get_customer_model
from ..mapping.records import CustomerKind, CustomerRecord


class CustomerAdapterMixin:
    """Flow customers as :class:`CustomerRecord`, and storing their Omnium id back."""

    CUSTOMER_KINDS = {"COMPANY": CustomerKind.COMPANY, "B2B": CustomerKind.COMPANY}

    def customer_kind(self, customer: Model) -> CustomerKind:
        return self.CUSTOMER_KINDS.get(customer.type, CustomerKind.PERSON)

    def customer_export_due(self, customer: Model) -> bool:
        """Every save of a customer is pushed (Flow: "in real time" on create and update)."""
        return True

    def customer_for_export(self, tenant_id: Any, pk: Any) -> CustomerRecord | None:
        customer = (
            get_customer_model()
            .objects.select_related("tenant")
            .filter(tenant_id=tenant_id, pk=pk)
            .first()
        )
        return None if customer is None else self.customer_record(customer)

    def customer_record(self, customer: Model) -> CustomerRecord:
        return CustomerRecord(
            pk=customer.pk,
            uid=customer.uid,
            kind=self.customer_kind(customer),
            tenant_country_code=customer.tenant.country_code,
            first_name=customer.first_name,
            last_name=customer.last_name,
            display_name=customer.display_name,
            company_name=customer.company_name,
            vat_number=customer.vat_number,
            contact_person_name=customer.contact_person_name,
            contact_person_email=customer.contact_person_email,
            email=customer.email,
            mobile=customer.mobile,
            address=customer.address,
            city=customer.city,
            postal_code=customer.postal_code,
            country_code=customer.country_code,
            loyalty_id=customer.loyalty_id,
            external_id=customer.external_id,
            created_at=customer.created_at,
            last_modified_at=customer.last_modified_at,
            last_modified_by=customer.last_modified_by,
        )

    def store_customer_external_id(self, tenant_id: Any, pk: Any, external_id: str) -> bool:
        """Record the customer's Omnium id; ``False`` if it already had one (left alone).

        A queryset update: it fires no ``post_save``, so storing the id does not send the
        customer to Omnium again. Callers also wrap it in ``capture_suppressed()``.
        """
        updated = (
            get_customer_model()
            .objects.filter(tenant_id=tenant_id, pk=pk, external_id="")
            .update(external_id=external_id)
        )
        return bool(updated)

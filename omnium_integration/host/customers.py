"""Reading and writing Flow customers: the export (Flow -> Omnium), the customer import
(Omnium -> Flow) and erasures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model

from ..conf import get_customer_model
from ..mapping.records import CustomerKind, CustomerRecord


class CustomerAdapterMixin:
    """Flow customers as :class:`CustomerRecord`, their synced fields, and their erasure."""

    CUSTOMER_KINDS = {"COMPANY": CustomerKind.COMPANY, "B2B": CustomerKind.COMPANY}
    # Fields whose values say who the customer is: searched for and scrubbed from the
    # integration's rows when the customer is erased (docs/operations.md#gdpr-erasure).
    # City, postal code and country alone name nobody and are not searched for.
    PERSONAL_FIELDS = (
        "first_name",
        "last_name",
        "display_name",
        "company_name",
        "vat_number",
        "contact_person_name",
        "contact_person_email",
        "email",
        "mobile",
        "address",
        "loyalty_id",
    )
    # Who an import from Omnium is recorded as (the customer's "last modified by").
    IMPORTED_BY = "Omnium"

    def customer_kind(self, customer: Model) -> CustomerKind:
        return self.CUSTOMER_KINDS.get(customer.type, CustomerKind.PERSON)

    def customer_export_due(self, customer: Model) -> bool:
        """Every save of a customer is pushed (Flow: "in real time" on create and update),
        except an erased customer's: its erasure is a job of its own."""
        return not self.customer_is_erased(customer)

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
            is_erased=self.customer_is_erased(customer),
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

    # --- the customer import and the merge ------------------------------------------------

    def customer_omnium_id(self, customer: Model) -> str:
        """The id Flow keeps for the customer in Omnium ("" if none)."""
        return customer.external_id

    def customer_changed_at(self, customer: Model) -> datetime | None:
        """When the customer last changed in Flow (a later Omnium change wins a field)."""
        return customer.last_modified_at

    def customer_field_values(self, customer: Model, fields: tuple[str, ...]) -> dict[str, str]:
        """The customer's values of ``fields`` (Flow field names), "" for none."""
        return {name: getattr(customer, name) or "" for name in fields}

    def locked_customer(self, tenant_id: Any, pk: Any) -> Model | None:
        """The customer, its row locked until the caller's transaction ends."""
        customers = get_customer_model().objects.select_for_update()
        return customers.filter(tenant_id=tenant_id, pk=pk).first()

    def update_customer_fields(self, customer: Model, changes: dict[str, str]) -> list[str]:
        """Write Omnium's changes onto the customer; return the fields that changed."""
        model = type(customer)
        changed = []
        for name, value in changes.items():
            limit = getattr(model._meta.get_field(name), "max_length", None)
            value = value[:limit] if limit else value
            if getattr(customer, name) != value:
                setattr(customer, name, value)
                changed.append(name)
        if changed:
            customer.last_modified_by = self.IMPORTED_BY
            customer.save(update_fields=[*changed, "last_modified_by", "last_modified_at"])
        return changed

    # --- erasure ------------------------------------------------------------------------

    def customer_is_erased(self, customer: Model) -> bool:
        """Whether Flow erased the customer's personal data (its erase action)."""
        return getattr(customer, "erased_at", None) is not None

    def stored_customer(self, customer: Model) -> Model | None:
        """The customer's row as the database holds it now (before a pending save)."""
        return type(customer)._default_manager.filter(pk=customer.pk).first()

    def personal_values(self, customer: Model) -> list[str]:
        """What says who the customer is, to be searched for when it is forgotten."""
        values = [getattr(customer, name, "") or "" for name in self.PERSONAL_FIELDS]
        first, last = getattr(customer, "first_name", ""), getattr(customer, "last_name", "")
        return [*values, f"{first} {last}".strip()]

    def erase_customer(self, customer: Model, *, by: str) -> None:
        """Flow's erase action, for a customer Omnium anonymised or deleted."""
        customer.erase(by=by)

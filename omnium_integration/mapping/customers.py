"""Flow customers -> Omnium private and business customers (Flow docs, Customers page).

| Omnium               | private customer            | business customer              |
|----------------------|-----------------------------|--------------------------------|
| customerId           | Omnium id, else Flow UID    | same                           |
| name fields          | firstName, lastName,        | name = company name            |
|                      | fullName = display name     |                                |
| taxId                | -                           | VAT / organisation number      |
| address.countryCode  | the TENANT's country        | the customer's own country     |
| customerNumber       | loyalty id                  | loyalty id                     |
| marketGroupId        | OMNIUM_CUSTOMER_MARKET_GROUP_ID                              |
"""

from __future__ import annotations

from typing import Any

from ..transform import omnium_datetime, sanitize_uid
from .common import compact, properties
from .options import ExportOptions
from .records import CustomerKind, CustomerRecord


def omnium_customer_id(customer: CustomerRecord) -> str:
    """The customer's id in Omnium: the map's, else the one Omnium holds, else the UID."""
    return customer.omnium_id or customer.external_id or sanitize_uid(customer.uid)


def is_business(customer: CustomerRecord) -> bool:
    return customer.kind == CustomerKind.COMPANY


def customer_document(customer: CustomerRecord, options: ExportOptions) -> dict[str, Any]:
    """The Omnium document for ``customer``: business for companies, private otherwise."""
    if is_business(customer):
        return business_customer(customer, options)
    return private_customer(customer, options)


def private_customer(customer: CustomerRecord, options: ExportOptions) -> dict[str, Any]:
    """An ``OmniumPrivateCustomer``; the address carries the tenant's country (Flow's rule)."""
    return compact(
        {
            "customerId": omnium_customer_id(customer),
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "fullName": customer.name,
            "email": customer.email,
            "phone": customer.mobile,
            "address": _address(customer, customer.tenant_country_code),
            **_shared(customer, options),
        }
    )


def business_customer(customer: CustomerRecord, options: ExportOptions) -> dict[str, Any]:
    """An ``OmniumBusinessCustomer``; the address carries the customer's own country.

    A company without a country of its own falls back to the tenant's country.
    """
    name = customer.company_name or customer.name
    country = customer.country_code or customer.tenant_country_code
    return compact(
        {
            "customerId": omnium_customer_id(customer),
            "name": name,
            "email": customer.email,
            "phone": customer.mobile,
            "taxId": customer.vat_number,
            "address": compact({**_address(customer, country), "name": name}),
            **_shared(customer, options),
        }
    )


def _address(customer: CustomerRecord, country_code: str) -> dict[str, Any]:
    return compact(
        {
            "line1": customer.address,
            "city": customer.city,
            "postalCode": customer.postal_code,
            "countryCode": (country_code or "").upper(),
        }
    )


def _shared(customer: CustomerRecord, options: ExportOptions) -> dict[str, Any]:
    external_ids = []
    if customer.loyalty_id and options.loyalty_id_property_key:
        # The loyalty programme's own id, keyed the way the inbound side looks it up.
        external_ids.append(
            {"id": customer.loyalty_id, "providerName": options.loyalty_id_property_key}
        )
    return {
        # Whose the Omnium customer is, for the check before a create's 409 is taken as ours.
        "properties": properties(options, CustomerUid=customer.uid, TenantUid=options.tenant_uid),
        "customerNumber": customer.loyalty_id,
        "marketGroupId": options.customer_market_group_id,
        "externalIds": external_ids,
        "created": omnium_datetime(customer.created_at),
        "modified": omnium_datetime(customer.last_modified_at),
        "modifiedBy": customer.last_modified_by,
    }

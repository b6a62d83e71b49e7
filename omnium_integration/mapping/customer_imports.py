"""Omnium customers -> Flow customer fields (Flow docs, Customers; the outbound mapping inverted).

Used when an imported order names a customer Flow does not have (from Omnium's private or
business customer record when it has one, else from the order's own customer details), and
by the customer import, which merges Omnium's values into the Flow customer field by field.
"""

from __future__ import annotations

from typing import Any

from .common import join, text


def customer_values(kind: str, data: dict[str, Any], *, loyalty_key: str = "") -> dict[str, Any]:
    """Flow customer fields from an Omnium private or business customer.

    The outbound mapping of docs/flow.md#customers, inverted.
    """
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    values: dict[str, Any] = {
        "email": text(data.get("email")),
        "mobile": text(data.get("phone")),
        "address": text(address.get("line1")),
        "city": text(address.get("city")),
        "postal_code": text(address.get("postalCode")),
        "country_code": text(address.get("countryCode")).upper()[:2],
        "loyalty_id": loyalty_id(data, loyalty_key),
    }
    if kind == "business":
        contacts = [c for c in data.get("contacts") or [] if isinstance(c, dict)]
        contact = next((c for c in contacts if c.get("isPrimaryContact")), None) or (
            contacts[0] if contacts else {}
        )
        name = text(data.get("name"))
        values |= {
            "type": "COMPANY",
            "company_name": name,
            "display_name": name,
            "vat_number": text(data.get("taxId")),
            "contact_person_name": join(contact.get("firstName"), contact.get("lastName")),
            "contact_person_email": text(contact.get("email")),
        }
    else:
        first, last = text(data.get("firstName")), text(data.get("lastName"))
        values |= {
            "type": "PERSON",
            "first_name": first,
            "last_name": last,
            "display_name": text(data.get("fullName")) or join(first, last),
        }
    return values


def is_anonymized(customer: dict[str, Any], member: str) -> bool:
    """Whether Omnium anonymised the customer: ``member`` (``ANONYMIZED_CUSTOMER_MEMBER``)
    is true. Omnium documents that it marks anonymised customers, not how
    (docs/omnium-api.md#customers)."""
    value = customer.get(member)
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def customer_values_from_order(order: dict[str, Any]) -> dict[str, Any]:
    """Flow customer fields from the order itself, for a customer Omnium has no record of."""
    billing = order.get("billingAddress") if isinstance(order.get("billingAddress"), dict) else {}
    company = text(order.get("customerType")).upper() == "B2B"
    name = text(order.get("customerName")) or text(billing.get("name"))
    values: dict[str, Any] = {
        "type": "COMPANY" if company else "PERSON",
        "display_name": name,
        "email": text(order.get("customerEmail")) or text(billing.get("email")),
        "mobile": text(order.get("customerPhone")) or text(billing.get("phone")),
        "address": text(billing.get("line1")),
        "city": text(billing.get("city")),
        "postal_code": text(billing.get("postalCode")),
        "country_code": text(billing.get("countryCode")).upper()[:2],
    }
    if company:
        values |= {
            "company_name": text(billing.get("organization")) or name,
            "vat_number": text(billing.get("organizationalNumber")),
        }
    else:
        values |= {
            "first_name": text(billing.get("firstName")),
            "last_name": text(billing.get("lastName")),
        }
    return values


def loyalty_id(customer: dict[str, Any], key: str) -> str:
    """The customer's loyalty id.

    With ``OMNIUM_CUSTOMER_LOYALTY_ID_PROPERTY_KEY`` set (e.g. ``Voyado``): the
    ``externalIds`` entry of that provider, else the property with that key, else "".
    Unset: ``customerNumber``, the field Flow fills from its loyalty id on the way out.
    """
    if not key:
        return text(customer.get("customerNumber"))
    wanted = key.strip().lower()
    for entry in customer.get("externalIds") or []:
        if isinstance(entry, dict) and text(entry.get("providerName")).lower() == wanted:
            return text(entry.get("id"))
    for entry in customer.get("properties") or []:
        if isinstance(entry, dict) and text(entry.get("key")).lower() == wanted:
            return text(entry.get("value"))
    return ""


def personal_values(customer: dict[str, Any]) -> list[str]:
    """What in an Omnium customer says who it is: names, contact details, address lines,
    its contacts', its loyalty number and external ids (to scrub when it is forgotten)."""
    values = [
        text(customer.get(key))
        for key in ("firstName", "lastName", "fullName", "name", "email", "phone")
    ]
    values += [text(customer.get("customerNumber")), text(customer.get("taxId"))]
    values.append(join(customer.get("firstName"), customer.get("lastName")))
    addresses = [customer.get("address"), *(customer.get("addresses") or [])]
    for address in addresses:
        if isinstance(address, dict):
            values += [text(address.get(key)) for key in ("name", "line1", "line2", "email")]
            values.append(text(address.get("phone")))
    for contact in customer.get("contacts") or []:
        if isinstance(contact, dict):
            values += [text(contact.get(key)) for key in ("firstName", "lastName", "email")]
            values += [
                text(contact.get("phone")),
                join(contact.get("firstName"), contact.get("lastName")),
            ]
    for entry in customer.get("externalIds") or []:
        if isinstance(entry, dict):
            values.append(text(entry.get("id")))
    return [value for value in values if value]

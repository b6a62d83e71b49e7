"""Private and business customers: what Omnium's customer endpoints do to a tenant's data.

Documented (docs/omnium-api.md#customers), and done here:

* ``customerId`` is required and unique; a create with an existing id answers 409.
* ``POST …/Update`` replaces the customer; ``PATCH …/PatchPrivateCustomer`` and
  ``…/PatchBusinessCustomer`` change only the members sent; ``PUT …/AddOrUpdateMany``
  adds or updates at most 100 customers.
* ``DELETE /api/PrivateCustomers/{id}`` deletes a private customer and
  ``DELETE /api/PrivateCustomers/Anonymize?id=`` anonymises one: its personal data goes,
  the customer and its orders stay, and it cannot be undone. Business customers have no
  anonymisation: Omnium's guidance for them is deletion, ``DELETE /api/BusinessCustomers/{id}``.
* Events, with Omnium's operation ids: 330100 ApiAddPrivateCustomer, 330101
  ApiUpdatePrivateCustomer, 330113 ApiPrivateCustomerPatch, 330118
  ApiUpdateManyPrivateCustomers, 330200 ApiAddBusinessCustomer, 330201
  ApiUpdateBusinessCustomer, 330210 ApiBusinessCustomerPatch, 330215
  ApiUpdateManyBusinessCustomer.

Choices where Omnium is silent:

* ``Update`` and the patches answer 404 for an unknown id; a patch replaces each top-level
  member it sends, except ``properties`` and ``externalIds``, which are merged by key
  (as ``PatchOrder`` does); a patch that changes nothing changes nothing (no version, no
  event). Both deletes answer 200 without a body, 404 for an unknown id; anonymising an
  anonymised customer answers 200 and changes nothing.
* What an anonymised customer looks like: the same ``customerId``, ``marketId``,
  ``marketGroupId``, ``storeIds`` and ``created``, a new ``modified`` and ``versionId``,
  ``isAnonymized: true``, and none of the members in :data:`PERSONAL_MEMBERS` (names,
  e-mail, phone, addresses, birth date, loyalty number, external ids, properties, consents,
  tags, contacts). Omnium says anonymisation keeps order records "without personal data": the
  customer's orders keep their ``customerId`` and lose ``customerName``, ``customerEmail``,
  ``customerPhone``, ``customerNumber`` and the personal members of their billing and
  shipment addresses (no order event is sent for that).
* The events of a delete and an anonymisation, for which Omnium publishes no operation
  id: category ``Deleted`` with 330102 (private) or 330202 (business), and category
  ``Anonymized`` with 330103. The envelope of an anonymised customer carries no tags and
  no external ids.
"""

from __future__ import annotations

import copy
from typing import Any

from .common import (
    ApiError,
    Event,
    Validator,
    not_found,
    problem,
    require_list,
    require_object,
)

CUSTOMER_BATCH_LIMIT = 100

# Omnium's operation ids of each customer call (docs/omnium-api.md#customers), and the
# sandbox's own for the two it publishes none for.
OPERATIONS = {
    "private": {"create": 330100, "update": 330101, "patch": 330113, "many": 330118},
    "business": {"create": 330200, "update": 330201, "patch": 330210, "many": 330215},
}
DELETED = {"private": 330102, "business": 330202}
ANONYMIZED = 330103

# Members an anonymisation removes from a customer (the sandbox's reading of "all
# personal data": names, contact details, addresses and anything free-form).
PERSONAL_MEMBERS = (
    "firstName",
    "lastName",
    "fullName",
    "name",
    "email",
    "phone",
    "address",
    "addresses",
    "birthDate",
    "gender",
    "customerNumber",
    "externalIds",
    "properties",
    "consents",
    "tags",
    "contacts",
    "taxId",
)
ORDER_PERSONAL_MEMBERS = ("customerName", "customerEmail", "customerPhone", "customerNumber")
ADDRESS_PERSONAL_MEMBERS = (
    "name",
    "firstName",
    "lastName",
    "line1",
    "line2",
    "email",
    "phone",
    "mobilePhone",
    "organization",
)
# Members a patch names the customer by, not data to set.
PATCH_CONTROL = {"customerId", "id"}


def class_name(kind: str) -> str:
    return "PrivateCustomer" if kind == "private" else "BusinessCustomer"


class CustomerData:
    """The customer part of :class:`~omnium_sandbox.store.TenantData` (a mixin)."""

    private_customers: dict[str, dict]
    business_customers: dict[str, dict]
    orders: dict[str, dict]

    def _customers(self, kind: str) -> dict[str, dict]:
        return self.private_customers if kind == "private" else self.business_customers

    def validate_customer(self, kind: str, body: Any) -> dict:
        customer = copy.deepcopy(require_object(body))
        v = Validator()
        v.string(customer, "customerId", required=True)
        self._check_customer_members(v, kind, customer)
        v.check()
        return customer

    def _check_customer_members(self, v: Validator, kind: str, customer: dict) -> None:
        names = ("customerNumber", "email", "phone", "marketId", "marketGroupId")
        for key in names + (("firstName", "lastName") if kind == "private" else ("name", "taxId")):
            v.string(customer, key)
        for key in ("properties", "externalIds", "tags", "storeIds", "addresses"):
            v.array(customer, key)
        v.object(customer, "address")
        v.boolean(customer, "isGlobal")
        if kind == "business":
            for path, contact in v.items(v.array(customer, "contacts") or [], "Contacts"):
                for key in ("id", "firstName", "lastName", "email", "phone", "privateCustomerId"):
                    v.string(contact, key, path)
            v.number(customer, "creditLimit")

    def _save_customer(
        self, kind: str, customer: dict, previous: dict | None, origin: str, action: str = ""
    ) -> dict:
        if kind == "private":
            full = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)
            customer["fullName"] = full or None
        self._stamp(customer, previous)
        self._customers(kind)[customer["customerId"]] = customer
        created = previous is None
        action = action or ("create" if created else "update")
        self._customer_event(
            kind,
            customer,
            "Created" if created else "Updated",
            OPERATIONS[kind][action],
            f"{class_name(kind)} {'added' if created else 'updated'}",
            origin,
        )
        return customer

    def _customer_event(
        self, kind: str, customer: dict, category: str, operation: int, message: str, origin: str
    ) -> None:
        self._event(
            Event(
                class_name=class_name(kind),
                object_id=customer["customerId"],
                category=category,
                operation_id=operation,
                message=message,
                origin=origin,
                market=customer.get("marketId") or "",
                tags=list(customer.get("tags") or []),
                external_ids=list(customer.get("externalIds") or []),
            )
        )

    def create_customer(self, kind: str, body: Any, origin: str) -> dict:
        customer = self.validate_customer(kind, body)
        if customer["customerId"] in self._customers(kind):
            raise ApiError(
                409,
                problem(
                    409, detail=f"A customer with id '{customer['customerId']}' already exists."
                ),
            )
        return self._save_customer(kind, customer, None, origin)

    def update_customer(self, kind: str, body: Any, origin: str) -> dict:
        customer = self.validate_customer(kind, body)
        previous = self._customers(kind).get(customer["customerId"])
        if previous is None:
            raise not_found("Customer", customer["customerId"])
        return self._save_customer(kind, customer, previous, origin)

    def patch_customer(self, kind: str, body: Any, origin: str) -> dict:
        """Change the members sent (``properties`` and ``externalIds`` merged by key)."""
        patch = self.validate_customer(kind, body)
        previous = self.get_customer(kind, patch["customerId"])
        updated = copy.deepcopy(previous)
        for key, value in patch.items():
            if key in PATCH_CONTROL:
                continue
            if key in ("properties", "externalIds") and value is not None:
                value = _merge_by_key(updated.get(key) or [], value, key)
            updated[key] = value
        if updated == previous:
            return previous
        return self._save_customer(kind, updated, copy.deepcopy(previous), origin, "patch")

    def add_or_update_customers(self, kind: str, body: Any, origin: str) -> None:
        """``PUT …/AddOrUpdateMany``: at most 100, all validated before any is saved."""
        items = require_list(body, CUSTOMER_BATCH_LIMIT, "customers")
        v = Validator()
        for path, item in v.items(items, "$"):
            v.string(item, "customerId", path, required=True)
        v.check()
        customers = [self.validate_customer(kind, item) for item in items]
        for customer in customers:
            previous = self._customers(kind).get(customer["customerId"])
            self._save_customer(kind, customer, previous, origin, "many")

    def get_customer(self, kind: str, customer_id: str) -> dict:
        customer = self._customers(kind).get(customer_id)
        if customer is None:
            raise not_found("Customer", customer_id)
        return customer

    def delete_customer(self, kind: str, customer_id: str, origin: str) -> None:
        """Gone for good: later GETs answer 404. The customer's orders are left as they are."""
        customer = self.get_customer(kind, customer_id)
        del self._customers(kind)[customer_id]
        self._customer_event(
            kind, customer, "Deleted", DELETED[kind], f"{class_name(kind)} deleted", origin
        )

    def anonymize_customer(self, customer_id: str, origin: str) -> None:
        """A private customer without its personal data, and its orders without theirs."""
        if not customer_id:
            raise ApiError(
                400,
                problem(
                    400,
                    "One or more validation errors occurred.",
                    errors={"id": ["The id field is required."]},
                ),
            )
        previous = self.get_customer("private", customer_id)
        if previous.get("isAnonymized"):
            return
        customer = {k: v for k, v in previous.items() if k not in PERSONAL_MEMBERS}
        customer["isAnonymized"] = True
        self._stamp(customer, previous)
        self.private_customers[customer_id] = customer
        for order in self.orders.values():
            if order.get("customerId") == customer_id:
                _anonymize_order(order)
        self._customer_event(
            "private", customer, "Anonymized", ANONYMIZED, "PrivateCustomer anonymized", origin
        )


def _merge_by_key(old: list, new: Any, member: str) -> Any:
    if not isinstance(new, list):
        return new
    key = "key" if member == "properties" else "providerName"
    merged = {item.get(key) if isinstance(item, dict) else id(item): item for item in old}
    for item in new:
        merged[item.get(key) if isinstance(item, dict) else id(item)] = item
    return list(merged.values())


def _anonymize_order(order: dict) -> None:
    for member in ORDER_PERSONAL_MEMBERS:
        order.pop(member, None)
    shipments = (order.get("orderForm") or {}).get("shipments") or []
    addresses = [order.get("billingAddress")]
    addresses += [s.get("address") for s in shipments if isinstance(s, dict)]
    for address in addresses:
        if isinstance(address, dict):
            for member in ADDRESS_PERSONAL_MEMBERS:
                address.pop(member, None)

"""The customer endpoints of :class:`~omnium_sandbox.api.FakeOmniumApi` (a mixin).

Each handler takes the keyword arguments every handler gets (``params``, ``query``,
``headers``, ``body``, ``user``) and answers through the API's ``_locked``, so only the
data change runs under the sandbox's lock. What each call does to the data is in
:mod:`.customers`.
"""

from __future__ import annotations

from typing import Any


class CustomerHandlers:
    """``/api/PrivateCustomers`` and ``/api/BusinessCustomers``."""

    def _customer_write(self, kind: str, action: str, origin: str, body: bytes, user, status=200):
        data, payload = self._data(user), self._json(body)
        method = {
            "create": data.create_customer,
            "update": data.update_customer,
            "patch": data.patch_customer,
            "many": data.add_or_update_customers,
        }[action]
        return self._locked(lambda: method(kind, payload, origin), status)

    # --- private customers --------------------------------------------------------------

    def _h_create_private(self, *, body, user, **_: Any):
        return self._customer_write(
            "private", "create", "POST /api/PrivateCustomers", body, user, 201
        )

    def _h_update_private(self, *, body, user, **_: Any):
        origin = "POST /api/PrivateCustomers/Update"
        return self._customer_write("private", "update", origin, body, user)

    def _h_patch_private(self, *, body, user, **_: Any):
        origin = "PATCH /api/PrivateCustomers/PatchPrivateCustomer"
        return self._customer_write("private", "patch", origin, body, user)

    def _h_many_private(self, *, body, user, **_: Any):
        origin = "PUT /api/PrivateCustomers/AddOrUpdateMany"
        return self._customer_write("private", "many", origin, body, user)

    def _h_get_private(self, *, params, user, **_: Any):
        return self._locked(lambda: self._data(user).get_customer("private", params["id"]))

    def _h_delete_private(self, *, params, user, **_: Any):
        data, origin = self._data(user), "DELETE /api/PrivateCustomers/{id}"
        return self._locked(lambda: data.delete_customer("private", params["id"], origin))

    def _h_anonymize_private(self, *, query, user, **_: Any):
        data, origin = self._data(user), "DELETE /api/PrivateCustomers/Anonymize"
        return self._locked(lambda: data.anonymize_customer(query.get("id", ""), origin))

    # --- business customers -------------------------------------------------------------

    def _h_create_business(self, *, body, user, **_: Any):
        return self._customer_write(
            "business", "create", "POST /api/BusinessCustomers", body, user, 201
        )

    def _h_update_business(self, *, body, user, **_: Any):
        origin = "POST /api/BusinessCustomers/Update"
        return self._customer_write("business", "update", origin, body, user)

    def _h_patch_business(self, *, body, user, **_: Any):
        origin = "PATCH /api/BusinessCustomers/PatchBusinessCustomer"
        return self._customer_write("business", "patch", origin, body, user)

    def _h_many_business(self, *, body, user, **_: Any):
        origin = "PUT /api/BusinessCustomers/AddOrUpdateMany"
        return self._customer_write("business", "many", origin, body, user)

    def _h_get_business(self, *, params, user, **_: Any):
        return self._locked(lambda: self._data(user).get_customer("business", params["id"]))

    def _h_delete_business(self, *, params, user, **_: Any):
        data, origin = self._data(user), "DELETE /api/BusinessCustomers/{id}"
        return self._locked(lambda: data.delete_customer("business", params["id"], origin))

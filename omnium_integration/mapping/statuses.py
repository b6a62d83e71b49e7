"""Omnium's order statuses that the integration reads (docs/omnium-api.md#orders).

Statuses are configured per order type in Omnium; these built-in ones mean an order is
cancelled, whichever way it got there. Compared case-insensitively: Omnium's own examples
spell values inconsistently.
"""

from __future__ import annotations

CANCELLED_STATUSES = frozenset(
    {
        "OrderCanceled",
        "OrderCanceledByCustomer",
        "OrderCanceledByStore",
        "Expired",
        "NotCollected",
        "Deleted",
    }
)
_CANCELLED = frozenset(status.lower() for status in CANCELLED_STATUSES)


def is_cancel_status(status: object, also: str = "") -> bool:
    """Whether ``status`` is one of Omnium's cancellation statuses (or ``also``)."""
    text = str(status or "").strip().lower()
    return bool(text) and (text in _CANCELLED or text == also.strip().lower())

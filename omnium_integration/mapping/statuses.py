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


# A completed POS sale may move on in Omnium without anyone undoing it: picked up, closed,
# or (partly) returned. None of these asks Flow's sale to be sent again.
DONE_STATUSES = frozenset(
    {"Completed", "PickedUp", "PickedUpAndPaid", "Closed", "Returned", "PartiallyReturned"}
)
_DONE = frozenset(status.lower() for status in DONE_STATUSES)


def is_done_status(status: object, also: str = "") -> bool:
    """Whether ``status`` says the order is completed (or returned since), or is ``also``."""
    text = str(status or "").strip().lower()
    return bool(text) and (text in _DONE or text == also.strip().lower())

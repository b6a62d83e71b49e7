"""Job handlers, one module per sync flow. Importing this package registers them."""

from . import (  # noqa: F401
    inbound_customers,
    inbound_orders,
    outbound_customers,
    outbound_erasures,
    outbound_orders,
    outbound_receipts,
    receivements,
    stock,
)

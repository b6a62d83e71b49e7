"""Job handlers, one module per sync flow. Importing this package registers them."""

from . import outbound_customers, outbound_orders, outbound_receipts  # noqa: F401

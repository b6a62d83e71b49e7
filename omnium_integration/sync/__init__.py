"""Job handlers, one module per sync flow. Importing this package registers them."""

from . import inbound_orders  # noqa: F401

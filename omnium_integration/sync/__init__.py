"""Job handlers, one module per sync flow. Importing this package registers them."""

from . import receivements, stock  # noqa: F401

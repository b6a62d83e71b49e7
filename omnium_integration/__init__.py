"""Two-way sync between the Flow Retail POS platform and the Omnium OMS."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnium-integration")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.0.0+source"

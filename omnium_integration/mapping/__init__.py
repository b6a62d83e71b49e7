"""Pure functions from Flow records to Omnium documents (and back where needed).

No database, no HTTP: each function takes records (:mod:`.records`) and
:class:`~.options.ExportOptions` and returns the JSON-ready dict Omnium expects. Every
money, UID, market and instant rule comes from :mod:`omnium_integration.transform`.
"""

"""The operator's view: tenant parameters, the store flag, the jobs with their history,
and the records the integration keeps (events, imports, stock notes, stock checks)."""

from . import jobs, records, stock, tenants  # noqa: F401  (each registers its ModelAdmins)

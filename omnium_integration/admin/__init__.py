"""The operator's view: tenant parameters, the store flag, the jobs with their history,
the records the integration keeps (events, imports, stock notes, stock checks) and the
reconciliation runs."""

from . import credentials, jobs, reconciliation, records, stock, tenants  # noqa: F401  (each registers its admins)

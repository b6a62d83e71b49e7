"""The operator's view: tenant parameters, the store flag, the jobs with their history,
and the records the integration keeps (events, imports, stock notes)."""

from . import credentials, jobs, records, tenants  # noqa: F401  (each registers its admins)

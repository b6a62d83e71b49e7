"""Signals the app sends, for hosts that want to react (alerting, metrics)."""

from django.dispatch import Signal

# Sent after a job's success is recorded. Arguments: job, result.
job_succeeded = Signal()
# Sent after a job moved to ``failed`` (a permanent error, or attempts exhausted).
# Arguments: job, error.
job_failed = Signal()

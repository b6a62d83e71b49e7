"""Signals the app sends, for hosts that want to react (alerting, metrics).

Alerts (``alerts.py``) mail a digest; these signals reach hosts that page by other means.
"""

from django.dispatch import Signal

# Sent after a job's success is recorded. Arguments: job, result.
job_succeeded = Signal()
# Sent after a job moved to ``failed`` (a permanent error, or attempts exhausted).
# Arguments: job, error.
job_failed = Signal()
# Sent when Omnium refuses a tenant's credentials (the token call, or a token it had just
# issued). Arguments: extension_id, error (one line, no secret).
credentials_failed = Signal()
# Sent when a queue is first seen ``down`` (a due job waiting too long). Arguments: queue,
# reasons.
queue_down = Signal()
# Sent with every alert digest, whether or not mail is configured, for hosts that page by
# other means. Arguments: alerts (a list of ``Alert`` rows).
alert_digest = Signal()

"""Alerts: a failed job, a tenant whose credentials stop working, a queue going down.

Each cause is a row (``Alert``, keyed by ``cause``) raised where it is noticed: the
``job_failed`` signal, the client when Omnium refuses credentials, the health report when
a queue is ``down``. :func:`send_due` mails every cause seen since it was last told, and
told longer than ``ALERT_INTERVAL`` ago, as one digest: to ``ALERT_EMAILS``, or Django's
``ADMINS`` when that is empty. The ``alert_digest`` signal carries the same digest.

The digest is sent by a schedule on each engine every minute (``tasks.send_alerts``)
and by the health endpoint, so alerts keep flowing when both engines are stopped as long
as something probes the endpoint. Two senders at once never send one cause twice: each
claims its rows with a conditional UPDATE first. Texts are one line each and redacted;
job errors are stored redacted already.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins, send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.dispatch import receiver

from . import signals
from .conf import app_settings
from .jobs import clock
from .models import Alert, AlertKind, ExternalSyncJob
from .redaction import redact

logger = logging.getLogger(__name__)


def raise_alert(kind: str, cause: str, summary: str, now: datetime | None = None) -> bool:
    """Note that ``cause`` happened (again); ``True`` when it is a new cause."""
    now = now or clock.now()
    summary = redact(" ".join(summary.split()))[:500]
    seen = Alert.objects.filter(cause=cause)
    if seen.update(last_seen_at=now, occurrences=F("occurrences") + 1, summary=summary):
        return False
    try:
        with transaction.atomic():
            Alert.objects.create(
                cause=cause, kind=kind, summary=summary, first_seen_at=now, last_seen_at=now
            )
    except IntegrityError:  # raised at the same moment elsewhere
        seen.update(last_seen_at=now, occurrences=F("occurrences") + 1)
        return False
    return True


@receiver(signals.job_failed, dispatch_uid="omnium_integration.alerts.job_failed")
def job_failed(sender, job: ExternalSyncJob, error: str, **kwargs) -> None:
    from .job_objects import label

    tenant = _tenant_key(job.extension_id)
    first_line = (error.splitlines() or [""])[0][:300]
    raise_alert(
        AlertKind.FAILED_JOB,
        f"failed_job:{job.pk}",
        f"job #{job.pk} {job.kind} of {label(job)} (tenant {tenant}) failed: {first_line}",
    )


def credentials_refused(extension_id: int, error: str) -> None:
    raise_alert(
        AlertKind.CREDENTIALS,
        f"credentials:{extension_id}",
        f"tenant {_tenant_key(extension_id)}: Omnium refuses its credentials: {error}",
    )


def notice_health(report) -> int:
    """Raise an alert per queue that is ``down``, then send what is due (how many)."""
    from .health import DOWN

    for queue in report.queues:
        if queue.status == DOWN:
            reasons = "; ".join(queue.reasons)
            summary = f"{queue.queue} is down: {reasons}"
            if raise_alert(AlertKind.QUEUE_DOWN, f"queue_down:{queue.queue}", summary):
                signals.queue_down.send(Alert, queue=queue.queue, reasons=queue.reasons)
    return send_due()


def send_due(now: datetime | None = None) -> int:
    """Mail one digest of the causes due to be told; return how many it held."""
    now = now or clock.now()
    quiet = now - timedelta(seconds=float(app_settings.ALERT_INTERVAL))
    due = Alert.objects.filter(
        Q(notified_at__isnull=True) | Q(notified_at__lt=quiet, last_seen_at__gt=F("notified_at"))
    )
    ids = list(due.values_list("pk", flat=True)[:200])
    if not ids:
        return 0
    # Claim: only rows still due become this sender's (a compare-and-swap per row).
    due.filter(pk__in=ids).update(notified_at=now)
    alerts = list(Alert.objects.filter(pk__in=ids, notified_at=now).order_by("kind", "pk"))
    if not alerts:
        return 0
    try:
        _mail(alerts)
    except Exception:
        # Told nobody: leave them due for the next try (the log says why).
        logger.exception("sending the alert digest failed")
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(notified_at=None)
        return 0
    signals.alert_digest.send(Alert, alerts=alerts)
    return len(alerts)


def _mail(alerts: list[Alert]) -> None:
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert.get_kind_display()] = counts.get(alert.get_kind_display(), 0) + 1
    subject = "Omnium integration: " + ", ".join(f"{n} x {kind}" for kind, n in counts.items())
    lines = [f"{len(alerts)} problem(s) need a look:", ""]
    for alert in alerts:
        times = f" ({alert.occurrences} times since {alert.first_seen_at:%Y-%m-%d %H:%M %Z})"
        lines.append(f"- {alert.summary}{times if alert.occurrences > 1 else ''}")
    lines += ["", *_where_to_look()]
    body = redact("\n".join(lines))
    recipients = list(app_settings.ALERT_EMAILS)
    if recipients:
        send_mail(subject, body, settings.SERVER_EMAIL, recipients)
    else:
        mail_admins(subject, body)


def _where_to_look() -> list[str]:
    base = app_settings.PUBLIC_BASE_URL.rstrip("/")
    lines = ["Failed jobs: manage.py omnium_jobs --failed; health: manage.py omnium_jobs."]
    if base:
        from django.urls import NoReverseMatch, reverse

        try:
            jobs = reverse("admin:omnium_integration_externalsyncjob_changelist")
        except NoReverseMatch:
            return lines
        lines.append(f"Admin: {base}{jobs}?status__exact=failed")
    return lines


def _tenant_key(extension_id: int) -> str:
    from .host import get_adapter
    from .models import TenantExtension

    extension = (
        TenantExtension.objects.without_secrets()
        .select_related("tenant")
        .filter(pk=extension_id)
        .first()
    )
    return get_adapter().tenant_key(extension) if extension else f"extension {extension_id}"

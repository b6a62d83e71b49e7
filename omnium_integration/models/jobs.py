"""The durable job store: ``ExternalSyncJob`` and its attempt history.

django-q2 only wakes the engine up; the state and the schedule of every sync live here.
See :mod:`omnium_integration.jobs.manager` for how jobs are claimed and finished.
"""

from __future__ import annotations

from django.db import connections, models
from django.db.models import Q
from django.utils import timezone

from ..enums import ACTIVE_STATUSES, AttemptOutcome, Direction, JobStatus, Queue


class JobSource(models.TextChoices):
    SIGNAL = "signal", "Flow change"
    WEBHOOK = "webhook", "Omnium event"
    POLL = "poll", "Delta poll"
    COMMAND = "command", "Management command"
    ADMIN = "admin", "Admin"
    RECONCILE = "reconcile", "Reconciliation"


class ExternalSyncJobQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Every bulk UPDATE stamps ``updated_at``: ``auto_now`` only acts on ``save()``,
        and the engine changes jobs with UPDATEs only (claim, finish, release...)."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def active(self) -> ExternalSyncJobQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def insert_unless_active(self, job: ExternalSyncJob) -> int | None:
        """INSERT ``job`` unless its object has an active job; return the new id or ``None``.

        One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL, SQLite >= 3.35):
        the partial unique index turns a second active job into a no-op instead of an
        error, so no savepoint is needed inside the caller's transaction.
        """
        connection = connections[self.db]
        meta = self.model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        values = [f.get_db_prep_save(f.pre_save(job, add=True), connection) for f in fields]
        quote = connection.ops.quote_name
        # Identifiers come from the model's meta and every value is a parameter.
        columns = ", ".join(quote(f.column) for f in fields)
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        return row[0] if row else None

    def due(self, queue: str, now) -> ExternalSyncJobQuerySet:
        """Jobs a worker may claim now: pending and due, or running with an expired lease."""
        return self.filter(queue=queue).filter(
            Q(status=JobStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
        )


class ExternalSyncJob(models.Model):
    """One piece of sync work between Flow and Omnium.

    A job names its object (``kind`` + ``object_id``) rather than carrying a snapshot:
    handlers read the object's state when they run, so several changes made while a job
    waits reach Omnium in one call. At most one *active* (pending or running) job exists
    per (extension, kind, object); a change that arrives while the job runs sets ``rerun`` and
    the job runs once more after it finishes.
    """

    queue = models.CharField(max_length=40, choices=Queue.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=40, help_text="See JobKind; one registered handler each.")
    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        on_delete=models.CASCADE,
        related_name="jobs",
        help_text="The Omnium extension of the Flow tenant the job syncs for.",
    )
    object_id = models.CharField(
        max_length=200, help_text="Flow primary key, or the Omnium id for inbound jobs."
    )
    payload = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=JobSource.choices, default=JobSource.SIGNAL)

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts started, in all.")
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed attempts in a row; picks the delay from the retry table."
    )
    next_attempt_at = models.DateTimeField(default=timezone.now)
    rerun = models.BooleanField(
        default=False, help_text="The object changed while the job was running: run it again."
    )

    lease_owner = models.CharField(max_length=200, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExternalSyncJobQuerySet.as_manager()

    class Meta:
        verbose_name = "external sync job"
        # Viewing jobs is Django's view permission; running them again or stopping them
        # is an operator's decision of its own (docs/operations.md#permissions).
        permissions = [("operate_externalsyncjob", "Can retry and cancel Omnium sync jobs")]
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "kind", "object_id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="omnium_one_active_job_per_object",
            ),
        ]
        indexes = [
            models.Index(
                fields=["queue", "next_attempt_at"],
                condition=Q(status=JobStatus.PENDING),
                name="omnium_job_due",
            ),
            models.Index(
                fields=["queue", "lease_expires_at"],
                condition=Q(status=JobStatus.RUNNING),
                name="omnium_job_leased",
            ),
            models.Index(fields=["status", "queue"], name="omnium_job_status"),
            models.Index(fields=["object_id"], name="omnium_job_object"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.object_id} ({self.status})"


class JobAttempt(models.Model):
    """What happened on one attempt of a job: the history operators read in the admin."""

    job = models.ForeignKey(ExternalSyncJob, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=AttemptOutcome.choices)
    error = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "number"]

    def __str__(self) -> str:
        return f"job #{self.job_id} attempt {self.number}: {self.outcome}"

    @property
    def duration_ms(self) -> float:
        return (self.finished_at - self.started_at).total_seconds() * 1000

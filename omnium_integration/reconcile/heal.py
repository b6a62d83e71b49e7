"""Healing: enqueue the existing job that repairs each difference, in its direction.

The jobs are the ordinary ones (``order.export``, ``customer.export``, ``receipt.export``,
``order.import``) with ``source`` "reconcile", so the job list tells them apart. A job
reads its object's current state when it runs, so healing from a report of some days ago
is safe; an object that already has an active job gets no second one (that job runs
again if it is running now).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ..jobs import manager
from ..models import JobSource, TenantExtension
from .differences import Difference, Heal, heal_of

CHUNK = 500  # jobs written per transaction


def heal(
    extension: TenantExtension, differences: Iterable[Difference | dict[str, Any]]
) -> list[dict[str, Any]]:
    """Enqueue one job per repairable object; what was enqueued, in order.

    ``differences``: :class:`Difference` objects or their stored JSON.
    """
    wanted: dict[tuple[str, str], Heal] = {}
    for difference in differences:
        spec = difference.heal if isinstance(difference, Difference) else heal_of(difference)
        if spec is not None:
            wanted.setdefault((spec.job, spec.object_id), spec)
    specs = list(wanted.values())
    done: list[dict[str, Any]] = []
    for start in range(0, len(specs), CHUNK):
        with transaction.atomic():
            for spec in specs[start : start + CHUNK]:
                job_id, created = manager.enqueue(
                    spec.job,
                    extension_id=extension.pk,
                    object_id=spec.object_id,
                    source=JobSource.RECONCILE,
                )
                done.append({**spec.as_json(), "jobId": job_id, "created": created})
    return done

"""A job's object as people know it: its Flow UID and record, and finding jobs by either id.

A job stores ``object_id``: the Flow object's primary key for outbound jobs, the Omnium
id for an import. Operators know a sale by its UID (``POS-DE-0001``) or by its Omnium id
(``POSDE0001``), so the admin, the commands and the alerts translate:

* :func:`describe` gives each job's object as ``JobObject`` (kind of object, UID, the Flow
  record's model and primary key), reading each Flow model once per batch of jobs;
* :func:`jobs_for` finds the jobs of an object named by Flow UID, Omnium id or job id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q

from .conf import get_host_model
from .enums import IdentityKind, JobKind
from .models import ExternalSyncJob, OmniumIdentity

# Outbound kinds: the Flow model (by setting) their object_id is a primary key of.
FLOW_MODELS = {
    JobKind.ORDER_EXPORT: ("ORDER_MODEL", "sale"),
    JobKind.CUSTOMER_EXPORT: ("CUSTOMER_MODEL", "customer"),
    JobKind.RECEIPT_EXPORT: ("ORDER_RECEIPT_MODEL", "receipt"),
    JobKind.RECEIVEMENT_EXPORT: ("RECEIVEMENT_MODEL", "goods reception"),
    JobKind.STOCK_EXPORT: ("STORE_MODEL", "store"),
}
# Identity kinds whose flow_ref is the object_id of jobs of these kinds.
IDENTITY_JOB_KINDS = {
    IdentityKind.ORDER: JobKind.ORDER_EXPORT,
    IdentityKind.RETURN: JobKind.ORDER_EXPORT,
    IdentityKind.CUSTOMER: JobKind.CUSTOMER_EXPORT,
    IdentityKind.INVOICE: JobKind.RECEIPT_EXPORT,
    IdentityKind.DELIVERY: JobKind.RECEIVEMENT_EXPORT,
}


@dataclass(frozen=True)
class JobObject:
    noun: str  # "sale", "customer", "Omnium order"...
    uid: str  # what people call it: a Flow UID, or the Omnium id of an import
    record: Model | None = None  # the Flow record, when there is one

    def __str__(self) -> str:
        return f"{self.noun} {self.uid}"


def _model(key: str):
    try:
        return get_host_model(key)
    except ImproperlyConfigured:
        return None


def describe(jobs: Iterable[ExternalSyncJob]) -> dict[int, JobObject]:
    """Each job's object by job id, with one query per Flow model in ``jobs``."""
    jobs = list(jobs)
    wanted: dict[str, set[str]] = defaultdict(set)
    imports: dict[int, set[str]] = defaultdict(set)
    for job in jobs:
        if job.kind in FLOW_MODELS:
            wanted[FLOW_MODELS[job.kind][0]].add(job.object_id)
        elif job.kind == JobKind.ORDER_IMPORT:
            imports[job.extension_id].add(job.object_id)
    records: dict[tuple[str, str], Model] = {}
    for key, pks in wanted.items():
        model = _model(key)
        if model is not None:
            for record in model.objects.filter(pk__in=[pk for pk in pks if pk.isdigit()]):
                records[(key, str(record.pk))] = record
    imported = _imported_orders(imports)
    described = {}
    for job in jobs:
        if job.kind in FLOW_MODELS:
            key, noun = FLOW_MODELS[job.kind]
            record = records.get((key, job.object_id))
            uid = getattr(record, "uid", None) or f"#{job.object_id}"
            described[job.pk] = JobObject(noun, str(uid), record)
        elif job.kind == JobKind.ORDER_IMPORT:
            record = imported.get((job.extension_id, job.object_id))
            described[job.pk] = JobObject("Omnium order", job.object_id, record)
        else:
            described[job.pk] = JobObject(job.kind, job.object_id)
    return described


def _imported_orders(imports: dict[int, set[str]]) -> dict[tuple[int, str], Model]:
    """The Flow orders that imported Omnium orders became, via the identity map."""
    refs: dict[tuple[int, str], str] = {}
    for extension_id, ids in imports.items():
        rows = OmniumIdentity.objects.filter(
            extension_id=extension_id, kind=IdentityKind.ORDER, omnium_id__in=ids
        ).values_list("omnium_id", "flow_ref")
        refs.update({(extension_id, omnium_id): ref for omnium_id, ref in rows})
    model = _model("ORDER_MODEL")
    if not refs or model is None:
        return {}
    orders = model.objects.in_bulk([int(r) for r in refs.values() if r.isdigit()])
    return {key: orders[int(ref)] for key, ref in refs.items() if int(ref) in orders}


def jobs_for(term: str) -> Q:
    """Jobs whose object is named by ``term``: a Flow UID, an Omnium id, or the object id."""
    term = term.strip()
    match = Q(object_id=term)
    for kind, (key, _noun) in FLOW_MODELS.items():
        model = _model(key)
        if model is None or not any(f.name == "uid" for f in model._meta.fields):
            continue
        pks = [str(pk) for pk in model.objects.filter(uid=term).values_list("pk", flat=True)]
        if pks:
            match |= Q(kind=kind, object_id__in=pks)
    identities = OmniumIdentity.objects.filter(Q(omnium_id=term) | Q(flow_uid=term))
    for extension_id, kind, flow_ref, omnium_id in identities.values_list(
        "extension_id", "kind", "flow_ref", "omnium_id"
    ):
        if kind in IDENTITY_JOB_KINDS:
            match |= Q(extension_id=extension_id, kind=IDENTITY_JOB_KINDS[kind], object_id=flow_ref)
        if kind == IdentityKind.ORDER:  # an imported order's job is named by its Omnium id
            match |= Q(extension_id=extension_id, kind=JobKind.ORDER_IMPORT, object_id=omnium_id)
    return match


def flow_admin_url(record: Model | None) -> str:
    """The Flow record's page in this site's admin, or "" when it has none."""
    if record is None:
        return ""
    from django.urls import NoReverseMatch, reverse

    opts = record._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return ""


def label(job: ExternalSyncJob) -> str:
    """One job's object, for a line of text (one query)."""
    return str(describe([job])[job.pk])

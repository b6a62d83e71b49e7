"""Batch pushes: a JSON object or array of objects, applied all or nothing.

The life of a push::

    parse     every item through the resource's serializer (field rules, sanitising)
    check     duplicates inside the batch (same identity after sanitising), then
              references and rules that need the database (``resolve``)
    apply     upserts in one transaction; unchanged rows are not written

Any invalid item refuses the whole batch with 400 and nothing written::

    {"detail": "2 of 5 items are invalid; nothing was written.",
     "errors": {"1": {"name": ["This field is required."]}, "4": {...}}}

A successful push answers what happened to each item, in order::

    {"created": 1, "updated": 0, "unchanged": 4, "deleted": 0,
     "items": [{"uid": "nike_air", "result": "created"}, ...]}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Any

from django.db import transaction
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from ..base import TenantAPIView
from .fields import DecimalJSONParser

MAX_BATCH_ITEMS = 1000  # the same limit Omnium puts on its own bulk endpoints

Errors = dict[int, dict[str, Any]]


class BatchInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: Errors, count: int):
        invalid = len(errors)
        verb = "is" if invalid == 1 else "are"
        super().__init__(
            {
                "detail": f"{invalid} of {count} items {verb} invalid; nothing was written.",
                "errors": {str(index): errors[index] for index in sorted(errors)},
            }
        )


class BatchTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class BatchView(TenantAPIView):
    """``POST`` or ``PUT`` (both upsert) a batch of one resource.

    Subclasses name the ``item_serializer``, how an item is identified (``key`` and the
    field named in duplicate errors, ``key_field``), and implement ``resolve`` and ``apply``.
    """

    parser_classes = [DecimalJSONParser]
    item_serializer: type[serializers.Serializer]
    key_field: str = ""

    def post(self, request):
        return self.push(request)

    def put(self, request):
        return self.push(request)

    @transaction.atomic
    def push(self, request) -> Response:
        items = self.as_items(request.data)
        context = self.get_serializer_context()
        valid: dict[int, dict[str, Any]] = {}
        errors: Errors = {}
        for index, item in enumerate(items):
            serializer = self.item_serializer(data=item, context=context)
            if serializer.is_valid():
                valid[index] = dict(serializer.validated_data)
            else:
                errors[index] = serializer.errors
        errors.update(self.duplicates(valid))
        errors.update(self.resolve({i: v for i, v in valid.items() if i not in errors}))
        if errors:
            raise BatchInvalid(errors, len(items))
        results = self.apply([valid[index] for index in range(len(items))])
        counts = Counter(result["result"] for result in results)
        deleted = sum(result.get("linesDeleted", 0) for result in results)
        return Response(
            {
                "created": counts["created"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "deleted": deleted,
                "items": results,
            }
        )

    @staticmethod
    def as_items(data) -> list:
        if isinstance(data, dict):
            return [data]
        if not isinstance(data, list):
            raise exceptions.ValidationError(
                {"detail": "Send a JSON object or an array of objects."}
            )
        if len(data) > MAX_BATCH_ITEMS:
            raise BatchTooLarge(
                f"A batch holds at most {MAX_BATCH_ITEMS} items; this one has {len(data)}."
            )
        return data

    def key(self, item: dict[str, Any]) -> Hashable | None:
        """The identity of a valid item (after sanitising); ``None``: no duplicate check."""
        return None

    def duplicates(self, valid: dict[int, dict[str, Any]]) -> Errors:
        seen: dict[Hashable, int] = {}
        errors: Errors = {}
        for index, item in valid.items():
            key = self.key(item)
            if key is None:
                continue
            if key in seen:
                errors[index] = {
                    self.key_field: [
                        f"Same {self.key_field} as item {seen[key]} once sanitised ({key!r})."
                    ]
                }
            else:
                seen[key] = index
        return errors

    def resolve(self, valid: dict[int, dict[str, Any]]) -> Errors:
        """Check what needs the database and annotate the items; errors per index."""
        return {}

    def apply(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write the batch; one result dict (with ``result``) per item, in order."""
        raise NotImplementedError


def lookup(model, uids, **scope) -> dict[str, Any]:
    """``uid -> object`` for the ``uids`` that exist (one query)."""
    uids = set(uids)
    if not uids:
        return {}
    return {obj.uid: obj for obj in model.objects.filter(uid__in=uids, **scope)}


def unknown(field: str, what: str, uid: str) -> dict[str, list[str]]:
    return {field: [f"No {what} with uid {uid!r}; push it first."]}


def overall(outcomes: Iterable[str]) -> str:
    """One item's result from the outcomes of the rows it wrote."""
    outcomes = set(outcomes)
    if "created" in outcomes:
        return "created"
    return "updated" if "updated" in outcomes else "unchanged"


def merge(errors: Errors, index: int, more: dict[str, list[str]]) -> None:
    """Add field errors for ``index`` without dropping earlier ones."""
    target = errors.setdefault(index, {})
    for field, messages in more.items():
        target.setdefault(field, []).extend(messages)

"""Which function handles which job kind, and on which queue it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from ..models import ExternalSyncJob

Handler = Callable[["ExternalSyncJob"], dict[str, Any] | None]
Preparer = Callable[[list["ExternalSyncJob"]], None]
SuccessHook = Callable[["ExternalSyncJob", dict[str, Any]], None]


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    queue: str
    direction: str
    func: Handler


_handlers: dict[str, HandlerSpec] = {}
_preparers: dict[str, Preparer] = {}
_success_hooks: dict[str, SuccessHook] = {}


def handles(kind: str, *, queue: str, direction: str) -> Callable[[Handler], Handler]:
    """Register ``func`` as the handler of ``kind``.

    A handler reads the job's object in its current state, does the sync and returns a
    small dict stored as the job's result (e.g. the Omnium id it created). It raises
    :class:`~omnium_integration.exceptions.RetryableError` or
    :class:`~omnium_integration.exceptions.PermanentError` to fail.
    """

    def register(func: Handler) -> Handler:
        _handlers[str(kind)] = HandlerSpec(str(kind), str(queue), str(direction), func)
        return func

    return register


def prepares(kind: str) -> Callable[[Preparer], Preparer]:
    """Register ``func`` to read ahead for a claimed batch of ``kind`` jobs.

    The engine calls it once per batch, before the first job runs, with the batch's jobs
    of that kind; it may attach what it read to the job objects for the handler, which
    must still work without it. What it reads can only be as old as the claim: a change
    committed after it flags the running job to run again.
    """

    def register(func: Preparer) -> Preparer:
        _preparers[str(kind)] = func
        return func

    return register


def on_success(kind: str) -> Callable[[SuccessHook], SuccessHook]:
    """Register ``func(job, result)`` to run in the transaction that records a ``kind``
    job's success (:func:`.manager.finish`).

    What it writes commits with the success or not at all: the erasure jobs scrub the
    integration's rows this way. If it raises, its writes are rolled back and the job is
    retried on the schedule instead of succeeding.
    """

    def register(func: SuccessHook) -> SuccessHook:
        _success_hooks[str(kind)] = func
        return func

    return register


def get_success_hook(kind: str) -> SuccessHook | None:
    return _success_hooks.get(str(kind))


def get_preparer(kind: str) -> Preparer | None:
    return _preparers.get(str(kind))


def get_handler(kind: str) -> HandlerSpec:
    try:
        return _handlers[str(kind)]
    except KeyError:
        raise ConfigurationError(f"No handler is registered for job kind {kind!r}.") from None


def known_kinds() -> list[str]:
    """Every registered job kind (for validating what operators type)."""
    return sorted(_handlers)

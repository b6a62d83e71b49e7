"""Errors the app raises, classified once so the engine knows what to do with them.

* :class:`RetryableError`: try again later (network trouble, 5xx, 408, 429, a lost race).
  The engine schedules the next attempt from the retry table, or later when the error
  carries ``retry_after`` (Omnium's ``Retry-After``).
* :class:`PermanentError`: retrying will not help until someone changes something
  (a 4xx with Omnium's validation message, a missing parameter, an unknown country).
  The job moves to ``failed`` with the reason and stays there until retried by hand.

Messages never contain credentials or tokens: build them from status codes, paths
without query strings, and Omnium's error body.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class OmniumIntegrationError(Exception):
    """Base class for everything this app raises on purpose."""


class RetryableError(OmniumIntegrationError):
    """A failure that may go away by itself; the job is retried on the schedule."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
    ):
        super().__init__(message)
        self.retry_after = retry_after  # seconds, from Retry-After
        self.status_code = status_code


class WaitingForDependency(RetryableError):
    """The object this job depends on is not in Omnium yet, and its own job is under way.

    Not a failure: the job is due again after ``DEPENDENCY_WAIT`` seconds without moving
    along the retry table (a return waiting for its sale, a receipt for its order).
    """


class PermanentError(OmniumIntegrationError):
    """A failure that needs a person: the job is marked failed with this reason."""

    def __init__(self, message: str, *, status_code: int | None = None, body: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.body = body  # Omnium's error body, kept for the operator


class OmniumConflict(PermanentError):
    """Omnium answered 409: a create with an id that exists, or a concurrent update
    (docs/omnium-api.md#status-codes-and-errors)."""


class DuplicateGoodsReception(PermanentError):
    """Omnium refused a goods reception because some ``goodsReceptionId``s were processed already.

    ``ids`` lists them. The reception they identify is in Omnium, so a handler that sent
    only those ids may treat the reception as done (the idempotency check of
    docs/omnium-api.md#purchase-orders-and-goods-reception).
    """

    def __init__(self, message: str, *, ids: list[str], status_code: int | None = 400, body=""):
        super().__init__(message, status_code=status_code, body=body)
        self.ids = ids


class ConfigurationError(PermanentError, ImproperlyConfigured):
    """A tenant or store parameter is missing or wrong (e.g. no client id)."""


class MappingError(PermanentError):
    """Flow data that cannot be expressed in Omnium's model (e.g. an unknown country)."""


class LeaseLost(OmniumIntegrationError):
    """The worker no longer holds the job's lease; another worker owns the job now."""


class WorkerStopping(BaseException):
    """The worker got SIGTERM: the job stops where it is and goes back to pending.

    A ``BaseException`` (like ``KeyboardInterrupt``), so a handler's broad ``except
    Exception`` cannot swallow it; transactions roll back as for any exception.
    """

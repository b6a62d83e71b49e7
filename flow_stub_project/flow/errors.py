"""Errors of Flow's domain operations; the API turns them into 400 and 409 answers."""

from __future__ import annotations


class FlowError(Exception):
    """Base: ``detail`` is a message, or field name -> messages (nested like DRF's errors)."""

    status_code = 400

    def __init__(self, detail: str | dict):
        super().__init__(detail)
        self.detail = detail


class Invalid(FlowError):
    """The request breaks a rule that needs the database to check (e.g. payments ≠ total)."""


class Conflict(FlowError):
    """The object's state does not allow the operation (completing a cancelled order)."""

    status_code = 409

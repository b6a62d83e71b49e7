"""What every area of a reconciliation shares: the period, the tenant, both sides' readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .differences import Area, Difference

if TYPE_CHECKING:
    from ..host import BaseAdapter
    from ..mapping.options import ExportOptions
    from ..models import TenantExtension
    from .omnium_side import OmniumSide


@dataclass(frozen=True)
class Period:
    """``[since, until)``: aware datetimes."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError(f"The period ends ({self.until}) before it begins ({self.since}).")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.since, self.until

    def widened(self, margin: timedelta) -> Period:
        return Period(self.since - margin, self.until + margin)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until


@dataclass
class AreaResult:
    """What one area found: how many objects it compared, and where they differ."""

    area: Area
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    note: str = ""

    def add(self, difference: Difference | None) -> None:
        self.checked += 1
        if difference is not None:
            self.differences.append(difference)


@dataclass
class Context:
    """One reconciliation of one tenant over one period."""

    extension: TenantExtension
    period: Period
    window: Period  # the period widened by the margin: what is read from Omnium
    options: ExportOptions
    omnium: OmniumSide
    adapter: BaseAdapter
    store_ids: frozenset[str]  # the tenant's stores as Omnium names them

    @property
    def tenant_id(self) -> Any:
        return self.extension.tenant_id

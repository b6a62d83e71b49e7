"""What every area of a reconciliation shares: the period, the tenant, both sides' readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .dates import Period
from .differences import Area, Difference

if TYPE_CHECKING:
    from ..host import BaseAdapter
    from ..mapping.options import ExportOptions
    from ..models import TenantExtension
    from .omnium_side import OmniumSide


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

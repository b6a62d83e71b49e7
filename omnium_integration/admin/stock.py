"""The last stock drift check of each Flow-master store, with "check again" actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from ..models import StockCheck
from .base import ReadOnlyAdmin


@admin.register(StockCheck)
class StockCheckAdmin(ReadOnlyAdmin):
    """Omnium's levels against Flow's at each Flow-master store, as last checked."""

    list_display = (
        "store",
        "checked_at",
        "skus_compared",
        "differences_found",
        "healed",
        "in_flight",
        "state",
    )
    list_filter = ("extension",)
    search_fields = ("store__uid",)
    list_select_related = ("store",)
    fields = (
        "extension",
        "store",
        "checked_at",
        "seconds",
        "skus_compared",
        "in_flight",
        "differences_found",
        "healed",
        "error",
        "difference_table",
    )
    actions = ["check_again", "check_again_and_heal"]

    @admin.display(description="state")
    def state(self, obj: StockCheck) -> str:
        if obj.error:
            return "failed"
        if obj.differences_found and not obj.healed:
            return "differs"
        return "healed" if obj.differences_found else "equal"

    @admin.display(description=f"differences (the first {StockCheck.KEPT})")
    def difference_table(self, obj: StockCheck) -> str:
        if not obj.differences:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((d["sku"], d["flow"], d["omnium"]) for d in obj.differences),
        )
        return format_html(
            "<table><tr><th>SKU</th><th>Flow</th><th>Omnium</th></tr>{}</table>", rows
        )

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Checking (and healing) needs the model's change permission; the page is read-only."""
        return request.user.has_perm("omnium_integration.change_stockcheck")

    @admin.action(description="Check again", permissions=["operate"])
    def check_again(self, request: HttpRequest, queryset) -> None:
        self._check(request, queryset, heal=False)

    @admin.action(
        description="Check again and heal (push Flow's level of differing SKUs)",
        permissions=["operate"],
    )
    def check_again_and_heal(self, request: HttpRequest, queryset) -> None:
        self._check(request, queryset, heal=True)

    def _check(self, request: HttpRequest, queryset, *, heal: bool) -> None:
        from ..host import get_adapter
        from ..sync.stock_check import check_stores

        wanted = set(queryset.values_list("store_id", flat=True))
        stores = [s for s in get_adapter().master_stores() if s.pk in wanted]
        for result in check_stores(stores, heal=heal):
            if result.error:
                self.message_user(
                    request, f"Store {result.store.uid}: failed: {result.error}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    f"Store {result.store.uid}: {len(result.differences)} of {result.compared} "
                    f"SKUs differ" + (f", {result.healed} queued to be healed" if heal else ""),
                    messages.WARNING if result.differences and not heal else messages.INFO,
                )
        if len(stores) < len(wanted):
            self.message_user(
                request,
                "Stores no longer Flow-master (or of an inactive tenant) were not checked.",
                messages.WARNING,
            )

"""Pages of a list with the list's length read in the same query."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable


def _ordering(items: QuerySet) -> tuple[Any, ...]:
    query = items.query
    if query.order_by:
        return tuple(query.order_by)
    return tuple(query.get_meta().ordering or ()) if query.default_ordering else ()


class CountingPaginator(Paginator):
    """Django's Paginator, but a page of a query set comes with the number of items in the
    same query (``COUNT(*) OVER ()``): the database finds the matching rows once instead of
    twice (a count, then the page). A number out of range, or an empty list, is handled
    as Django does (a count, then the last page).

    ``totals`` (name → aggregate) are figures of the whole list read the same way, found in
    ``paginator.totals`` after ``get_page`` (an aggregate query of their own when the page
    is out of range).

    The page is sorted by its length first (the same on every row, so the order is the
    list's own): a count over the whole list reads every row whatever the page, but
    PostgreSQL costs the page's LIMIT as if it could stop early, and so walks an index in
    list order testing each row's filters one by one (100 ms instead of 6 for a team's
    to-do list at the reference size). Sorting by the count leaves it no early stop to
    count on, and it picks the plan that is quickest for the whole list."""

    def __init__(
        self, object_list: Any, per_page: int, *, totals: dict[str, Any] | None = None
    ) -> None:
        super().__init__(object_list, per_page)
        self.wanted_totals = totals or {}
        self.totals: dict[str, Any] = {}

    def _countable(self) -> bool:
        items = self.object_list
        return (
            isinstance(items, QuerySet)
            and items._iterable_class is ModelIterable
            and not items.query.distinct
            and not items.query.is_sliced
            and not items.query.combinator
        )

    def get_page(self, number: Any) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if wanted >= 1 and self._countable():
            bottom = (wanted - 1) * self.per_page
            items: QuerySet = self.object_list  # type: ignore[assignment]
            counted = items.annotate(
                page_list_length=Window(Count("*")),
                **{f"page_total_{k}": Window(v) for k, v in self.wanted_totals.items()},
            ).order_by("page_list_length", *_ordering(items))
            rows = list(counted[bottom : bottom + self.per_page])
            if rows:
                self.__dict__["count"] = rows[0].page_list_length  # the cached property
                self.totals = {k: getattr(rows[0], f"page_total_{k}") for k in self.wanted_totals}
                return Page(rows, wanted, self)
        page = super().get_page(number)
        if self.wanted_totals:
            self.totals = self.object_list.aggregate(**self.wanted_totals)  # type: ignore[attr-defined]
        return page

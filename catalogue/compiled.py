"""Queries of a fixed shape, built and compiled by the ORM once per process.

Building a query set and compiling it to SQL is Python work done afresh on every request,
and for a small query it costs more than the database takes to answer: the decisions panel
of an enabler's page spent 3 ms of ORM work on a query the database answered in under 1 ms
(p10 on the benchmark machine). A ``CompiledQuery`` builds its query set once, with a
marker number for each value that changes between calls (an organisation's id, an
enabler's id), compiles it, and from then on runs that SQL with the call's values in place
of the markers, giving model instances as ``Manager.raw`` does (each column that is not a
field, an annotation, becomes an attribute, converted as the ORM converts it).

Only ids are passed in (whole numbers, each compared for equality), so the ORM hands each
one to the database as a parameter of its own; compiling checks that every marker is found
among the parameters, and nowhere else in the SQL, and refuses the query otherwise. The
organisation's id is one of the values, so a compiled query stays within one organisation
as ``for_org`` does. Related objects are not followed (no ``select_related``): annotate the
few related values a page shows instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

# Far outside any id a table hands out, and each distinct from the next.
_MARKER = -7_340_000_000_000_001


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # as compiled: the constants, and a marker where each value goes
    slots: tuple[tuple[int, str, type], ...]  # (position in params, value name, its type)
    # (annotation, its expression, the functions that turn its column into Python)
    converters: tuple[tuple[str, Any, tuple[Callable[..., Any], ...]], ...]


class CompiledQuery(Generic[M]):
    """``build(**ids)`` returns the query set; calling the compiled query with the same
    names (``query(organisation=1, enabler=7)``) runs it and returns the model instances."""

    def __init__(self, model: type[M], build: Callable[..., Any], names: Sequence[str]) -> None:
        self.model = model
        self.build = build
        self.names = tuple(names)
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _compile(self, alias: str) -> _Compiled:
        markers = {name: _MARKER - index for index, name in enumerate(self.names)}
        queryset = self.build(**markers)
        if queryset.model is not self.model:
            raise ImproperlyConfigured(f"{self.build!r} built a query of {queryset.model!r}")
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
        names_of = {marker: name for name, marker in markers.items()}
        # A value may come wrapped for its column (psycopg's Int8 for a big integer on
        # PostgreSQL); each call's value is wrapped the same way.
        slots = tuple(
            (position, names_of[int(value)], type(value))
            for position, value in enumerate(params)
            if isinstance(value, int) and not isinstance(value, bool) and int(value) in names_of
        )
        unused = set(self.names) - {name for _, name, _ in slots}
        inlined = [name for name, marker in markers.items() if str(marker) in sql]
        if unused or inlined:
            raise ImproperlyConfigured(
                f"{self.build!r}: values {sorted(unused | set(inlined))} are not parameters "
                "of the compiled SQL (pass ids compared for equality)"
            )
        # Manager.raw() converts the model's fields only: an annotation's value is turned
        # into Python here, as the ORM would (a list from SQLite's JSON, a boolean from 0/1).
        connection = connections[alias]
        converters = tuple(
            (name, expression, tuple(found))
            for name, expression in queryset.query.annotation_select.items()
            if (
                found := [
                    *connection.ops.get_db_converters(expression),
                    *expression.get_db_converters(connection),
                ]
            )
        )
        return _Compiled(sql=sql, params=tuple(params), slots=slots, converters=converters)

    def __call__(self, **values: int) -> list[M]:
        if set(values) != set(self.names):
            raise TypeError(f"expected values for {sorted(self.names)}, got {sorted(values)}")
        if not all(type(value) is int for value in values.values()):
            raise TypeError(f"expected ids (whole numbers), got {values!r}")
        alias = router.db_for_read(self.model)
        key = (alias, connections[alias].vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(alias)
        params = list(compiled.params)
        for position, name, wrap in compiled.slots:
            params[position] = wrap(values[name])
        rows = list(self.model._base_manager.using(alias).raw(compiled.sql, params))
        if compiled.converters:
            connection = connections[alias]
            for row in rows:
                for name, expression, functions in compiled.converters:
                    value = getattr(row, name)
                    for function in functions:
                        value = function(value, expression, connection)
                    setattr(row, name, value)
        return rows

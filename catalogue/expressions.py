"""Query expressions the ORM lacks, for the two databases the app runs on."""

from __future__ import annotations

import json
from typing import Any

from django.db import NotSupportedError
from django.db.models import Field, QuerySet, Subquery


class ListField(Field):
    """The Python list a ``ValuesOf`` reads: PostgreSQL gives an array, SQLite JSON text."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, str):
            return list(json.loads(value))
        return list(value)


class ValuesOf(Subquery):
    """The values of a one-column query, in its order, as a list on each row of the outer
    query: the rows' related names come with the rows instead of in a query of their own.
    ``queryset`` selects one column (``values_list("name")``) and may use OuterRef."""

    output_field = ListField()

    def __init__(self, queryset: QuerySet, **extra: Any) -> None:
        # The column is named, so SQLite's aggregate over the subquery can refer to it.
        fields = queryset.query.values_select or tuple(queryset.query.annotation_select)
        if len(fields) != 1:
            raise ValueError("ValuesOf needs a query of exactly one column")
        super().__init__(queryset, **extra)
        self.column = fields[0]

    def as_sql(self, compiler: Any, connection: Any, template: str | None = None, **extra: Any):  # type: ignore[no-untyped-def]
        if connection.vendor == "postgresql":
            template = "ARRAY(%(subquery)s)"
        elif connection.vendor == "sqlite":
            column = connection.ops.quote_name(self.column)
            template = f"(SELECT json_group_array({column}) FROM (%(subquery)s))"
        else:
            raise NotSupportedError(f"ValuesOf is not written for {connection.vendor}")
        return super().as_sql(compiler, connection, template=template, **extra)  # type: ignore[call-arg]

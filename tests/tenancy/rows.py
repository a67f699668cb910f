"""Two views of the database for the write checks, in plain SQL built once.

- ``organisation_rows(org_id)``: every stored row of one organisation, in one query: its
  own row, every row of every model with an organisation column (history included), every
  many-to-many row touching one of those, and its people's accounts (but the time they last
  signed in). Equal before and after a request: the request changed nothing of that
  organisation.
- ``cross_references()``: every row that refers to a row of another organisation, through
  a foreign key or a many-to-many table (history included). Always empty: the services
  refuse such writes, and imports look keys up in their own organisation only.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, models

APPS = {"catalogue", "assessments"}
Rows = dict[str, tuple[tuple[Any, ...], ...]]


def _models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in APPS),
        key=lambda m: m._meta.label_lower,
    )


def _owned(model: type[models.Model]) -> bool:
    return any(f.column == "organisation_id" for f in model._meta.concrete_fields)


def _relations(model: type[models.Model]) -> list[Any]:
    """Foreign keys to organisation-owned rows (the organisation itself left out)."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and f.name != "organisation" and _owned(f.related_model)
    ]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


def _as_text(columns: list[str]) -> str:
    """One row's columns as one text (the same in SQLite and PostgreSQL for equal rows)."""
    return " || '|' || ".join(f"COALESCE(CAST({c} AS TEXT), '<null>')" for c in columns)


@cache
def _rows_query() -> tuple[str, int]:
    """One query for every row of one organisation: (table, id, the row as text), and how
    many times the organisation id is a parameter."""
    org = _q("organisation_id")
    parts, params = [], 0
    for model in _models():
        columns = [_q(f.column) for f in model._meta.concrete_fields]
        if model._meta.label == "catalogue.Organisation":
            where, n = f"{_q('id')} = %s", 1
        elif _owned(model):
            where, n = f"{org} = %s", 1
        else:
            links = _relations(model)
            if not links:
                continue
            where = " OR ".join(
                f"{_q(f.column)} IN (SELECT {_q(f.related_model._meta.pk.column)} FROM "
                f"{_table(f.related_model)} WHERE {org} = %s)"
                for f in links
            )
            n = len(links)
        pk = _q(model._meta.pk.column)
        parts.append(
            f"SELECT '{model._meta.label_lower}', {pk}, {_as_text(columns)} "
            f"FROM {_table(model)} WHERE {where}"
        )
        params += n
    user = apps.get_model("auth", "User")
    membership = apps.get_model("catalogue", "Membership")
    columns = [_q(f.column) for f in user._meta.concrete_fields if f.name != "last_login"]
    parts.append(
        f"SELECT 'auth.user', {_q('id')}, {_as_text(columns)} FROM {_table(user)} "
        f"WHERE {_q('id')} IN (SELECT {_q('user_id')} FROM {_table(membership)} "
        f"WHERE {org} = %s)"
    )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2", params + 1


def organisation_rows(org_id: int) -> Rows:
    sql, params = _rows_query()
    found: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [org_id] * params)
        for label, pk, text in cursor.fetchall():
            found.setdefault(label, []).append((pk, text))
    return {label: tuple(rows) for label, rows in found.items()}


def changed(before: Rows, after: Rows) -> list[str]:
    """The tables whose rows differ, with a few of the rows gone and added."""
    found = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, ()), after.get(label, ())
        if old != new:
            gone = [row for row in old if row not in new][:2]
            added = [row for row in new if row not in old][:2]
            found.append(f"{label}: gone {gone}, added {added}")
    return found


def _join(alias: str, field: Any) -> str:
    related = field.related_model
    return (
        f"JOIN {_table(related)} {alias} ON t.{_q(field.column)} = "
        f"{alias}.{_q(related._meta.pk.column)}"
    )


@cache
def _cross_queries() -> list[tuple[str, str]]:
    """(relation, SQL selecting the rows on either side of it that are in different
    organisations)."""
    found = []
    org = _q("organisation_id")
    for model in _models():
        links = _relations(model)
        table, pk = _table(model), _q(model._meta.pk.column)
        if _owned(model):
            for field in links:
                found.append(
                    (
                        f"{model._meta.label}.{field.name}",
                        f"SELECT t.{pk} AS pk FROM {table} t {_join('r', field)} "
                        f"WHERE r.{org} <> t.{org}",
                    )
                )
        else:  # a many-to-many table: every link against the first
            for field in links[1:]:
                found.append(
                    (
                        f"{model._meta.label}: {links[0].name}-{field.name}",
                        f"SELECT t.{pk} AS pk FROM {table} t {_join('a', links[0])} "
                        f"{_join('b', field)} WHERE a.{org} <> b.{org}",
                    )
                )
    return found


@cache
def _cross_query() -> str:
    """All the checks in one query: (relation, row id) for each row referring across."""
    return " UNION ALL ".join(
        f"SELECT '{label}', ids.pk FROM ({sql}) ids" for label, sql in _cross_queries()
    )


def cross_references() -> list[str]:
    found: dict[str, list[Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_cross_query())
        for label, pk in cursor.fetchall():
            found.setdefault(label, []).append(pk)
    return [f"{label}: rows {ids[:5]}" for label, ids in sorted(found.items())]


def cross_reference_checks() -> int:
    """How many relations ``cross_references`` looks at (for the test that it looks)."""
    return len(_cross_queries())

"""What "nothing was saved" means: every stored row that a request could change, compared.

A fingerprint holds every row of every model of the catalogue and assessments apps (history
tables and many-to-many tables included) and every user, for all organisations at once, so a
write into another organisation counts too; and the emails sent. Small worlds (the cast) make
this cheap: about forty queries.

Left out, because a refusal writes them on purpose: the audit log (permission denials and
failed sign-ins are recorded), and the time a user last signed in or a token was last used.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.core import mail
from django.db import connection, models

# Written on a refusal by design (issue 8: denials and failed sign-ins are audited).
NOT_COMPARED = {"catalogue.auditevent"}
# Columns that change when someone merely signs in or calls the API.
IGNORED_COLUMNS = {
    "auth.user": {"last_login"},
    "catalogue.apitoken": {"last_used_at"},
}

Fingerprint = dict[str, Any]


def _compared_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in NOT_COMPARED:
            continue
        if model._meta.app_label in {"catalogue", "assessments"} or label == "auth.user":
            found.append(model)
    return sorted(found, key=lambda model: model._meta.label_lower)


@cache
def _queries() -> list[tuple[str, str]]:
    """(label, SQL) per compared model: plain SQL, built once, since the ORM's query
    building would cost more than the queries themselves (two fingerprints per example)."""
    quote = connection.ops.quote_name
    found = []
    for model in _compared_models():
        label = model._meta.label_lower
        ignored = IGNORED_COLUMNS.get(label, set())
        columns = [f.column for f in model._meta.concrete_fields if f.attname not in ignored]
        table = quote(model._meta.db_table)
        found.append(
            (
                label,
                f"SELECT {', '.join(map(quote, columns))} FROM {table} "
                f"ORDER BY {quote(model._meta.pk.column)}",
            )
        )
    return found


def fingerprint() -> Fingerprint:
    """Every compared row, as plain values, by model label; and the number of emails sent."""
    rows: Fingerprint = {}
    with connection.cursor() as cursor:
        for label, sql in _queries():
            cursor.execute(sql)
            rows[label] = tuple(map(tuple, cursor.fetchall()))
    rows["emails sent"] = len(getattr(mail, "outbox", []))
    return rows


def differences(before: Fingerprint, after: Fingerprint, *, limit: int = 3) -> list[str]:
    """What changed between two fingerprints, model by model (a few rows each)."""
    found = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label), after.get(label)
        if old == new:
            continue
        if not isinstance(old, tuple) or not isinstance(new, tuple):
            found.append(f"{label}: {old!r} -> {new!r}")
            continue
        gone = [_short(row) for row in old if row not in new][:limit]
        added = [_short(row) for row in new if row not in old][:limit]
        found.append(f"{label}: {len(old)} -> {len(new)} rows; gone {gone}; now {added}")
    return found


def _short(row: Any) -> str:
    text = repr(row)
    return text if len(text) <= 300 else text[:300] + "…"

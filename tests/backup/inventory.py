"""What a PostgreSQL database holds, to compare a database with its restored copy.

Read with plain SQL (psycopg), never through Django's managers: the organisation-scoped
managers filter by tenant, and a backup check must see every row of every table. For each
table in the ``public`` schema: its row count and a checksum of every row's full text; every
sequence's position (a restore that loses them would hand out ids already in use); and a few
spot checks that read as figures (flags, assessments, decisions, reports, history,
memberships).

Used by ``.ci/backup_restore.sh`` and tests/backup/test_pg_backup.py::

    python -m tests.backup.inventory take DSN > inventory.json
    python -m tests.backup.inventory compare SOURCE.json RESTORED.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

# Spot checks: a name and a query giving rows of text; compared as they are.
SPOT_CHECKS: dict[str, str] = {
    "flags by status": (
        "SELECT status, count(*) FROM assessments_bottleneckflag GROUP BY status ORDER BY status"
    ),
    "assessments (count, total fit, total pace)": (
        "SELECT count(*), coalesce(sum(fit), 0), coalesce(sum(pace), 0) FROM assessments_assessment"
    ),
    "decisions by status": (
        "SELECT status, count(*) FROM assessments_decision GROUP BY status ORDER BY status"
    ),
    "decision classification changes": "SELECT count(*) FROM assessments_decisionchange",
    "reports by status": (
        "SELECT status, count(*) FROM assessments_balancereport GROUP BY status ORDER BY status"
    ),
    "latest ready report per organisation (slug, generation, score)": """
        SELECT DISTINCT ON (o.slug) o.slug, r.generation, r.balance_score
        FROM assessments_balancereport r JOIN catalogue_organisation o ON o.id = r.organisation_id
        WHERE r.status = 'ready'
        ORDER BY o.slug, r.generation DESC NULLS LAST, r.computed_at DESC, r.id DESC
    """,
    "enabler history rows": "SELECT count(*) FROM catalogue_historicalenabler",
    "flag history rows": "SELECT count(*) FROM assessments_historicalbottleneckflag",
    "decision history rows": "SELECT count(*) FROM assessments_historicaldecision",
    "memberships by role": (
        "SELECT role, count(*) FROM catalogue_membership GROUP BY role ORDER BY role"
    ),
    "organisations (slug, generation)": (
        "SELECT slug, generation FROM catalogue_organisation ORDER BY slug"
    ),
    "users (all, active)": ("SELECT count(*), count(*) FILTER (WHERE is_active) FROM auth_user"),
    "audit events without an organisation": (
        "SELECT count(*) FROM catalogue_auditevent WHERE organisation_id IS NULL"
    ),
}


def take(dsn: str) -> dict[str, Any]:
    """The inventory of the database at ``dsn``: tables, sequences and spot checks."""
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        tables: dict[str, dict[str, Any]] = {}
        for (name,) in cur.fetchall():
            # The checksum of each row's whole text, in a fixed order: same rows, same sum.
            cur.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' "
                    "ORDER BY md5(t::text)), '')) FROM {} AS t"
                ).format(sql.Identifier(name))
            )
            count, checksum = cur.fetchone() or (0, "")
            tables[name] = {"rows": count, "checksum": checksum}
        cur.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' ORDER BY sequencename"
        )
        sequences = {name: value for name, value in cur.fetchall()}
        spot: dict[str, list[list[str]]] = {}
        for label, query in SPOT_CHECKS.items():
            cur.execute(query)
            spot[label] = [[str(value) for value in row] for row in cur.fetchall()]
    return {"tables": tables, "sequences": sequences, "spot_checks": spot}


def differences(source: dict[str, Any], restored: dict[str, Any]) -> list[str]:
    """Every way ``restored`` differs from ``source``, as lines a person can read."""
    found = []
    for section in ("tables", "sequences", "spot_checks"):
        left, right = source[section], restored[section]
        for name in sorted(set(left) | set(right)):
            if name not in right:
                found.append(f"{section}: {name} is missing from the restored database")
            elif name not in left:
                found.append(f"{section}: {name} is only in the restored database")
            elif left[name] != right[name]:
                found.append(f"{section}: {name}: {left[name]} != {right[name]}")
    return found


def report(source: dict[str, Any], restored: dict[str, Any]) -> list[str]:
    """The figures, table by table, then the spot checks and a summary line."""
    lines = [f"{'table':<45} {'source':>8} {'restored':>9}  same"]
    for name, row in source["tables"].items():
        other = restored["tables"].get(name, {})
        same = "yes" if other == row else "NO"
        lines.append(f"{name:<45} {row['rows']:>8} {other.get('rows', '-'):>9}  {same}")
    lines.append("")
    for label, rows in source["spot_checks"].items():
        same = "same" if restored["spot_checks"].get(label) == rows else "DIFFERENT"
        shown = "; ".join(" ".join(row) for row in rows[:6]) + ("; …" if len(rows) > 6 else "")
        lines.append(f"{label}: {shown or '(none)'} [{same}]")
    total = sum(row["rows"] for row in source["tables"].values())
    lines.append("")
    lines.append(
        f"{len(source['tables'])} tables, {total} rows, {len(source['sequences'])} sequences "
        f"and {len(source['spot_checks'])} spot checks compared"
    )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "take":
        print(json.dumps(take(argv[1]), indent=1, sort_keys=True))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        source, restored = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[1:])
        print("\n".join(report(source, restored)))
        problems = differences(source, restored)
        empty = [name for name, row in source["tables"].items() if not row["rows"]]
        for line in problems:
            print(f"DIFFERENCE {line}")
        if not problems:
            print(f"Identical: every row of every table ({len(empty)} of them empty).")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""CSV exports of a stored balance report: its enablers table and its findings.

Plain functions over the report's stored result (no queries), so an old report exports the
same as it looked. Cells that a spreadsheet would run as a formula are prefixed with an
apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

ENABLER_COLUMNS = (
    ("key", "Key"),
    ("name", "Enabler"),
    ("declared", "Declared classification"),
    ("suggested", "Suggested classification"),
    ("lifecycle", "Lifecycle"),
    ("capability", "Capability"),
    ("reach", "Reach (offerings)"),
    ("reach_share", "Reach share"),
    ("journeys", "Journeys reached"),
    ("pressure", "Bottleneck pressure"),
    ("flagging_teams", "Flagging teams"),
    ("blocking", "Blocking flag"),
    ("assessing_teams", "Assessing teams"),
    ("mean_fit", "Mean fit"),
    ("mean_pace", "Mean pace"),
)
FINDING_COLUMNS = ("Number", "Kind", "Severity", "Finding", "Enablers", "Evidence")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def enablers_csv(result: dict[str, Any]) -> str:
    """One row per live enabler of the report, in key order."""
    enablers = result.get("enablers") or {}
    rows = (
        [key if field == "key" else values.get(field) for field, _ in ENABLER_COLUMNS]
        for key, values in sorted(enablers.items())
    )
    return _write([label for _, label in ENABLER_COLUMNS], rows)


def findings_csv(result: dict[str, Any]) -> str:
    """One row per finding, in the report's order, with its evidence as name=value pairs."""
    rows = (
        [
            number,
            finding.get("kind", ""),
            finding.get("severity", ""),
            finding.get("message", ""),
            "; ".join(finding.get("enablers") or []),
            "; ".join(f"{name}={value}" for name, value in (finding.get("evidence") or {}).items()),
        ]
        for number, finding in enumerate(result.get("findings") or [], start=1)
    )
    return _write(FINDING_COLUMNS, rows)

"""The portfolio page's share of a report, stored with the report when it is computed.

A report's whole ``result`` lists every enabler and every finding (megabytes for a large
organisation); the page shows the headline figures, a few charts of the first few enablers
and the first few findings of each kind. The summary keeps exactly that, plus "how many in
all", so the page reads a few kilobytes and draws the same pictures as from the result.
Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import charts

# Bump when what the summary holds changes: a stored summary of another version is made
# again from the report's result when the page is opened.
SUMMARY_VERSION = 1
FINDINGS_SHOWN = 10  # per kind on the page; every finding is in the CSV download
LISTED = 8  # enablers or journeys named in one finding on the page; the CSV has them all

# Copied from the result as they are: small, and read by the page's headline and mix charts.
HEADLINE = (
    "balance_score",
    "model_in_force",
    "declared_model",
    "inferred_model",
    "counts",
    "expected_ranges",
    "mix",
    "mix_by_area",
)


def _names(table: Mapping[str, Any]) -> dict[str, str]:
    return {key: values.get("name") or key for key, values in table.items()}


def is_current(summary: Mapping[str, Any] | None) -> bool:
    """True for a summary this code can draw from (not missing, not of another version)."""
    return bool(summary) and summary.get("version") == SUMMARY_VERSION  # type: ignore[union-attr]


def _shortened(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The finding with each list in its evidence cut to the ``LISTED`` the page names; how
    long each was goes in ``evidence_lengths`` (the page says "and N more")."""
    evidence: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    for name, value in (finding.get("evidence") or {}).items():
        if isinstance(value, list) and len(value) > LISTED:
            evidence[name], lengths[name] = value[:LISTED], len(value)
        else:
            evidence[name] = value
    shortened = {**finding, "evidence": evidence}
    if lengths:
        shortened["evidence_lengths"] = lengths
    return shortened


def summarise(result: Mapping[str, Any]) -> dict[str, Any]:
    """What the portfolio page needs of a report's ``result`` (see the module's doc)."""
    enablers: Mapping[str, Any] = result.get("enablers") or {}
    journeys: Mapping[str, Any] = result.get("mix_by_journey") or {}

    findings: list[dict[str, Any]] = []
    kinds: dict[str, dict[str, Any]] = {}
    for finding in result.get("findings") or ():
        kind = kinds.setdefault(finding["kind"], {"count": 0, "severities": {}})
        kind["count"] += 1
        severities = kind["severities"]
        severities[finding["severity"]] = severities.get(finding["severity"], 0) + 1
        if kind["count"] <= FINDINGS_SHOWN:
            findings.append(_shortened(finding))

    # Names of the enablers and journeys the page writes out, and nothing more.
    named_enablers = {key for f in findings for key in f["enablers"][:LISTED]}
    named_journeys: set[str] = set()
    for finding in findings:
        listed = (finding.get("evidence") or {}).get("journeys")
        if isinstance(listed, list):
            named_journeys.update(str(key) for key in listed[:LISTED])
    return {
        "version": SUMMARY_VERSION,
        **{key: result.get(key) for key in HEADLINE},
        "findings_total": len(result.get("findings") or ()),
        "findings": findings,
        "finding_kinds": kinds,
        "matrix": charts.matrix_data(enablers, _names(journeys)),
        "pressure": charts.pressure_data(enablers),
        "enabler_names": {
            key: enablers[key].get("name") or key
            for key in sorted(named_enablers)
            if key in enablers
        },
        "journey_names": {
            key: journeys[key].get("name") or key
            for key in sorted(named_journeys)
            if key in journeys
        },
    }

"""What the balance method returns, and its plain-data and JSON forms.

The report keeps exact numbers (``Fraction``); rounding to 4 places happens only in
:func:`report_to_dict`, so every comparison inside the method uses unrounded values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .thresholds import Thresholds

METHOD_VERSION = 1

CLASSIFICATIONS: tuple[str, ...] = ("repeatable", "common", "independent")

EvidenceValue = bool | int | str | Fraction | None | tuple[str, ...]


@dataclass(frozen=True)
class ClassShare:
    """How many live enablers hold one classification, and their share (None over none)."""

    count: int
    share: Fraction | None


@dataclass(frozen=True)
class Mix:
    """Enablers by classification."""

    repeatable: ClassShare
    common: ClassShare
    independent: ClassShare
    total: int

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> Mix:
        total = sum(counts.get(c, 0) for c in CLASSIFICATIONS)

        def part(classification: str) -> ClassShare:
            count = counts.get(classification, 0)
            return ClassShare(count, Fraction(count, total) if total else None)

        return cls(part("repeatable"), part("common"), part("independent"), total)

    def of(self, classification: str) -> ClassShare:
        share: ClassShare = getattr(self, classification)
        return share


@dataclass(frozen=True)
class AreaMix:
    """The mix of live enablers used by at least one offering of a business area."""

    key: str
    name: str
    mix: Mix


@dataclass(frozen=True)
class JourneyMix:
    """The mix of live enablers used by at least one offering of a journey."""

    key: str
    name: str
    mix: Mix


@dataclass(frozen=True)
class Cluster:
    """A cluster of journeys: a business area, the journeys with no area, or a component."""

    kind: str  # area | no_area | component
    label: str
    area: str | None
    journeys: tuple[str, ...]


@dataclass(frozen=True)
class Measures:
    """The measures behind the inferred model (section 2 of the method)."""

    mean_overlap: Fraction | None
    diversity: Fraction | None
    mean_length: Fraction | None
    clusters: int
    within_overlap: Fraction | None
    across_overlap: Fraction | None


@dataclass(frozen=True)
class Range:
    """The expected share of one classification under a model, bounds as written."""

    classification: str
    low: Fraction
    high: Fraction


@dataclass(frozen=True)
class Counts:
    offerings: int
    journeys: int
    live_enablers: int
    counting_flags: int
    counting_assessments: int


@dataclass(frozen=True)
class EnablerResult:
    """What the method found for one live enabler."""

    key: str
    name: str
    declared: str
    lifecycle: str
    capability: str
    offering_keys: tuple[str, ...]
    journey_keys: tuple[str, ...]
    reach_share: Fraction | None
    suggested: str | None
    pressure: int
    flagging_teams: int
    blocking: bool
    assessing_teams: int
    mean_fit: Fraction | None
    mean_pace: Fraction | None
    # (classification, number of assessing teams preferring it), classifications in order
    preferences: tuple[tuple[str, int], ...]

    @property
    def reach(self) -> int:
        return len(self.offering_keys)


@dataclass(frozen=True)
class Finding:
    """One finding: what, how serious, about which enablers, why (the evidence)."""

    kind: str
    severity: str
    enablers: tuple[str, ...]
    message: str
    evidence: tuple[tuple[str, EvidenceValue], ...]

    def evidence_dict(self) -> dict[str, EvidenceValue]:
        return dict(self.evidence)


@dataclass(frozen=True)
class Report:
    """A computed balance report (everything but the organisation, time and status)."""

    method_version: int
    thresholds: Thresholds
    declared_model: str | None
    inferred_model: str
    model_in_force: str
    counts: Counts
    counting_round: str | None
    measures: Measures
    clusters: tuple[Cluster, ...]
    mix: Mix
    expected_ranges: tuple[Range, ...] | None
    balance_distance: Fraction | None
    balance_score: int | None
    mix_by_area: tuple[AreaMix, ...]
    mix_by_journey: tuple[JourneyMix, ...]
    enablers: tuple[EnablerResult, ...]
    findings: tuple[Finding, ...]

    def enabler(self, key: str) -> EnablerResult:
        """The result for one live enabler (KeyError when it is not live or unknown)."""
        for result in self.enablers:
            if result.key == key:
                return result
        raise KeyError(key)


def _number(value: Fraction | None) -> float | None:
    if value is None:
        return None
    # Adding 0.0 turns a -0.0 (a tiny negative mean rounded away) into 0.0.
    return round(float(value), 4) + 0.0


def _evidence(value: EvidenceValue) -> Any:
    if isinstance(value, Fraction):
        return _number(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _mix_dict(mix: Mix) -> dict[str, Any]:
    return {
        c: {"count": mix.of(c).count, "share": _number(mix.of(c).share)} for c in CLASSIFICATIONS
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-able data; shares, overlaps and means rounded to 4 places."""
    m = report.measures
    return {
        "method_version": report.method_version,
        "thresholds": report.thresholds.as_dict(),
        "declared_model": report.declared_model,
        "inferred_model": report.inferred_model,
        "model_in_force": report.model_in_force,
        "counts": {
            "offerings": report.counts.offerings,
            "journeys": report.counts.journeys,
            "live_enablers": report.counts.live_enablers,
            "counting_flags": report.counts.counting_flags,
            "counting_assessments": report.counts.counting_assessments,
        },
        "counting_round": report.counting_round,
        "measures": {
            "mean_overlap": _number(m.mean_overlap),
            "diversity": _number(m.diversity),
            "mean_length": _number(m.mean_length),
            "clusters": m.clusters,
            "within_overlap": _number(m.within_overlap),
            "across_overlap": _number(m.across_overlap),
        },
        "clusters_detail": [
            {"kind": c.kind, "label": c.label, "area": c.area, "journeys": list(c.journeys)}
            for c in report.clusters
        ],
        "mix": _mix_dict(report.mix),
        "expected_ranges": None
        if report.expected_ranges is None
        else {
            r.classification: {"low": _number(r.low), "high": _number(r.high)}
            for r in report.expected_ranges
        },
        "balance_distance": _number(report.balance_distance),
        "balance_score": report.balance_score,
        "mix_by_area": {
            a.key: {"name": a.name, "total": a.mix.total, **_mix_dict(a.mix)}
            for a in report.mix_by_area
        },
        "mix_by_journey": {
            j.key: {"name": j.name, "total": j.mix.total, **_mix_dict(j.mix)}
            for j in report.mix_by_journey
        },
        "enablers": {
            e.key: {
                "name": e.name,
                "declared": e.declared,
                "lifecycle": e.lifecycle,
                "capability": e.capability,
                "reach": e.reach,
                "reach_share": _number(e.reach_share),
                "offering_keys": list(e.offering_keys),
                "journeys": len(e.journey_keys),
                "journey_keys": list(e.journey_keys),
                "suggested": e.suggested,
                "pressure": e.pressure,
                "flagging_teams": e.flagging_teams,
                "blocking": e.blocking,
                "assessing_teams": e.assessing_teams,
                "mean_fit": _number(e.mean_fit),
                "mean_pace": _number(e.mean_pace),
                "preferences": dict(e.preferences),
            }
            for e in report.enablers
        },
        "findings": [
            {
                "kind": f.kind,
                "severity": f.severity,
                "enablers": list(f.enablers),
                "message": f.message,
                "evidence": {name: _evidence(value) for name, value in f.evidence},
            }
            for f in report.findings
        ],
    }


def report_to_json(report: Report) -> str:
    """The report as compact JSON; the same report always gives the same bytes."""
    return json.dumps(
        report_to_dict(report), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )

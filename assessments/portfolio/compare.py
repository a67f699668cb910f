"""What changed between two stored reports (or between the current report and a what-if).

Pure Python over the reports' stored JSON (``report_to_dict``): no Django, no clock, so the
comparison page, the what-if page and their tests agree on what "changed" means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLASSIFICATIONS = ("repeatable", "common", "independent")
COUNTS = (
    ("offerings", "Offerings"),
    ("journeys", "Journeys"),
    ("live_enablers", "Live enablers"),
    ("counting_flags", "Open flags"),
    ("counting_assessments", "Assessments counted"),
)
MODELS = (
    ("declared_model", "Declared model"),
    ("inferred_model", "Inferred model"),
    ("model_in_force", "Model in force"),
)
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

Result = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One figure before and after; ``delta`` is after − before when both are numbers."""

    label: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return bool(self.before != self.after)

    @property
    def delta(self) -> float | int | None:
        if isinstance(self.before, int | float) and isinstance(self.after, int | float):
            return round(self.after - self.before, 4)
        return None


@dataclass(frozen=True)
class MixChange:
    """One classification's count and share before and after."""

    classification: str
    count: Change
    share: Change

    @property
    def points(self) -> float | None:
        """The change of share in percentage points (None when either share is missing)."""
        delta = self.share.delta
        return None if delta is None else round(delta * 100, 1)


@dataclass(frozen=True)
class SuggestionChange:
    """An enabler whose suggested classification differs between the two reports."""

    key: str
    name: str
    declared_before: str | None
    declared_after: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Comparison:
    score: Change
    models: tuple[Change, ...]
    counts: tuple[Change, ...]
    mix: tuple[MixChange, ...]
    appeared: tuple[dict[str, Any], ...]  # findings only in the later report
    went_away: tuple[dict[str, Any], ...]  # findings only in the earlier report
    severity_changed: tuple[tuple[dict[str, Any], dict[str, Any]], ...]
    suggestions: tuple[SuggestionChange, ...]
    enablers_added: tuple[str, ...]  # names of enablers live only in the later report
    enablers_gone: tuple[str, ...]  # names of enablers live only in the earlier report

    @property
    def anything_changed(self) -> bool:
        return bool(
            self.score.changed
            or any(c.changed for c in self.models + self.counts)
            or any(m.count.changed or m.share.changed for m in self.mix)
            or self.appeared
            or self.went_away
            or self.severity_changed
            or self.suggestions
            or self.enablers_added
            or self.enablers_gone
        )


def finding_identity(finding: Mapping[str, Any]) -> tuple[str, tuple[str, ...], str]:
    """What makes two findings "the same" across reports: their kind, their enablers and,
    for the organisation-level mix finding, the classification it is about (its figures
    and wording may move without it being a new finding)."""
    evidence = finding.get("evidence") or {}
    detail = str(evidence.get("classification") or evidence.get("capability") or "")
    return (str(finding["kind"]), tuple(finding.get("enablers") or ()), detail)


def _finding_order(finding: Mapping[str, Any]) -> tuple[int, str, tuple[str, ...]]:
    return (
        SEVERITY_ORDER.get(str(finding.get("severity")), 9),
        str(finding["kind"]),
        tuple(finding.get("enablers") or ()),
    )


def _mix_change(before: Result, after: Result, classification: str) -> MixChange:
    old = (before.get("mix") or {}).get(classification) or {}
    new = (after.get("mix") or {}).get(classification) or {}
    return MixChange(
        classification,
        Change("Enablers", old.get("count", 0), new.get("count", 0)),
        Change("Share", old.get("share"), new.get("share")),
    )


def compare_reports(before: Result, after: Result) -> Comparison:
    """What changed from ``before`` to ``after`` (two results of ``report_to_dict``)."""
    old_findings = {finding_identity(f): f for f in before.get("findings") or ()}
    new_findings = {finding_identity(f): f for f in after.get("findings") or ()}
    appeared = sorted(
        (f for key, f in new_findings.items() if key not in old_findings), key=_finding_order
    )
    went_away = sorted(
        (f for key, f in old_findings.items() if key not in new_findings), key=_finding_order
    )
    severity_changed = sorted(
        (
            (old_findings[key], f)
            for key, f in new_findings.items()
            if key in old_findings and old_findings[key].get("severity") != f.get("severity")
        ),
        key=lambda pair: _finding_order(pair[1]),
    )

    old_enablers: Mapping[str, Any] = before.get("enablers") or {}
    new_enablers: Mapping[str, Any] = after.get("enablers") or {}
    suggestions = tuple(
        SuggestionChange(
            key=key,
            name=str(new.get("name") or key),
            declared_before=old_enablers[key].get("declared"),
            declared_after=new.get("declared"),
            before=old_enablers[key].get("suggested"),
            after=new.get("suggested"),
        )
        for key, new in sorted(new_enablers.items())
        if key in old_enablers and old_enablers[key].get("suggested") != new.get("suggested")
    )

    def names(enablers: Mapping[str, Any], keys: set[str]) -> tuple[str, ...]:
        return tuple(sorted((str(enablers[k].get("name") or k) for k in keys), key=str.lower))

    return Comparison(
        score=Change("Balance score", before.get("balance_score"), after.get("balance_score")),
        models=tuple(Change(label, before.get(key), after.get(key)) for key, label in MODELS),
        counts=tuple(
            Change(
                label,
                (before.get("counts") or {}).get(key, 0),
                (after.get("counts") or {}).get(key, 0),
            )
            for key, label in COUNTS
        ),
        mix=tuple(_mix_change(before, after, c) for c in CLASSIFICATIONS),
        appeared=tuple(appeared),
        went_away=tuple(went_away),
        severity_changed=tuple(severity_changed),
        suggestions=suggestions,
        enablers_added=names(new_enablers, set(new_enablers) - set(old_enablers)),
        enablers_gone=names(old_enablers, set(old_enablers) - set(new_enablers)),
    )

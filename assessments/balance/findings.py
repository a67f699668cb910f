"""Section 6 of the method: the findings, their messages and their order."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction

from .journeys import UnionFind
from .report import CLASSIFICATIONS, EnablerResult, Finding, Mix, Range
from .thresholds import Thresholds

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_CLASS_ORDER = {c: i for i, c in enumerate(CLASSIFICATIONS)}

# Fixed in version 1 (not settings).
BOTTLENECK_HIGH_TEAMS = 3
ORCHESTRATION_MIN_TEAMS = 2
ORCHESTRATION_MIN_FIT = 3
ORCHESTRATION_MIN_PACE = 0
PREFERENCE_MIN_TEAMS = 2
_MAX_NAMES = 3


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Severity (high first), kind, first enabler (none first), enablers, classification."""

    def key(f: Finding) -> tuple[object, ...]:
        classification = f.evidence_dict().get("classification")
        order = _CLASS_ORDER.get(classification, -1) if isinstance(classification, str) else -1
        return (
            SEVERITY_ORDER[f.severity],
            f.kind,
            bool(f.enablers),
            f.enablers[:1],
            f.enablers,
            order,
        )

    return tuple(sorted(findings, key=key))


def _percent(share: Fraction) -> str:
    """A share as a whole percentage, rounded half up (exactly)."""
    return f"{math.floor(share * 100 + Fraction(1, 2))}%"


def _decimal(value: Fraction) -> str:
    return f"{float(value):.2f}"


def _names(names: Sequence[str]) -> str:
    """‘A’, ‘A and B’, ‘A, B and C’, or ‘A, B, C and 4 more’."""
    if len(names) > _MAX_NAMES + 1:
        shown = [*names[:_MAX_NAMES], f"{len(names) - _MAX_NAMES} more"]
    else:
        shown = list(names)
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def shared_bottlenecks(enablers: Sequence[EnablerResult], t: Thresholds) -> list[Finding]:
    """Repeatable or common enablers that several teams flag with enough pressure."""
    found = []
    for e in enablers:
        if e.declared not in ("repeatable", "common"):
            continue
        if (
            e.flagging_teams < t.shared_bottleneck_teams
            or e.pressure < t.shared_bottleneck_pressure
        ):
            continue
        high = e.blocking or e.flagging_teams >= BOTTLENECK_HIGH_TEAMS
        blocking = ", one of them blocking" if e.blocking else ""
        found.append(
            Finding(
                kind="shared_bottleneck",
                severity="high" if high else "medium",
                enablers=(e.key,),
                message=(
                    f"{e.name} is a shared {e.declared} enabler slowing teams down: "
                    f"{e.flagging_teams} teams have raised unresolved flags against it "
                    f"with a combined pressure of {e.pressure}{blocking}."
                ),
                evidence=(
                    ("pressure", e.pressure),
                    ("flagging_teams", e.flagging_teams),
                    ("blocking", e.blocking),
                ),
            )
        )
    return found


def efficiency_before_coherence(
    diversity: Fraction | None,
    mix: Mix,
    ranges: Mapping[str, Range] | None,
    model: str,
    t: Thresholds,
) -> list[Finding]:
    """Diverse journeys, yet more repeatable enablers than the model in force expects."""
    share = mix.repeatable.share
    if diversity is None or ranges is None or share is None:
        return []
    upper = ranges["repeatable"].high
    if diversity < t.exact("efficiency_diversity") or share <= upper:
        return []
    return [
        Finding(
            kind="efficiency_before_coherence",
            severity="high",
            enablers=(),
            message=(
                f"Journeys are diverse (diversity {_decimal(diversity)}) yet "
                f"{_percent(share)} of live enablers are declared repeatable, more than the "
                f"{_percent(upper)} a {model} model expects, so standardisation may be "
                "running ahead of coherent journeys."
            ),
            evidence=(
                ("diversity", diversity),
                ("repeatable_share", share),
                ("upper_bound", upper),
            ),
        )
    ]


def classification_mismatches(
    enablers: Sequence[EnablerResult], offering_count: int
) -> list[Finding]:
    """Declared classification differs from the one reach suggests."""
    found = []
    for e in enablers:
        if e.suggested is None or e.suggested == e.declared:
            continue
        extremes = {e.declared, e.suggested} == {"repeatable", "independent"}
        offerings = "offering" if offering_count == 1 else "offerings"
        found.append(
            Finding(
                kind="classification_mismatch",
                severity="high" if extremes else "low",
                enablers=(e.key,),
                message=(
                    f"{e.name} is declared {e.declared}, but its reach ({e.reach} of "
                    f"{offering_count} {offerings}) suggests {e.suggested}."
                ),
                evidence=(("declared", e.declared), ("suggested", e.suggested)),
            )
        )
    return found


def selective_commonality(
    enablers: Sequence[EnablerResult],
    reached: Mapping[str, frozenset[int]],
    journey_keys: Sequence[str],
    near: Sequence[frozenset[int]],
) -> list[Finding]:
    """Independent enablers with the same capability on the same or overlapping journeys.

    Enablers are grouped by normalised label first, so only enablers that could match are
    ever compared. Within a label, enablers and the journeys they reach form one graph:
    an enabler is joined to each journey it reaches, and two of those journeys are joined
    when they are near. Every journey in it is reached by a member, so a path between two
    enablers is a chain of near pairs; its connected groups of two or more give one
    finding each. The cost follows journeys reached, not pairs of enablers.
    """
    by_label: dict[str, list[EnablerResult]] = defaultdict(list)
    for e in enablers:
        label = e.capability.strip().lower()
        if e.declared == "independent" and label and reached[e.key]:
            by_label[label].append(e)

    found = []
    for label in sorted(by_label):
        members = by_label[label]
        if len(members) < 2:
            continue
        size = len(members)  # nodes: members 0 .. size − 1, then journey j as size + j
        graph = UnionFind(size + len(near))
        touched: set[int] = set()
        for i, e in enumerate(members):
            for j in reached[e.key]:
                graph.join(i, size + j)
            touched |= reached[e.key]
        for j in touched:
            for k in near[j] & touched:
                if k > j:
                    graph.join(size + j, size + k)
        by_root: dict[int, list[EnablerResult]] = defaultdict(list)
        for i, e in enumerate(members):
            by_root[graph.find(i)].append(e)
        for group in by_root.values():
            if len(group) < 2:
                continue
            keys = tuple(sorted(e.key for e in group))
            journeys = tuple(sorted({journey_keys[j] for e in group for j in reached[e.key]}))
            names = _names([e.name for e in sorted(group, key=lambda e: e.key)])
            found.append(
                Finding(
                    kind="selective_commonality",
                    severity="medium",
                    enablers=keys,
                    message=(
                        f"{len(group)} independent enablers with the capability "
                        f"‘{label}’ ({names}) serve the same or overlapping journeys, "
                        "so one common enabler may serve them better."
                    ),
                    evidence=(("capability", label), ("journeys", journeys)),
                )
            )
    return found


def orchestration_loads(enablers: Sequence[EnablerResult], t: Thresholds) -> list[Finding]:
    """Widely used repeatable enablers that assessing teams rate poorly."""
    found = []
    reach_min = t.exact("repeatable_reach")
    for e in enablers:
        if e.declared != "repeatable" or e.reach_share is None or e.reach_share < reach_min:
            continue
        if e.assessing_teams < ORCHESTRATION_MIN_TEAMS:
            continue
        if e.mean_fit is None or e.mean_pace is None:
            continue
        if not (e.mean_fit < ORCHESTRATION_MIN_FIT or e.mean_pace < ORCHESTRATION_MIN_PACE):
            continue
        found.append(
            Finding(
                kind="orchestration_load",
                severity="medium",
                enablers=(e.key,),
                message=(
                    f"{e.name} reaches {_percent(e.reach_share)} of offerings, but the "
                    f"{e.assessing_teams} teams that assessed it give a mean fit of "
                    f"{_decimal(e.mean_fit)} and a mean pace of {_decimal(e.mean_pace)}, "
                    "so it needs tighter orchestration."
                ),
                evidence=(
                    ("mean_fit", e.mean_fit),
                    ("mean_pace", e.mean_pace),
                    ("assessing_teams", e.assessing_teams),
                ),
            )
        )
    return found


def preference_gaps(enablers: Sequence[EnablerResult]) -> list[Finding]:
    """At least two thirds of the assessing teams prefer another classification."""
    found = []
    for e in enablers:
        teams = e.assessing_teams
        if teams < PREFERENCE_MIN_TEAMS:
            continue
        for preferred, count in e.preferences:
            if preferred == e.declared or count * 3 < 2 * teams:
                continue
            found.append(
                Finding(
                    kind="preference_gap",
                    severity="low",
                    enablers=(e.key,),
                    message=(
                        f"{count} of the {teams} teams that assessed {e.name} would prefer "
                        f"it to be {preferred} rather than {e.declared}."
                    ),
                    evidence=(
                        ("declared", e.declared),
                        ("preferred", preferred),
                        ("teams_preferring", count),
                        ("assessing_teams", teams),
                    ),
                )
            )
    return found


def model_mismatch(declared: str | None, inferred: str) -> list[Finding]:
    """The declared delivery model differs from the one the journeys suggest."""
    if declared is None or inferred == "unknown" or declared == inferred:
        return []
    return [
        Finding(
            kind="model_mismatch",
            severity="medium",
            enablers=(),
            message=(
                f"The declared delivery model is {declared}, but the journeys look like "
                f"a {inferred} model."
            ),
            evidence=(("declared", declared), ("inferred", inferred)),
        )
    ]


def mix_out_of_range(mix: Mix, ranges: Mapping[str, Range] | None, model: str) -> list[Finding]:
    """One finding per classification whose share is outside its expected range."""
    if ranges is None or mix.total == 0:
        return []
    found = []
    for classification in CLASSIFICATIONS:
        share = mix.of(classification).share
        expected = ranges[classification]
        if share is None or expected.low <= share <= expected.high:
            continue
        side = "below" if share < expected.low else "above"
        found.append(
            Finding(
                kind="mix_out_of_range",
                severity="low",
                enablers=(),
                message=(
                    f"{classification.capitalize()} enablers make up {_percent(share)} of "
                    f"live enablers, {side} the {_percent(expected.low)} to "
                    f"{_percent(expected.high)} a {model} model expects."
                ),
                evidence=(
                    ("classification", classification),
                    ("share", share),
                    ("low", expected.low),
                    ("high", expected.high),
                ),
            )
        )
    return found


def unused(enablers: Sequence[EnablerResult]) -> list[Finding]:
    """Live enablers that no offering uses."""
    return [
        Finding(
            kind="unused",
            severity="low",
            enablers=(e.key,),
            message=f"No offering uses {e.name}.",
            evidence=(),
        )
        for e in enablers
        if e.reach == 0
    ]


def low_assessment_coverage(
    assessed_pairs: int, pairs: int, counting_round: str | None, t: Thresholds
) -> list[Finding]:
    """Too few (team, enabler) pairs of use are assessed in the counting round."""
    if pairs == 0:
        return []
    coverage = Fraction(assessed_pairs, pairs)
    if coverage >= t.exact("coverage_min"):
        return []
    if counting_round is None:
        message = (
            f"None of the {pairs} pairs of a team and an enabler its offerings use has been "
            "assessed, as no round holds any assessment yet."
        )
    else:
        message = (
            f"Only {assessed_pairs} of the {pairs} pairs of a team and an enabler its "
            f"offerings use were assessed by that team in round {counting_round} "
            f"({_percent(coverage)})."
        )
    return [
        Finding(
            kind="low_assessment_coverage",
            severity="low",
            enablers=(),
            message=message,
            evidence=(
                ("coverage", coverage),
                ("assessed_pairs", assessed_pairs),
                ("pairs", pairs),
            ),
        )
    ]

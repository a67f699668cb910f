"""The balance method, version 1: one organisation's data in, one report out.

A pure function over plain data (the rules of balance-method.md): no database, no
settings, no clock. Inputs are read as sets keyed by plain strings and every mean is an
exact fraction, so the same organisation gives the same report whatever the order of its
items.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from fractions import Fraction

from . import findings as rules
from .inputs import AssessmentInput, EnablerInput, OrganisationInput
from .journeys import analyse_journeys
from .report import (
    CLASSIFICATIONS,
    METHOD_VERSION,
    AreaMix,
    Counts,
    EnablerResult,
    Finding,
    JourneyMix,
    Mix,
    Range,
    Report,
)
from .thresholds import Thresholds

LIVE_LIFECYCLES = frozenset({"proposed", "active"})
COUNTING_FLAG_STATUSES = frozenset({"open", "acknowledged"})
SEVERITY_WEIGHTS = {"low": 1, "medium": 2, "high": 3, "blocking": 5}
MODELS: tuple[str, ...] = ("group", "track", "stage")
DEFAULT_THRESHOLDS = Thresholds()


def _range(low: str, high: str) -> tuple[Fraction, Fraction]:
    return Fraction(low), Fraction(high)


# Fixed in version 1 (not settings); bounds are the decimals as written.
EXPECTED_RANGES: dict[str, dict[str, tuple[Fraction, Fraction]]] = {
    "group": {
        "repeatable": _range("0.10", "0.25"),
        "common": _range("0.15", "0.35"),
        "independent": _range("0.45", "0.75"),
    },
    "track": {
        "repeatable": _range("0.15", "0.35"),
        "common": _range("0.40", "0.60"),
        "independent": _range("0.15", "0.35"),
    },
    "stage": {
        "repeatable": _range("0.50", "0.80"),
        "common": _range("0.10", "0.30"),
        "independent": _range("0.05", "0.20"),
    },
}


def expected_ranges(model: str) -> dict[str, Range] | None:
    """The expected share of each classification under ``model`` (None for unknown)."""
    bounds = EXPECTED_RANGES.get(model)
    if bounds is None:
        return None
    return {c: Range(c, *bounds[c]) for c in CLASSIFICATIONS}


def distance(share: Fraction, expected: Range) -> Fraction:
    """0 inside the range (bounds included), else how far outside it."""
    if share < expected.low:
        return expected.low - share
    if share > expected.high:
        return share - expected.high
    return Fraction(0)


def balance_score(mix: Mix, ranges: dict[str, Range] | None) -> tuple[Fraction, int] | None:
    """(d, score): score = ⌊100 × (1 − min(1, d)) + ½⌋, d summed exactly; None without a
    model with ranges or without live enablers."""
    if ranges is None or mix.total == 0:
        return None
    d = sum(
        (distance(Fraction(mix.of(c).count, mix.total), ranges[c]) for c in CLASSIFICATIONS),
        Fraction(0),
    )
    return d, math.floor(100 * (1 - min(Fraction(1), d)) + Fraction(1, 2))


def suggest(reach: int, offering_count: int, t: Thresholds) -> str | None:
    """The classification an enabler's reach suggests (section 4)."""
    if reach == 0:
        return None
    if reach == 1:
        return "independent"
    minimum = t.exact("repeatable_reach")
    if reach * minimum.denominator >= minimum.numerator * offering_count:
        return "repeatable"
    return "common"


def counting_round(org: OrganisationInput) -> str | None:
    """The latest round (in the order opened) holding any assessment, live enabler or not."""
    position = {key: i for i, key in enumerate(org.rounds)}
    latest = max((position[a.round] for a in org.assessments if a.round in position), default=None)
    return None if latest is None else org.rounds[latest]


def compute(org: OrganisationInput, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Report:
    """Compute the balance report of one organisation with the given thresholds."""
    t = thresholds
    offerings = {o.key: o for o in org.offerings}
    offering_area = {key: o.area for key, o in offerings.items()}
    area_names = dict(org.areas)
    journeys = analyse_journeys(org.journeys, offering_area, area_names, t)

    live: list[EnablerInput] = sorted(
        (e for e in org.enablers if e.lifecycle in LIVE_LIFECYCLES), key=lambda e: e.key
    )
    live_keys = {e.key for e in live}

    # Reach: offerings that use each live enabler; journeys reached through them.
    reach: dict[str, set[str]] = {key: set() for key in live_keys}
    for usage in org.usages:
        used_by = reach.get(usage.enabler)
        if used_by is not None and usage.offering in offerings:
            used_by.add(usage.offering)
    journeys_of_offering: dict[str, list[int]] = defaultdict(list)
    for index, offs in enumerate(journeys.offerings):
        for offering in offs:
            journeys_of_offering[offering].append(index)
    reached: dict[str, frozenset[int]] = {
        key: frozenset(j for o in used_by for j in journeys_of_offering.get(o, ()))
        for key, used_by in reach.items()
    }

    # Bottleneck pressure from counting flags.
    pressure: Counter[str] = Counter()
    flagging: dict[str, set[str]] = defaultdict(set)
    blocking: set[str] = set()
    counting_flags = 0
    for flag in org.flags:
        if flag.enabler not in live_keys or flag.status not in COUNTING_FLAG_STATUSES:
            continue
        counting_flags += 1
        pressure[flag.enabler] += SEVERITY_WEIGHTS[flag.severity]
        flagging[flag.enabler].add(flag.team)
        if flag.severity == "blocking":
            blocking.add(flag.enabler)

    # Assessments of live enablers in the counting round.
    round_key = counting_round(org)
    counting: list[AssessmentInput] = (
        []
        if round_key is None
        else [a for a in org.assessments if a.round == round_key and a.enabler in live_keys]
    )
    assessed_by: dict[str, list[AssessmentInput]] = defaultdict(list)
    for assessment in counting:
        assessed_by[assessment.enabler].append(assessment)

    n = len(offerings)
    results = tuple(
        _enabler_result(
            e,
            used_by=reach[e.key],
            reached=reached[e.key],
            journey_keys=journeys.keys,
            assessments=assessed_by[e.key],
            flags=(pressure[e.key], len(flagging[e.key]), e.key in blocking),
            offering_count=n,
            t=t,
        )
        for e in live
    )

    mix = Mix.from_counts(Counter(e.classification for e in live))
    inferred = journeys.inferred_model
    model_in_force = org.declared_model or inferred
    ranges = expected_ranges(model_in_force)
    scored = balance_score(mix, ranges)

    # Pairs (team, live enabler) where the team owns an offering that uses the enabler.
    offering_team = {key: o.team for key, o in offerings.items()}
    pairs = {(offering_team[o], key) for key, used_by in reach.items() for o in used_by}
    pairs = {pair for pair in pairs if pair[0] is not None}
    assessed = {(a.team, a.enabler) for a in counting}
    assessed_pairs = len(pairs & assessed)

    found: list[Finding] = [
        *rules.shared_bottlenecks(results, t),
        *rules.efficiency_before_coherence(
            journeys.measures.diversity, mix, ranges, model_in_force, t
        ),
        *rules.classification_mismatches(results, n),
        *rules.selective_commonality(results, reached, journeys.keys, journeys.near),
        *rules.orchestration_loads(results, t),
        *rules.preference_gaps(results),
        *rules.model_mismatch(org.declared_model, inferred),
        *rules.mix_out_of_range(mix, ranges, model_in_force),
        *rules.unused(results),
        *rules.low_assessment_coverage(assessed_pairs, len(pairs), round_key, t),
    ]

    return Report(
        method_version=METHOD_VERSION,
        thresholds=t,
        declared_model=org.declared_model,
        inferred_model=inferred,
        model_in_force=model_in_force,
        counts=Counts(
            offerings=n,
            journeys=len(journeys.keys),
            live_enablers=len(live),
            counting_flags=counting_flags,
            counting_assessments=len(counting),
        ),
        counting_round=round_key,
        measures=journeys.measures,
        clusters=journeys.clusters,
        mix=mix,
        expected_ranges=None if ranges is None else tuple(ranges[c] for c in CLASSIFICATIONS),
        balance_distance=None if scored is None else scored[0],
        balance_score=None if scored is None else scored[1],
        mix_by_area=_mix_by_area(org, live, reach, offering_area),
        mix_by_journey=tuple(
            JourneyMix(key=key, name=name, mix=mix_of)
            for key, name, mix_of in zip(
                journeys.keys,
                journeys.names,
                _mix_by_journey(live, reached, len(journeys.keys)),
                strict=True,
            )
        ),
        enablers=results,
        findings=rules.sort_findings(found),
    )


def _enabler_result(
    e: EnablerInput,
    *,
    used_by: set[str],
    reached: frozenset[int],
    journey_keys: tuple[str, ...],
    assessments: list[AssessmentInput],
    flags: tuple[int, int, bool],
    offering_count: int,
    t: Thresholds,
) -> EnablerResult:
    """What the method finds for one live enabler; ``flags`` is (pressure, teams, blocking)."""
    pressure, flagging_teams, blocking = flags
    teams = {a.team for a in assessments}
    preferring: dict[str, set[str]] = defaultdict(set)
    for a in assessments:
        if a.preferred is not None:
            preferring[a.preferred].add(a.team)
    count = len(assessments)
    return EnablerResult(
        key=e.key,
        name=e.name,
        declared=e.classification,
        lifecycle=e.lifecycle,
        capability=e.capability,
        offering_keys=tuple(sorted(used_by)),
        # Journey indices follow the sorted keys, so sorting indices sorts keys.
        journey_keys=tuple(journey_keys[j] for j in sorted(reached)),
        reach_share=Fraction(len(used_by), offering_count) if offering_count else None,
        suggested=suggest(len(used_by), offering_count, t),
        pressure=pressure,
        flagging_teams=flagging_teams,
        blocking=blocking,
        assessing_teams=len(teams),
        mean_fit=Fraction(sum(a.fit for a in assessments), count) if count else None,
        mean_pace=Fraction(sum(a.pace for a in assessments), count) if count else None,
        preferences=tuple(
            (c, len(preferring[c])) for c in sorted(preferring, key=_classification_order)
        ),
    )


def _classification_order(classification: str) -> tuple[int, str]:
    order = CLASSIFICATIONS.index(classification) if classification in CLASSIFICATIONS else 3
    return order, classification


def _mix_by_area(
    org: OrganisationInput,
    live: list[EnablerInput],
    reach: dict[str, set[str]],
    offering_area: dict[str, str | None],
) -> tuple[AreaMix, ...]:
    names = dict(org.areas)
    counts: dict[str, Counter[str]] = {key: Counter() for key in names}
    for e in live:
        for area in {offering_area[o] for o in reach[e.key]}:
            if area is not None:
                counts.setdefault(area, Counter())[e.classification] += 1
    return tuple(
        AreaMix(key=key, name=names.get(key, key), mix=Mix.from_counts(counts[key]))
        for key in sorted(counts)
    )


def _mix_by_journey(
    live: list[EnablerInput], reached: dict[str, frozenset[int]], journey_count: int
) -> list[Mix]:
    counts: list[Counter[str]] = [Counter() for _ in range(journey_count)]
    for e in live:
        for j in reached[e.key]:
            counts[j][e.classification] += 1
    return [Mix.from_counts(c) for c in counts]

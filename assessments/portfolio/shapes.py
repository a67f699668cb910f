"""The journey pictures' layout data, computed once when a report is stored.

The three delivery models see journeys differently (separate clusters, lanes crossing at
shared points, a staircase of stages), so the report keeps all three layouts and the page
draws whichever it wants. Only what gets drawn is kept, plus "how many more", so the data
stays a few kilobytes even for thousands of journeys. Pure Python, no Django.

Positions along a journey are relative: step ``i`` of ``n`` covers ``i/n .. (i+1)/n`` and
sits at its centre, so journeys of different lengths line up from start (0) to end (1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import median
from typing import Any

from assessments.balance.inputs import JourneyInput, OrganisationInput
from assessments.balance.report import Cluster, Report

SHAPES_VERSION = 1
MAX_CLUSTERS = 6
MAX_CLUSTER_JOURNEYS = 6
MAX_LANES = 10
MAX_NODES = 14
MAX_STAGES = 12

OFFERING = "offering"
TOUCHPOINT = "touchpoint"

# (kind, key): an offering and a touchpoint with the same key are different elements.
Element = tuple[str, str]


@dataclass(frozen=True)
class _Journey:
    """One journey as the layouts read it."""

    key: str
    name: str
    footprint: frozenset[Element]
    # Where the journey first meets each element of its footprint (0..1).
    positions: dict[Element, Fraction]
    # Each offering's span along the journey: (start of its first step, end of its last).
    spans: dict[str, tuple[Fraction, Fraction]]
    steps: int


def _read_journey(journey: JourneyInput) -> _Journey:
    n = len(journey.steps)
    positions: dict[Element, Fraction] = {}
    spans: dict[str, tuple[Fraction, Fraction]] = {}
    for i, step in enumerate(journey.steps):
        centre = Fraction(2 * i + 1, 2 * n)
        for element in [(OFFERING, step.offering), *((TOUCHPOINT, t) for t in step.touchpoints)]:
            positions.setdefault(element, centre)
        start, end = Fraction(i, n), Fraction(i + 1, n)
        first = spans.get(step.offering)
        spans[step.offering] = (start, end) if first is None else (min(first[0], start), end)
    return _Journey(
        key=journey.key,
        name=journey.name,
        footprint=frozenset(positions),
        positions=positions,
        spans=spans,
        steps=n,
    )


def _number(value: Fraction) -> float:
    # Adding 0.0 turns -0.0 into 0.0, so equal values always print the same.
    return round(float(value), 4) + 0.0


def journey_shapes(
    org: OrganisationInput, report: Report, *, link_threshold: Fraction | None = None
) -> dict[str, Any]:
    """The group, track and stage layouts of the organisation's journeys, as plain data.

    ``link_threshold`` (default: the report's own) decides which of the pairs of journeys
    joining two clusters are ``linked`` in the method's sense (overlap at least the
    threshold); ``pairs`` counts every pair that shares anything at all.
    """
    journeys = sorted((_read_journey(j) for j in org.journeys), key=lambda j: j.key)
    names = _element_names(org)
    threshold = (
        link_threshold if link_threshold is not None else report.thresholds.exact("link_threshold")
    )
    return {
        "version": SHAPES_VERSION,
        "journeys": len(journeys),
        "group": _group(journeys, report.clusters, threshold),
        "track": _track(journeys, names),
        "stage": _stage(journeys, names),
    }


def _element_names(org: OrganisationInput) -> dict[Element, str]:
    names: dict[Element, str] = {(OFFERING, o.key): o.name for o in org.offerings}
    names.update({(TOUCHPOINT, key): name for key, name in org.touchpoints})
    return names


# --- group: clusters and the links between them ---------------------------------------------


def _group(
    journeys: Sequence[_Journey], clusters: Iterable[Cluster], threshold: Fraction
) -> dict[str, Any]:
    by_key = {j.key: j for j in journeys}
    ordered = sorted(clusters, key=lambda c: (-len(c.journeys), c.label, c.area or "", c.journeys))
    drawn, hidden = ordered[:MAX_CLUSTERS], ordered[MAX_CLUSTERS:]
    members = [[by_key[k] for k in c.journeys if k in by_key] for c in drawn]
    return {
        "clusters": [
            {
                "label": cluster.label,
                "total": len(cluster.journeys),
                "journeys": [
                    {"key": j.key, "name": j.name}
                    for j in sorted(inside, key=lambda j: (j.name, j.key))[:MAX_CLUSTER_JOURNEYS]
                ],
            }
            for cluster, inside in zip(drawn, members, strict=True)
        ],
        "more_clusters": len(hidden),
        "more_journeys": sum(len(c.journeys) for c in hidden),
        "links": _links(members, threshold),
    }


def _links(members: Sequence[Sequence[_Journey]], threshold: Fraction) -> list[dict[str, int]]:
    """Pairs of journeys, one in each of two drawn clusters, that share any element.

    Elements become small integers and each cluster indexes which of its journeys pass
    each one, so the work grows with the pairs that do share, not with all pairs.
    """
    element_ids: dict[Element, int] = {}
    footprints = [
        [frozenset(element_ids.setdefault(e, len(element_ids)) for e in j.footprint) for j in c]
        for c in members
    ]
    # For each drawn cluster, which of its journeys pass each element.
    passing: list[dict[int, list[int]]] = []
    for cluster in footprints:
        index: dict[int, list[int]] = {}
        for position, footprint in enumerate(cluster):
            for element in footprint:
                index.setdefault(element, []).append(position)
        passing.append(index)

    links: list[dict[str, int]] = []
    for a, cluster_a in enumerate(footprints):
        for b in range(a + 1, len(footprints)):
            pairs, linked = _pairs_between(cluster_a, footprints[b], passing[b], threshold)
            if pairs:
                links.append({"a": a, "b": b, "pairs": pairs, "linked": linked})
    return links


def _pairs_between(
    cluster_a: Sequence[frozenset[int]],
    cluster_b: Sequence[frozenset[int]],
    passing_b: dict[int, list[int]],
    threshold: Fraction,
) -> tuple[int, int]:
    """(pairs sharing an element, pairs whose overlap reaches ``threshold``)."""
    num, den = threshold.numerator, threshold.denominator
    sizes_b = [len(f) for f in cluster_b]
    pairs = linked = 0
    for footprint in cluster_a:
        shared: Counter[int] = Counter()
        for element in footprint:
            shared.update(passing_b.get(element, ()))
        pairs += len(shared)
        size_a = len(footprint)
        # overlap = shared / union ≥ num / den, in integers.
        linked += sum(1 for b, i in shared.items() if i * den >= num * (size_a + sizes_b[b] - i))
    if num == 0:
        # A threshold of 0 links every pair, even those that share nothing (overlap 0).
        linked = len(cluster_a) * len(cluster_b)
    return pairs, linked


# --- track: lanes crossing at shared points -------------------------------------------------


def _track(journeys: Sequence[_Journey], names: dict[Element, str]) -> dict[str, Any]:
    passed_by = Counter(e for j in journeys for e in j.footprint)
    shared = {e for e, count in passed_by.items() if count >= 2}
    lanes = sorted(journeys, key=lambda j: (-len(j.footprint & shared), j.key))[:MAX_LANES]

    lanes_of: dict[Element, list[int]] = {}
    for index, lane in enumerate(lanes):
        for element in lane.footprint:
            lanes_of.setdefault(element, []).append(index)
    crossing = [e for e, on in lanes_of.items() if len(on) >= 2]
    chosen = sorted(crossing, key=lambda e: (-len(lanes_of[e]), e))[:MAX_NODES]

    def position(element: Element) -> Fraction:
        on = lanes_of[element]
        return sum((lanes[i].positions[element] for i in on), Fraction(0)) / len(on)

    placed = sorted(((position(e), e) for e in chosen), key=lambda item: (item[0], item[1]))
    return {
        "lanes": [{"key": j.key, "name": j.name} for j in lanes],
        "nodes": [
            {
                "key": key,
                "name": names.get((kind, key), key),
                "kind": kind,
                "lanes": sorted(lanes_of[(kind, key)]),
                "position": _number(where),
            }
            for where, (kind, key) in placed
        ],
        "more_journeys": len(journeys) - len(lanes),
        "more_nodes": len(shared) - len(chosen),
    }


# --- stage: a staircase of offerings --------------------------------------------------------


def _stage(journeys: Sequence[_Journey], names: dict[Element, str]) -> dict[str, Any]:
    # Where a stage typically sits: the median of where each journey passes it. (The
    # earliest start and latest end would stretch every shared stage across the whole axis
    # in a large organisation.)
    starts: dict[str, list[Fraction]] = {}
    ends: dict[str, list[Fraction]] = {}
    for journey in journeys:
        for offering, (start, end) in journey.spans.items():
            starts.setdefault(offering, []).append(start)
            ends.setdefault(offering, []).append(end)
    passing = {o: len(spans) for o, spans in starts.items()}
    typical = {o: (Fraction(median(starts[o])), Fraction(median(ends[o]))) for o in passing}
    chosen = sorted(passing, key=lambda o: (-passing[o], o))[:MAX_STAGES]
    staircase = sorted(chosen, key=lambda o: (typical[o][0], o))
    return {
        "stages": [
            {
                "key": o,
                "name": names.get((OFFERING, o), o),
                "start": _number(typical[o][0]),
                "end": _number(typical[o][1]),
                "journeys": passing[o],
            }
            for o in staircase
        ],
        "more_stages": len(passing) - len(chosen),
        "journeys": sum(1 for j in journeys if j.steps),
    }

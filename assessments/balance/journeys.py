"""Sections 1 and 2 of the method: journeys, their overlap, clusters and the inferred model.

Overlaps are kept exact: each pair's Jaccard is the integer pair (|A ∩ B|, |A ∪ B|), and
means are sums of fractions, so results do not depend on the order of the input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .inputs import JourneyInput
from .report import Cluster, Measures
from .thresholds import Thresholds

NO_AREA_LABEL = "No area"


@dataclass(frozen=True)
class JourneyAnalysis:
    """Everything the rest of the method needs about journeys, indexed like ``keys``."""

    keys: tuple[str, ...]  # sorted
    names: tuple[str, ...]
    offerings: tuple[frozenset[str], ...]  # distinct offerings of each journey
    areas: tuple[str | None, ...]  # business area of each journey
    measures: Measures
    clusters: tuple[Cluster, ...]
    inferred_model: str
    # For each journey: itself and every journey whose overlap with it is at least
    # `commonality_overlap` (what makes two independent enablers "near").
    near: tuple[frozenset[int], ...]


def journey_area(offerings: frozenset[str], offering_area: Mapping[str, str | None]) -> str | None:
    """The area held by most of the offerings (ties: the key that sorts first), or None."""
    counts = Counter(a for o in offerings if (a := offering_area.get(o)) is not None)
    if not counts:
        return None
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def _mean(ratios: Counter[tuple[int, int]], pairs: int) -> Fraction | None:
    """The mean of ``pairs`` overlaps given as a count of each (intersection, union)."""
    if pairs == 0:
        return None
    total = sum(
        (Fraction(i * count, u) for (i, u), count in ratios.items() if i and u), Fraction(0)
    )
    return total / pairs


class UnionFind:
    """Union-find over the integers 0 .. size − 1."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller index becomes the root, so roots are stable whatever the order.
            self.parent[max(ra, rb)] = min(ra, rb)


def analyse_journeys(
    journeys: Sequence[JourneyInput],
    offering_area: Mapping[str, str | None],
    area_names: Mapping[str, str],
    thresholds: Thresholds,
) -> JourneyAnalysis:
    """Footprints, overlaps, measures, clusters and the inferred model of the journeys."""
    ordered = sorted(journeys, key=lambda j: j.key)
    n = len(ordered)

    # Offerings and touchpoints become small integers; ("o", x) and ("t", x) stay apart.
    element_ids: dict[tuple[str, str], int] = {}
    footprints: list[frozenset[int]] = []
    offerings: list[frozenset[str]] = []
    for journey in ordered:
        offs = frozenset(step.offering for step in journey.steps)
        touchpoints = {tp for step in journey.steps for tp in step.touchpoints}
        elements = [("o", o) for o in offs] + [("t", tp) for tp in touchpoints]
        footprints.append(frozenset(element_ids.setdefault(e, len(element_ids)) for e in elements))
        offerings.append(offs)

    link = thresholds.exact("link_threshold")
    nearness = thresholds.exact("commonality_overlap")
    link_num, link_den = link.numerator, link.denominator
    near_num, near_den = nearness.numerator, nearness.denominator
    components = UnionFind(n)
    near: list[set[int]] = [{k} for k in range(n)]
    pairs: list[tuple[int, int, int, int]] = []
    all_ratios: Counter[tuple[int, int]] = Counter()
    for a in range(n):
        fa = footprints[a]
        size_a = len(fa)
        for b in range(a + 1, n):
            fb = footprints[b]
            inter = len(fa & fb)
            union = size_a + len(fb) - inter
            pairs.append((a, b, inter, union))
            all_ratios[(inter, union)] += 1
            if union == 0:
                # Two empty footprints overlap 0; only a threshold of 0 links them.
                if link_num <= 0:
                    components.join(a, b)
                if near_num <= 0:
                    near[a].add(b)
                    near[b].add(a)
                continue
            # inter/union ≥ num/den, in integers (this loop runs for every pair).
            if inter * link_den >= link_num * union:
                components.join(a, b)
            if inter * near_den >= near_num * union:
                near[a].add(b)
                near[b].add(a)

    mean_overlap = _mean(all_ratios, len(pairs)) if n >= 2 else None
    diversity = None if mean_overlap is None else 1 - mean_overlap
    lengths = [len(offs) for offs in offerings]
    mean_length = Fraction(sum(lengths), n) if n else None

    areas = [journey_area(offs, offering_area) for offs in offerings]
    keys = tuple(j.key for j in ordered)
    cluster_of, clusters = _clusters(keys, areas, components, area_names)

    within: Counter[tuple[int, int]] = Counter()
    across: Counter[tuple[int, int]] = Counter()
    for a, b, inter, union in pairs:
        (within if cluster_of[a] == cluster_of[b] else across)[(inter, union)] += 1
    within_overlap = _mean(within, within.total())
    across_overlap = _mean(across, across.total())

    measures = Measures(
        mean_overlap=mean_overlap,
        diversity=diversity,
        mean_length=mean_length,
        clusters=len(clusters),
        within_overlap=within_overlap,
        across_overlap=across_overlap,
    )
    return JourneyAnalysis(
        keys=keys,
        names=tuple(j.name for j in ordered),
        offerings=tuple(offerings),
        areas=tuple(areas),
        measures=measures,
        clusters=clusters,
        inferred_model=infer_model(measures, lengths, thresholds),
        near=tuple(frozenset(s) for s in near),
    )


def _clusters(
    keys: tuple[str, ...],
    areas: list[str | None],
    components: UnionFind,
    area_names: Mapping[str, str],
) -> tuple[list[int], tuple[Cluster, ...]]:
    """The cluster index of each journey, and the clusters in a stable order."""
    distinct = sorted({a for a in areas if a is not None})
    if len(distinct) >= 2:
        # Clusters are the areas, then one more for the journeys without an area.
        index = {area: i for i, area in enumerate(distinct)}
        cluster_of = [len(distinct) if a is None else index[a] for a in areas]
        clusters = [
            Cluster(
                kind="area",
                label=area_names.get(area, area),
                area=area,
                journeys=tuple(k for k, a in zip(keys, areas, strict=True) if a == area),
            )
            for area in distinct
        ]
        if None in areas:
            clusters.append(
                Cluster(
                    kind="no_area",
                    label=NO_AREA_LABEL,
                    area=None,
                    journeys=tuple(k for k, a in zip(keys, areas, strict=True) if a is None),
                )
            )
        return cluster_of, tuple(clusters)

    # Connected components, numbered in the order of their first journey key.
    roots = [components.find(k) for k in range(len(keys))]
    number: dict[int, int] = {}
    for root in roots:
        number.setdefault(root, len(number))
    cluster_of = [number[root] for root in roots]
    members: list[list[str]] = [[] for _ in number]
    for key, cluster in zip(keys, cluster_of, strict=True):
        members[cluster].append(key)
    return cluster_of, tuple(
        Cluster(kind="component", label=f"Component {i + 1}", area=None, journeys=tuple(m))
        for i, m in enumerate(members)
    )


def infer_model(measures: Measures, lengths: Sequence[int], thresholds: Thresholds) -> str:
    """The first of the method's rules (section 2) that holds gives the inferred model."""
    t = thresholds
    count = len(lengths)
    if count == 0:
        return "unknown"
    across = measures.across_overlap
    within = measures.within_overlap if measures.within_overlap is not None else Fraction(0)
    if (
        measures.clusters >= 2
        and across is not None
        and across < t.exact("group_across_max")
        and (within == 0 or across <= t.exact("group_across_ratio") * within)
    ):
        return "group"
    mean_length = measures.mean_length
    mean_overlap = measures.mean_overlap
    if (
        mean_length is not None
        and mean_length >= t.exact("stage_min_length")
        and (
            count == 1
            or (mean_overlap is not None and mean_overlap >= t.exact("stage_min_overlap"))
        )
    ):
        return "stage"
    if count == 1:
        return "stage" if lengths[0] >= t.exact("single_stage_min_length") else "unknown"
    return "track"

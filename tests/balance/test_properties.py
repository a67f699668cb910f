"""Properties that hold for any organisation (hypothesis, bounded)."""

import random
from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.balance import (
    AssessmentInput,
    EnablerInput,
    FlagInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
    compute,
    report_to_dict,
    report_to_json,
)
from assessments.balance.findings import sort_findings

AREAS = ["a1", "a2", "a11"]
TEAMS = ["t1", "t2", "t3"]
# "o1" as a touchpoint too: an offering and a touchpoint with one key stay apart.
TOUCHPOINTS = ["web", "app", "o1"]
CLASSES = ["repeatable", "common", "independent"]
LIFECYCLES = ["proposed", "active", "deprecated", "retired"]
LABELS = ["", " ", "search", " Search ", "maps"]
ROUNDS = ["r1", "r2", "r10"]


@st.composite
def organisations(draw):
    offering_keys = [f"o{i}" for i in range(draw(st.integers(0, 7)))]
    offering_items = tuple(
        OfferingInput(
            key,
            f"Offering {key}",
            draw(st.sampled_from([None, *AREAS])),
            draw(st.sampled_from([None, *TEAMS])),
        )
        for key in offering_keys
    )
    journey_items = []
    for i in range(draw(st.integers(0, 5))):
        steps = tuple(
            StepInput(
                draw(st.sampled_from(offering_keys)),
                tuple(draw(st.lists(st.sampled_from(TOUCHPOINTS), max_size=2))),
            )
            for _ in range(draw(st.integers(0, 5)) if offering_keys else 0)
        )
        journey_items.append(JourneyInput(f"j{i}", f"Journey {i}", steps))
    enabler_keys = [f"e{i}" for i in range(draw(st.integers(0, 8)))]
    enabler_items = tuple(
        EnablerInput(
            key,
            f"Enabler {key}",
            draw(st.sampled_from(CLASSES)),
            draw(st.sampled_from(LIFECYCLES)),
            draw(st.sampled_from(LABELS)),
        )
        for key in enabler_keys
    )
    pairs = [(e, o) for e in enabler_keys for o in offering_keys]
    usage_items = (
        tuple(UsageInput(e, o) for e, o in draw(st.lists(st.sampled_from(pairs), unique=True)))
        if pairs
        else ()
    )
    flag_items = tuple(
        FlagInput(
            draw(st.sampled_from(enabler_keys)),
            draw(st.sampled_from(TEAMS)),
            draw(st.sampled_from(["low", "medium", "high", "blocking"])),
            draw(st.sampled_from(["open", "acknowledged", "resolved"])),
        )
        for _ in range(draw(st.integers(0, 6)) if enabler_keys else 0)
    )
    rounds = tuple(draw(st.lists(st.sampled_from(ROUNDS), unique=True)))
    slots = [(r, t, e) for r in rounds for t in TEAMS for e in enabler_keys]
    assessment_items = tuple(
        AssessmentInput(
            r,
            t,
            e,
            draw(st.integers(1, 5)),
            draw(st.integers(-2, 2)),
            draw(st.sampled_from([None, *CLASSES])),
        )
        for r, t, e in (draw(st.lists(st.sampled_from(slots), unique=True)) if slots else [])
    )
    return OrganisationInput(
        declared_model=draw(st.sampled_from([None, "group", "track", "stage"])),
        areas=tuple((a, f"Area {a}") for a in AREAS),
        offerings=offering_items,
        journeys=tuple(journey_items),
        enablers=enabler_items,
        usages=usage_items,
        flags=flag_items,
        assessments=assessment_items,
        rounds=rounds,
    )


def _shuffled(items, rng):
    items = list(items)
    rng.shuffle(items)
    return tuple(items)


def shuffle_everything(org: OrganisationInput, rng: random.Random) -> OrganisationInput:
    """The same organisation with every tuple in another order (rounds keep theirs: it
    means something)."""
    journeys = [
        replace(
            j,
            steps=_shuffled(
                (replace(s, touchpoints=_shuffled(s.touchpoints, rng)) for s in j.steps), rng
            ),
        )
        for j in org.journeys
    ]
    return replace(
        org,
        areas=_shuffled(org.areas, rng),
        offerings=_shuffled(org.offerings, rng),
        journeys=_shuffled(journeys, rng),
        enablers=_shuffled(org.enablers, rng),
        usages=_shuffled(org.usages, rng),
        flags=_shuffled(org.flags, rng),
        assessments=_shuffled(org.assessments, rng),
    )


@settings(max_examples=60, deadline=None)
@given(organisations())
def test_shares_sum_to_one_when_there_are_live_enablers(org):
    report = compute(org)
    live = sum(1 for e in org.enablers if e.lifecycle in ("proposed", "active"))
    mix = report.mix
    counts = [mix.of(c).count for c in ("repeatable", "common", "independent")]
    assert sum(counts) == live == report.counts.live_enablers
    if live:
        shares_exact = [mix.of(c).share for c in ("repeatable", "common", "independent")]
        assert sum(s for s in shares_exact if s is not None) == 1
        shares = report_to_dict(report)["mix"]
        assert abs(sum(v["share"] for v in shares.values()) - 1) <= 0.0002
    else:
        assert mix.repeatable.share is None


@settings(max_examples=60, deadline=None)
@given(organisations())
def test_the_score_is_null_or_a_whole_number_from_0_to_100(org):
    report = compute(org)
    score = report.balance_score
    if report.model_in_force == "unknown" or report.counts.live_enablers == 0:
        assert score is None
    else:
        assert isinstance(score, int)
        assert 0 <= score <= 100


@settings(max_examples=60, deadline=None)
@given(organisations(), st.randoms(use_true_random=False))
def test_the_json_is_the_same_in_any_input_order(org, rng):
    assert report_to_json(compute(shuffle_everything(org, rng))) == report_to_json(compute(org))


@settings(max_examples=60, deadline=None)
@given(organisations())
def test_reports_are_consistent(org):
    report = compute(org)
    data = report_to_dict(report)
    live = {e.key for e in org.enablers if e.lifecycle in ("proposed", "active")}
    assert set(data["enablers"]) == live
    assert sort_findings(report.findings) == report.findings
    for finding in report.findings:
        assert list(finding.enablers) == sorted(finding.enablers)
        assert set(finding.enablers) <= live
        assert finding.severity in ("high", "medium", "low")
    for entry in data["enablers"].values():
        assert entry["reach"] == len(entry["offering_keys"])
        assert entry["journeys"] == len(entry["journey_keys"])
        assert entry["offering_keys"] == sorted(entry["offering_keys"])
        assert entry["journey_keys"] == sorted(entry["journey_keys"])
    clustered = sorted(k for c in data["clusters_detail"] for k in c["journeys"])
    assert clustered == sorted(j.key for j in org.journeys)
    assert data["measures"]["clusters"] == len(data["clusters_detail"])
    m = report.measures
    if m.mean_overlap is not None:
        assert 0 <= m.mean_overlap <= 1
        assert m.diversity == 1 - m.mean_overlap
    if report.balance_distance is not None:
        assert report.balance_distance >= Fraction(0)


def _naive_commonality_groups(org: OrganisationInput) -> list[tuple[str, ...]]:
    """Selective commonality straight from the method's words, pair by pair."""
    offerings = {o.key for o in org.offerings}
    footprint = {
        j.key: {("o", s.offering) for s in j.steps}
        | {("t", tp) for s in j.steps for tp in s.touchpoints}
        for j in org.journeys
    }

    def overlap(a: str, b: str) -> Fraction:
        union = footprint[a] | footprint[b]
        return Fraction(len(footprint[a] & footprint[b]), len(union)) if union else Fraction(0)

    candidates = [
        e
        for e in org.enablers
        if e.lifecycle in ("proposed", "active")
        and e.classification == "independent"
        and e.capability.strip().lower()
    ]
    reached = {
        e.key: {
            j.key
            for j in org.journeys
            for s in j.steps
            if UsageInput(e.key, s.offering) in org.usages and s.offering in offerings
        }
        for e in candidates
    }

    def near(a: str, b: str) -> bool:
        return bool(reached[a] & reached[b]) or any(
            overlap(j, k) >= Fraction(3, 10) for j in reached[a] for k in reached[b]
        )

    groups = []
    seen: set[str] = set()
    for e in candidates:
        if e.key in seen:
            continue
        label = e.capability.strip().lower()
        same = [c.key for c in candidates if c.capability.strip().lower() == label]
        group, frontier = {e.key}, [e.key]
        while frontier:
            current = frontier.pop()
            for other in same:
                if other not in group and near(current, other):
                    group.add(other)
                    frontier.append(other)
        seen |= group
        if len(group) >= 2:
            groups.append(tuple(sorted(group)))
    return sorted(groups)


@settings(max_examples=60, deadline=None)
@given(organisations())
def test_selective_commonality_matches_the_pairwise_definition(org):
    # Also with every enabler live, independent and on one of two labels, so that groups
    # are common rather than rare.
    crowded = replace(
        org,
        enablers=tuple(
            replace(
                e,
                classification="independent",
                lifecycle="active",
                capability=("KYC " if i % 3 else " maps") if i % 4 else "kyc",
            )
            for i, e in enumerate(org.enablers)
        ),
    )
    for case in (org, crowded):
        found = sorted(
            f.enablers for f in compute(case).findings if f.kind == "selective_commonality"
        )
        assert found == _naive_commonality_groups(case)

"""Section 2: the rules that infer the delivery model, in order, at their boundaries."""

from fractions import Fraction

from assessments.balance import Thresholds, compute

from .builders import journey, offering, offerings, organisation


def inferred(org, **overrides):
    return compute(org, Thresholds.with_overrides(overrides)).inferred_model


def _two_areas(a_offerings: int, b_offerings: int):
    """One journey per area, sharing only the touchpoint ``web``."""
    a = [f"x{i}" for i in range(a_offerings)]
    b = [f"y{i}" for i in range(b_offerings)]
    return organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[*offerings(*a, area="x"), *offerings(*b, area="y")],
        journeys=[journey("a", *a, touchpoints=["web"]), journey("b", *b, touchpoints=["web"])],
    )


def test_no_journeys_is_unknown():
    assert inferred(organisation(offerings=offerings("o1"))) == "unknown"


def test_group_when_clusters_barely_touch():
    # 1 shared of 11: X = 1/11 < 0.10, and W is null (counts as 0).
    org = _two_areas(6, 4)
    assert compute(org).measures.across_overlap == Fraction(1, 11)
    assert inferred(org) == "group"


def test_not_group_when_across_overlap_is_exactly_group_across_max():
    # 1 shared of 10: X = 0.10 exactly, not below 0.10; 4.5 long but M < 0.5: track.
    org = _two_areas(5, 4)
    assert compute(org).measures.across_overlap == Fraction(1, 10)
    assert inferred(org) == "track"
    assert inferred(org, group_across_max=0.11) == "group"


def test_group_from_connected_components_without_areas():
    org = organisation(
        offerings=offerings("o1", "o2"), journeys=[journey("a", "o1"), journey("b", "o2")]
    )
    assert compute(org).measures.clusters == 2
    assert inferred(org) == "group"


def test_one_cluster_is_never_group():
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o2", "o3")],
    )
    assert inferred(org) == "track"


def _ratio_case():
    """W = 1/4, X = 1/20: group exactly when group_across_ratio ≥ 0.2."""
    return organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[*offerings("x1", "x2", "x3", area="x"), *offerings("y1", "y2", "y3", area="y")],
        journeys=[
            journey("a1", "x1", "x2", touchpoints=["web"]),
            journey("a2", "x1", "x3"),
            journey("b1", "y1", "y2", touchpoints=["web"]),
            journey("b2", "y1", "y3"),
        ],
    )


def test_group_needs_across_overlap_at_most_ratio_times_within():
    m = compute(_ratio_case()).measures
    assert (m.within_overlap, m.across_overlap) == (Fraction(1, 4), Fraction(1, 20))
    assert inferred(_ratio_case()) == "group"
    assert inferred(_ratio_case(), group_across_ratio=0.2) == "group"
    assert inferred(_ratio_case(), group_across_ratio=0.19) == "track"


def test_group_when_within_overlap_is_zero_whatever_the_ratio():
    org = organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[*offerings("x1", "x2", area="x"), *offerings("y1", "y2", area="y")],
        journeys=[
            journey("a1", "x1", touchpoints=["web"]),
            journey("a2", "x2"),
            journey("b1", "y1", touchpoints=["web"]),
            journey("b2", "y2"),
        ],
    )
    m = compute(org).measures
    assert m.within_overlap == 0
    assert m.across_overlap == Fraction(1, 12)  # a1-b1 1/3, the other three 0
    assert inferred(org, group_across_ratio=0) == "group"


def _shared_pair(extra: int):
    """Two 4+ long journeys sharing three offerings; ``extra`` more in the second."""
    more = [f"m{i}" for i in range(extra)]
    return organisation(
        offerings=offerings("o1", "o2", "o3", "o4", *more),
        journeys=[journey("a", "o1", "o2", "o3", "o4"), journey("b", "o1", "o2", "o3", *more)],
    )


def test_stage_when_long_journeys_overlap_at_least_stage_min_overlap():
    # 3 shared of 6: M = 0.5 exactly, mean length 4.5.
    assert compute(_shared_pair(2)).measures.mean_overlap == Fraction(1, 2)
    assert inferred(_shared_pair(2)) == "stage"
    # 3 shared of 7: M = 3/7.
    assert inferred(_shared_pair(3)) == "track"
    assert inferred(_shared_pair(2), stage_min_overlap=0.51) == "track"


def test_stage_needs_mean_length_at_least_stage_min_length():
    org = organisation(
        offerings=offerings("o1", "o2", "o3", "o4"),
        journeys=[journey("a", "o1", "o2", "o3", "o4"), journey("b", "o1", "o2", "o3", "o4")],
    )
    assert compute(org).measures.mean_length == 4
    assert inferred(org) == "stage"
    assert inferred(org, stage_min_length=5) == "track"
    shorter = organisation(
        offerings=offerings("o1", "o2", "o3", "o4"),
        journeys=[journey("a", "o1", "o2", "o3", "o4"), journey("b", "o1", "o2", "o3")],
    )
    assert compute(shorter).measures.mean_length == Fraction(7, 2)
    assert inferred(shorter) == "track"


def _single(length: int):
    keys = [f"o{i}" for i in range(length)]
    return organisation(offerings=offerings(*keys), journeys=[journey("j", *keys)])


def test_one_long_journey_is_stage_by_rule_3():
    assert inferred(_single(4)) == "stage"
    # Rule 3 holds even when the single journey is shorter than rule 4 asks.
    assert inferred(_single(4), single_stage_min_length=9) == "stage"


def test_one_shorter_journey_is_stage_by_rule_4_from_single_stage_min_length():
    assert inferred(_single(3)) == "stage"
    assert inferred(_single(2)) == "unknown"
    assert inferred(_single(0)) == "unknown"
    assert inferred(_single(3), single_stage_min_length=4) == "unknown"
    assert inferred(_single(2), single_stage_min_length=2) == "stage"


def test_everything_else_is_track():
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o2", "o3"), journey("c", "o3", "o1")],
    )
    assert inferred(org) == "track"


def test_group_comes_before_stage():
    # Two long, identical-length journeys in different areas with nothing shared.
    org = organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[
            *offerings("x1", "x2", "x3", "x4", area="x"),
            *offerings("y1", "y2", "y3", "y4", area="y"),
        ],
        journeys=[journey("a", "x1", "x2", "x3", "x4"), journey("b", "y1", "y2", "y3", "y4")],
    )
    assert inferred(org) == "group"


def test_model_in_force_is_the_declared_model_or_else_the_inferred_one():
    org = _single(4)
    assert compute(org).model_in_force == "stage"
    declared = organisation(
        declared="track", offerings=org.offerings, journeys=org.journeys, rounds=()
    )
    report = compute(declared)
    assert (report.declared_model, report.inferred_model) == ("track", "stage")
    assert report.model_in_force == "track"


def test_offering_areas_decide_clusters_not_teams():
    # Same team everywhere; areas differ, so the clusters are the areas.
    org = organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[offering("x1", "x", team="t"), offering("y1", "y", team="t")],
        journeys=[journey("a", "x1"), journey("b", "y1")],
    )
    assert [c.kind for c in compute(org).clusters] == ["area", "area"]

"""Section 1 (journeys) and the clusters and measures of section 2."""

from fractions import Fraction

from assessments.balance import StepInput, Thresholds, compute, report_to_dict
from assessments.balance.inputs import JourneyInput
from assessments.balance.journeys import journey_area

from .builders import journey, offering, offerings, organisation


def measures(org, thresholds=None):
    return compute(org, thresholds or Thresholds()).measures


def test_overlap_is_the_jaccard_of_offerings_and_touchpoints():
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[
            journey("a", "o1", "o2", touchpoints=["web"]),
            journey("b", "o2", "o3", touchpoints=["web"]),
        ],
    )
    # {o1, o2, web} and {o2, o3, web}: 2 shared of 4.
    assert measures(org).mean_overlap == Fraction(1, 2)
    assert measures(org).diversity == Fraction(1, 2)


def test_an_offering_and_a_touchpoint_with_the_same_key_are_different_elements():
    org = organisation(
        offerings=offerings("x", "y"),
        journeys=[journey("a", "x"), journey("b", "y", touchpoints=["x"])],
    )
    assert measures(org).mean_overlap == 0


def test_touchpoints_on_any_step_belong_to_the_footprint():
    steps_a = (StepInput("o1", ("web",)), StepInput("o2", ("app", "web")))
    steps_b = (StepInput("o3", ("app",)),)
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[JourneyInput("a", "A", steps_a), JourneyInput("b", "B", steps_b)],
    )
    # {o1, o2, web, app} and {o3, app}: 1 shared of 5.
    assert measures(org).mean_overlap == Fraction(1, 5)


def test_two_empty_journeys_overlap_zero():
    org = organisation(journeys=[journey("a"), journey("b")])
    m = measures(org)
    assert m.mean_overlap == 0
    assert m.diversity == 1
    assert m.mean_length == 0


def test_mean_overlap_is_over_all_unordered_pairs():
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o2", "o3"), journey("c", "o1")],
    )
    # a-b 1/3, a-c 1/2, b-c 0.
    assert measures(org).mean_overlap == (Fraction(1, 3) + Fraction(1, 2)) / 3


def test_with_one_journey_mean_overlap_and_diversity_are_null():
    org = organisation(offerings=offerings("o1"), journeys=[journey("a", "o1")])
    m = report_to_dict(compute(org))["measures"]
    assert m["mean_overlap"] is None
    assert m["diversity"] is None
    assert m["mean_length"] == 1
    assert m["within_overlap"] is None
    assert m["across_overlap"] is None


def test_with_no_journeys_measures_are_null_and_the_model_unknown():
    report = report_to_dict(compute(organisation(offerings=offerings("o1"))))
    assert report["inferred_model"] == "unknown"
    assert report["measures"] == {
        "mean_overlap": None,
        "diversity": None,
        "mean_length": None,
        "clusters": 0,
        "within_overlap": None,
        "across_overlap": None,
    }
    assert report["clusters_detail"] == []


def test_length_counts_distinct_offerings():
    org = organisation(
        offerings=offerings("o1", "o2"),
        journeys=[journey("a", "o1", "o2", "o1"), journey("b", "o2")],
    )
    assert measures(org).mean_length == Fraction(3, 2)


def test_a_journey_area_is_the_area_of_most_of_its_offerings():
    area_of = {"o1": "food", "o2": "home", "o3": "home", "o4": None}
    assert journey_area(frozenset(area_of), area_of) == "home"


def test_a_tie_in_journey_area_goes_to_the_key_that_sorts_first_as_a_string():
    area_of = {"o1": "a2", "o2": "a11"}
    assert journey_area(frozenset(area_of), area_of) == "a11"


def test_a_journey_without_area_offerings_has_no_area():
    assert journey_area(frozenset({"o1"}), {"o1": None}) is None
    assert journey_area(frozenset(), {}) is None


def test_journey_area_counts_each_offering_once():
    org = organisation(
        areas=[("food", "Food"), ("home", "Home")],
        offerings=[
            offering("f1", "food"),
            offering("h1", "home"),
            offering("h2", "home"),
            offering("f2", "food"),
        ],
        # f1 three times still counts once: food 1, home 2 in journey a.
        journeys=[journey("a", "f1", "f1", "f1", "h1", "h2"), journey("b", "f2")],
    )
    clusters = compute(org).clusters
    assert [(c.area, c.journeys) for c in clusters] == [("food", ("b",)), ("home", ("a",))]


def test_clusters_are_the_areas_when_two_areas_hold_journeys():
    org = organisation(
        areas=[("food", "Food"), ("home", "Home"), ("toys", "Toys")],
        offerings=[
            offering("f1", "food"),
            offering("h1", "home"),
            offering("n1", None),
            offering("f2", "food"),
        ],
        # Every journey shares an offering with another: as components, one cluster.
        journeys=[
            journey("a", "f1", "f2"),
            journey("b", "f1", "h1", "h1"),  # food 1, home 1: a tie, food sorts first
            journey("c", "f1", "n1", "n1"),
            journey("d", "n1"),
            journey("e", "h1"),
        ],
    )
    report = report_to_dict(compute(org))
    assert report["clusters_detail"] == [
        {"kind": "area", "label": "Food", "area": "food", "journeys": ["a", "b", "c"]},
        {"kind": "area", "label": "Home", "area": "home", "journeys": ["e"]},
        {"kind": "no_area", "label": "No area", "area": None, "journeys": ["d"]},
    ]
    assert report["measures"]["clusters"] == 3


def test_one_area_among_journeys_means_components_even_with_other_areas_declared():
    org = organisation(
        areas=[("food", "Food"), ("home", "Home")],
        offerings=[offering("f1", "food"), offering("n1", None), offering("n2", None)],
        journeys=[journey("a", "f1"), journey("b", "n1"), journey("c", "n1", "n2")],
    )
    report = report_to_dict(compute(org))
    assert [(c["kind"], c["journeys"]) for c in report["clusters_detail"]] == [
        ("component", ["a"]),
        ("component", ["b", "c"]),
    ]


def test_journeys_with_no_area_form_one_more_cluster():
    org = organisation(
        areas=[("food", "Food"), ("home", "Home")],
        offerings=[offering("f1", "food"), offering("h1", "home"), offering("n1", None)],
        journeys=[journey("a", "f1"), journey("b", "h1"), journey("c", "n1"), journey("d")],
    )
    report = report_to_dict(compute(org))
    assert [c["journeys"] for c in report["clusters_detail"]] == [["a"], ["b"], ["c", "d"]]
    assert report["measures"]["clusters"] == 3


def test_with_one_area_clusters_are_connected_components():
    org = organisation(
        areas=[("food", "Food")],
        offerings=offerings("o1", "o2", "o3", "o4", area="food"),
        journeys=[
            journey("a", "o1", "o2"),
            journey("b", "o2", "o3"),  # joins a
            journey("c", "o3"),  # joins b, so a too (chained)
            journey("d", "o4"),
        ],
    )
    report = report_to_dict(compute(org))
    assert report["clusters_detail"] == [
        {"kind": "component", "label": "Component 1", "area": None, "journeys": ["a", "b", "c"]},
        {"kind": "component", "label": "Component 2", "area": None, "journeys": ["d"]},
    ]


def _pair_with_overlap(shared: int, union: int):
    """Two journeys sharing ``shared`` offerings, ``union`` offerings in all."""
    own = union - shared
    keys = [f"s{i}" for i in range(shared)]
    a = [f"a{i}" for i in range(own // 2)]
    b = [f"b{i}" for i in range(own - own // 2)]
    return organisation(
        offerings=offerings(*keys, *a, *b),
        journeys=[journey("j1", *keys, *a), journey("j2", *keys, *b)],
    )


def test_journeys_link_at_exactly_the_link_threshold():
    at = compute(_pair_with_overlap(1, 10))
    assert at.measures.mean_overlap == Fraction(1, 10)
    assert at.measures.clusters == 1
    below = compute(_pair_with_overlap(1, 11))
    assert below.measures.clusters == 2
    assert below.measures.across_overlap == Fraction(1, 11)
    assert below.measures.within_overlap is None


def test_the_link_threshold_is_a_setting():
    org = _pair_with_overlap(1, 11)
    assert measures(org, Thresholds.with_overrides({"link_threshold": 0.09})).clusters == 1


def test_within_and_across_overlap_are_means_over_pairs_in_and_between_clusters():
    org = organisation(
        areas=[("x", "X"), ("y", "Y")],
        offerings=[*offerings("x1", "x2", "x3", area="x"), *offerings("y1", "y2", area="y")],
        journeys=[
            journey("a", "x1", "x2"),
            journey("b", "x2", "x3"),
            journey("c", "y1", "y2", touchpoints=["web"]),
            journey("d", "x1", "y1", "y2"),  # y: 2, x: 1
        ],
    )
    m = measures(org)
    # within: a-b 1/3, c-d 2/4; across: a-c 0, a-d 1/4, b-c 0, b-d 0.
    assert m.within_overlap == (Fraction(1, 3) + Fraction(1, 2)) / 2
    assert m.across_overlap == Fraction(1, 4) / 4
    assert m.clusters == 2

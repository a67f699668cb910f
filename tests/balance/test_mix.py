"""Section 3: the mix, the expected ranges and the balance score."""

from fractions import Fraction

import pytest

from assessments.balance import compute, report_to_dict
from assessments.balance.method import balance_score, expected_ranges
from assessments.balance.report import Mix

from .builders import enabler, journey, mix_org, offering, offerings, organisation, uses


def test_mix_counts_live_enablers_by_declared_classification():
    org = organisation(
        declared="track",
        enablers=[
            enabler("a", "repeatable", "active"),
            enabler("b", "common", "proposed"),
            enabler("c", "common", "deprecated"),
            enabler("d", "independent", "retired"),
            enabler("e", "independent", "active"),
        ],
    )
    mix = report_to_dict(compute(org))["mix"]
    assert mix == {
        "repeatable": {"count": 1, "share": 0.3333},
        "common": {"count": 1, "share": 0.3333},
        "independent": {"count": 1, "share": 0.3333},
    }


def test_one_four_three_under_group_is_d_0_225_and_a_score_of_78():
    report = compute(mix_org(1, 4, 3, declared="group"))
    assert report.balance_distance == Fraction("0.225")
    assert report.balance_score == 78


def test_a_mix_inside_every_range_scores_100_bounds_included():
    # group: 0.10 / 0.20 / 0.70, and 0.25 / 0.25 / 0.50.
    assert compute(mix_org(1, 2, 7)).balance_score == 100
    assert compute(mix_org(1, 1, 2)).balance_score == 100
    # group: 0.25 / 0.15 / 0.60 — 3 of 20 is the lower bound of common exactly.
    assert compute(mix_org(5, 3, 12)).balance_distance == 0


def test_the_score_bottoms_out_at_zero():
    # stage, all independent: 0.50 + 0.10 + 0.80 = 1.40 > 1.
    report = compute(mix_org(0, 0, 4, declared="stage"))
    assert report.balance_distance == Fraction("1.4")
    assert report.balance_score == 0


@pytest.mark.parametrize(
    ("counts", "model", "score"),
    [
        ((2, 0, 0), "stage", 65),  # the worked example: d = 0.35
        ((1, 1, 1), "track", 93),  # only common is out: 1/3 is 1/15 below 0.40
        ((0, 1, 0), "group", 0),  # 0.10 + 0.65 + 0.45 = 1.20
    ],
)
def test_balance_score_examples(counts, model, score):
    assert compute(mix_org(*counts, declared=model)).balance_score == score


def test_score_rounds_half_up_exactly():
    # d = 0.225 gives 77.5 exactly, which rounds up; a float d might fall under.
    mix = Mix.from_counts({"repeatable": 1, "common": 4, "independent": 3})
    assert balance_score(mix, expected_ranges("group")) == (Fraction(9, 40), 78)


def test_no_live_enablers_means_no_score():
    org = organisation(declared="track", enablers=[enabler("a", lifecycle="retired")])
    report = report_to_dict(compute(org))
    assert report["balance_score"] is None
    assert report["balance_distance"] is None
    assert report["mix"]["common"] == {"count": 0, "share": None}
    assert report["expected_ranges"] is not None


def test_an_unknown_model_in_force_means_no_score_and_no_ranges():
    org = organisation(enablers=[enabler("a")])
    report = report_to_dict(compute(org))
    assert report["model_in_force"] == "unknown"
    assert report["balance_score"] is None
    assert report["expected_ranges"] is None


def test_a_declared_model_is_scored_even_without_journeys():
    org = organisation(declared="group", enablers=[enabler("a", "independent")])
    report = compute(org)
    assert report.inferred_model == "unknown"
    # repeatable 0.10 below, common 0.15 below, independent 0.25 above: d = 0.50.
    assert report.balance_score == 50


def test_expected_ranges_are_those_of_the_model_in_force_as_written():
    report = report_to_dict(compute(mix_org(1, 1, 1, declared="stage")))
    assert report["expected_ranges"] == {
        "repeatable": {"low": 0.5, "high": 0.8},
        "common": {"low": 0.1, "high": 0.3},
        "independent": {"low": 0.05, "high": 0.2},
    }
    group = report_to_dict(compute(mix_org(1, 1, 1, declared="group")))["expected_ranges"]
    assert group["repeatable"] == {"low": 0.1, "high": 0.25}
    track = report_to_dict(compute(mix_org(1, 1, 1, declared="track")))["expected_ranges"]
    assert track["common"] == {"low": 0.4, "high": 0.6}


def test_mix_per_area_counts_live_enablers_used_in_the_area_once():
    org = organisation(
        declared="group",
        areas=[("food", "Food"), ("home", "Home"), ("toys", "Toys")],
        offerings=[
            offering("f1", "food"),
            offering("f2", "food"),
            offering("h1", "home"),
            offering("n1", None),
        ],
        enablers=[
            enabler("pay", "repeatable"),
            enabler("search", "common"),
            enabler("old", "common", "retired"),
            enabler("label", "independent"),
        ],
        usages=[
            *uses("pay", "f1", "f2", "h1"),
            *uses("search", "h1"),
            *uses("old", "f1"),
            *uses("label", "n1"),
        ],
    )
    by_area = report_to_dict(compute(org))["mix_by_area"]
    assert by_area["food"] == {
        "name": "Food",
        "total": 1,
        "repeatable": {"count": 1, "share": 1.0},
        "common": {"count": 0, "share": 0.0},
        "independent": {"count": 0, "share": 0.0},
    }
    assert by_area["home"]["total"] == 2
    assert by_area["home"]["common"] == {"count": 1, "share": 0.5}
    assert by_area["toys"]["total"] == 0
    assert by_area["toys"]["repeatable"] == {"count": 0, "share": None}
    assert set(by_area) == {"food", "home", "toys"}


def test_mix_per_journey_counts_live_enablers_used_by_its_offerings():
    org = organisation(
        offerings=offerings("o1", "o2", "o3"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o3"), journey("c")],
        enablers=[enabler("x", "repeatable"), enabler("y", "independent"), enabler("z")],
        usages=[*uses("x", "o1", "o2", "o3"), *uses("y", "o2")],
    )
    by_journey = report_to_dict(compute(org))["mix_by_journey"]
    assert by_journey["a"]["name"] == "Journey a"
    assert by_journey["a"]["total"] == 2
    assert by_journey["a"]["independent"] == {"count": 1, "share": 0.5}
    assert by_journey["b"]["total"] == 1
    assert by_journey["c"]["total"] == 0

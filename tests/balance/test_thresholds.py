from fractions import Fraction

import pytest

from assessments.balance import THRESHOLD_NAMES, Thresholds


def test_defaults_are_the_documented_ones():
    assert Thresholds().as_dict() == {
        "link_threshold": 0.10,
        "group_across_max": 0.10,
        "group_across_ratio": 0.5,
        "stage_min_length": 4,
        "stage_min_overlap": 0.50,
        "single_stage_min_length": 3,
        "repeatable_reach": 0.60,
        "shared_bottleneck_teams": 2,
        "shared_bottleneck_pressure": 4,
        "efficiency_diversity": 0.60,
        "commonality_overlap": 0.30,
        "coverage_min": 0.50,
    }


def test_threshold_names_are_the_settings_of_the_organisation_file():
    assert THRESHOLD_NAMES == (
        "link_threshold",
        "group_across_max",
        "group_across_ratio",
        "stage_min_length",
        "stage_min_overlap",
        "single_stage_min_length",
        "repeatable_reach",
        "shared_bottleneck_teams",
        "shared_bottleneck_pressure",
        "efficiency_diversity",
        "commonality_overlap",
        "coverage_min",
    )


def test_overrides_change_only_the_named_settings():
    t = Thresholds.with_overrides({"repeatable_reach": 0.75, "stage_min_length": 5})
    assert t.repeatable_reach == 0.75
    assert t.stage_min_length == 5
    assert t.link_threshold == 0.10
    assert Thresholds.with_overrides({}) == Thresholds()


def test_overrides_read_back_from_as_dict():
    t = Thresholds.with_overrides({"coverage_min": 0.25, "shared_bottleneck_teams": 3})
    assert Thresholds.with_overrides(t.as_dict()) == t


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(ValueError, match="repeatable_rech: unknown setting"):
        Thresholds.with_overrides({"repeatable_rech": 0.5})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("repeatable_reach", -0.1),
        ("repeatable_reach", 1.5),
        ("coverage_min", 2),
        ("group_across_ratio", -1),
        ("stage_min_length", 4.5),
        ("stage_min_length", -1),
        ("shared_bottleneck_teams", True),
        ("link_threshold", "0.1"),
        ("link_threshold", None),
        ("link_threshold", float("nan")),
        ("group_across_ratio", float("inf")),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(name, value):
    with pytest.raises(ValueError, match=f"^{name}: must be"):
        Thresholds.with_overrides({name: value})


def test_a_ratio_may_exceed_one_but_a_share_may_not():
    assert Thresholds.with_overrides({"group_across_ratio": 2}).group_across_ratio == 2.0
    with pytest.raises(ValueError, match="link_threshold"):
        Thresholds.with_overrides({"link_threshold": 1.01})


def test_shares_at_their_limits_are_accepted():
    t = Thresholds.with_overrides({"link_threshold": 0, "coverage_min": 1})
    assert (t.link_threshold, t.coverage_min) == (0.0, 1.0)


def test_a_whole_float_is_accepted_as_a_count():
    t = Thresholds.with_overrides({"stage_min_length": 5.0})
    assert t.stage_min_length == 5
    assert isinstance(t.stage_min_length, int)


def test_every_problem_is_named():
    assert Thresholds.problems({"nope": 1, "coverage_min": 3, "link_threshold": 0.2}) == [
        ("nope", "unknown setting"),
        ("coverage_min", "must be a number from 0 to 1"),
    ]
    with pytest.raises(ValueError, match="nope: unknown setting; coverage_min: must be"):
        Thresholds.with_overrides({"nope": 1, "coverage_min": 3})


def test_the_constructor_refuses_bad_values_too():
    with pytest.raises(ValueError, match="coverage_min"):
        Thresholds(coverage_min=1.5)


def test_thresholds_compare_as_the_decimals_written():
    t = Thresholds()
    assert t.exact("link_threshold") == Fraction(1, 10)
    assert t.exact("commonality_overlap") == Fraction(3, 10)
    assert t.exact("stage_min_length") == 4

"""Sections 4 and 5 and what counts: reach, suggestion, pressure, the counting round."""

from fractions import Fraction

from assessments.balance import Thresholds, compute, report_to_dict

from .builders import assessment, enabler, flag, journey, offerings, organisation, uses

FIVE = offerings("o1", "o2", "o3", "o4", "o5")


def suggested(used_by: int, total: int = 5, **overrides):
    keys = [f"o{i}" for i in range(total)]
    org = organisation(
        offerings=offerings(*keys), enablers=[enabler("e")], usages=uses("e", *keys[:used_by])
    )
    return compute(org, Thresholds.with_overrides(overrides)).enabler("e").suggested


def test_no_reach_means_no_suggestion():
    assert suggested(0) is None


def test_one_offering_suggests_independent_even_when_it_is_every_offering():
    assert suggested(1) == "independent"
    assert suggested(1, total=1) == "independent"


def test_reach_share_at_repeatable_reach_suggests_repeatable():
    assert suggested(3) == "repeatable"  # 3 of 5 = 0.60 exactly
    assert suggested(2) == "common"
    assert suggested(5) == "repeatable"


def test_repeatable_reach_is_a_setting():
    assert suggested(3, repeatable_reach=0.61) == "common"
    assert suggested(2, repeatable_reach=0.4) == "repeatable"


def test_reach_counts_distinct_offerings_and_the_journeys_they_are_in():
    org = organisation(
        offerings=FIVE,
        journeys=[journey("j2", "o1", "o2"), journey("j10", "o2"), journey("j3", "o5")],
        enablers=[enabler("e")],
        usages=[*uses("e", "o2", "o1"), *uses("e", "o2")],
    )
    entry = report_to_dict(compute(org))["enablers"]["e"]
    assert entry["reach"] == 2
    assert entry["offering_keys"] == ["o1", "o2"]
    assert entry["journeys"] == 2
    assert entry["journey_keys"] == ["j10", "j2"]  # plain string order
    assert entry["reach_share"] == 0.4


def test_only_live_enablers_are_reported():
    org = organisation(
        offerings=FIVE,
        enablers=[
            enabler("a", lifecycle="active"),
            enabler("p", lifecycle="proposed"),
            enabler("d", lifecycle="deprecated"),
            enabler("r", lifecycle="retired"),
        ],
        usages=[*uses("d", "o1"), *uses("r", "o1")],
        flags=[flag("d", "t1"), flag("r", "t1")],
        assessments=[assessment("d", "t1"), assessment("r", "t1")],
    )
    report = report_to_dict(compute(org))
    assert sorted(report["enablers"]) == ["a", "p"]
    assert report["counts"] == {
        "offerings": 5,
        "journeys": 0,
        "live_enablers": 2,
        "counting_flags": 0,
        "counting_assessments": 0,
    }


def test_pressure_weighs_counting_flags_by_severity():
    org = organisation(
        enablers=[enabler("e")],
        flags=[
            flag("e", "t1", "low"),
            flag("e", "t1", "medium", "acknowledged"),
            flag("e", "t2", "high"),
            flag("e", "t3", "blocking", "resolved"),
            flag("e", "t4", "blocking", "resolved"),
        ],
    )
    report = compute(org)
    result = report.enabler("e")
    assert result.pressure == 1 + 2 + 3
    assert result.flagging_teams == 2
    assert result.blocking is False
    assert report.counts.counting_flags == 3


def test_a_blocking_flag_weighs_five():
    report = compute(organisation(enablers=[enabler("e")], flags=[flag("e", "t", "blocking")]))
    assert (report.enabler("e").pressure, report.enabler("e").blocking) == (5, True)


def test_the_counting_round_is_the_latest_with_any_assessment_even_of_a_retired_enabler():
    org = organisation(
        rounds=["r1", "r2", "r3"],
        enablers=[enabler("live"), enabler("gone", lifecycle="retired")],
        assessments=[
            assessment("live", "t1", fit=2, round="r1"),
            assessment("live", "t1", fit=5, round="r2"),
            assessment("gone", "t1", round="r3"),
        ],
    )
    report = report_to_dict(compute(org))
    assert report["counting_round"] == "r3"
    assert report["counts"]["counting_assessments"] == 0
    assert report["enablers"]["live"]["mean_fit"] is None
    assert report["enablers"]["live"]["assessing_teams"] == 0


def test_rounds_are_ordered_as_opened_not_by_key():
    org = organisation(
        rounds=["r10", "r2"],
        enablers=[enabler("e")],
        assessments=[assessment("e", "t", fit=1, round="r10"), assessment("e", "t", round="r2")],
    )
    report = compute(org)
    assert report.counting_round == "r2"
    assert report.enabler("e").mean_fit == 4


def test_a_round_without_assessments_does_not_count():
    org = organisation(
        rounds=["r1", "r2"],
        enablers=[enabler("e")],
        assessments=[assessment("e", "t", fit=2, round="r1")],
    )
    assert compute(org).counting_round == "r1"
    assert compute(org).enabler("e").mean_fit == 2


def test_with_no_assessments_nothing_counts():
    report = compute(organisation(rounds=["r1"], enablers=[enabler("e")]))
    assert report.counting_round is None
    assert report.counts.counting_assessments == 0


def test_means_are_over_the_counting_assessments():
    org = organisation(
        enablers=[enabler("e")],
        assessments=[
            assessment("e", "t1", fit=1, pace=-2),
            assessment("e", "t2", fit=2, pace=1),
            assessment("e", "t3", fit=4, pace=0),
        ],
    )
    result = report_to_dict(compute(org))["enablers"]["e"]
    assert result["mean_fit"] == 2.3333
    assert result["mean_pace"] == -0.3333
    assert result["assessing_teams"] == 3
    assert compute(org).enabler("e").mean_fit == Fraction(7, 3)

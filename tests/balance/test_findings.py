"""Section 6: each finding at its threshold, and the order of findings."""

from fractions import Fraction

from assessments.balance import Thresholds, compute, report_to_dict
from assessments.balance.findings import sort_findings
from assessments.balance.report import Finding

from .builders import (
    assessment,
    enabler,
    flag,
    journey,
    mix_org,
    offering,
    offerings,
    organisation,
    uses,
)


def findings(org, kind=None, **overrides):
    report = report_to_dict(compute(org, Thresholds.with_overrides(overrides)))
    return [f for f in report["findings"] if kind is None or f["kind"] == kind]


# shared_bottleneck ---------------------------------------------------------------------


def _flagged(classification="common", flags=()):
    return organisation(
        offerings=offerings("o1"),
        enablers=[enabler("pay", classification)],
        usages=uses("pay", "o1"),
        flags=flags,
    )


def test_shared_bottleneck_at_two_teams_and_pressure_four_is_medium():
    org = _flagged(flags=[flag("pay", "t1", "medium"), flag("pay", "t2", "medium")])
    [found] = findings(org, "shared_bottleneck")
    assert found["severity"] == "medium"
    assert found["enablers"] == ["pay"]
    assert found["evidence"] == {"pressure": 4, "flagging_teams": 2, "blocking": False}
    assert "Enabler pay" in found["message"]


def test_no_shared_bottleneck_below_pressure_four():
    org = _flagged(flags=[flag("pay", "t1", "medium"), flag("pay", "t2", "low")])
    assert findings(org, "shared_bottleneck") == []
    assert len(findings(org, "shared_bottleneck", shared_bottleneck_pressure=3)) == 1


def test_no_shared_bottleneck_from_one_team_however_heavy():
    org = _flagged(flags=[flag("pay", "t1", "blocking"), flag("pay", "t1", "blocking")])
    assert findings(org, "shared_bottleneck") == []
    assert len(findings(org, "shared_bottleneck", shared_bottleneck_teams=1)) == 1


def test_resolved_flags_do_not_make_a_shared_bottleneck():
    org = _flagged(flags=[flag("pay", "t1", "medium"), flag("pay", "t2", "high", "resolved")])
    assert findings(org, "shared_bottleneck") == []


def test_a_shared_bottleneck_is_high_when_a_flag_blocks():
    org = _flagged(
        "repeatable",
        flags=[flag("pay", "t1", "low"), flag("pay", "t2", "blocking", "acknowledged")],
    )
    [found] = findings(org, "shared_bottleneck")
    assert found["severity"] == "high"
    assert found["evidence"]["blocking"] is True


def test_a_shared_bottleneck_is_high_when_three_teams_flag_it():
    org = _flagged(flags=[flag("pay", t, "low") for t in ("t1", "t2", "t3", "t3")])
    [found] = findings(org, "shared_bottleneck")
    assert found["severity"] == "high"
    assert found["evidence"] == {"pressure": 4, "flagging_teams": 3, "blocking": False}


def test_an_independent_enabler_is_never_a_shared_bottleneck():
    org = _flagged("independent", flags=[flag("pay", "t1", "high"), flag("pay", "t2", "high")])
    assert findings(org, "shared_bottleneck") == []


# efficiency_before_coherence -----------------------------------------------------------


def _diverse(repeatable: int, common: int, *, extra: int = 1):
    """Declared track (repeatable ≤ 0.35); two journeys overlapping 2 of 4 + ``extra``."""
    more = [f"m{i}" for i in range(extra)]
    classes = ["repeatable"] * repeatable + ["common"] * common
    return organisation(
        declared="track",
        offerings=offerings("o1", "o2", "o3", "o4", *more),
        journeys=[journey("a", "o1", "o2", "o3"), journey("b", "o1", "o2", "o4", *more)],
        enablers=[enabler(f"e{i}", c) for i, c in enumerate(classes)],
        usages=[u for i in range(len(classes)) for u in uses(f"e{i}", "o1", "o2")],
    )


def test_efficiency_before_coherence_at_diversity_0_6():
    org = _diverse(1, 1)  # overlap 2/5: D = 0.6 exactly; repeatable 0.5 > 0.35
    assert compute(org).measures.diversity == Fraction(3, 5)
    [found] = findings(org, "efficiency_before_coherence")
    assert found["severity"] == "high"
    assert found["enablers"] == []
    assert found["evidence"] == {"diversity": 0.6, "repeatable_share": 0.5, "upper_bound": 0.35}


def test_no_efficiency_before_coherence_below_the_diversity_threshold():
    assert compute(_diverse(1, 1, extra=0)).measures.diversity == Fraction(1, 2)
    assert findings(_diverse(1, 1, extra=0), "efficiency_before_coherence") == []
    assert findings(_diverse(1, 1), "efficiency_before_coherence", efficiency_diversity=0.61) == []


def test_no_efficiency_before_coherence_at_the_upper_bound():
    # 7 of 20 = 0.35, the upper bound for track, is not above it.
    assert findings(_diverse(7, 13), "efficiency_before_coherence") == []
    assert len(findings(_diverse(8, 12), "efficiency_before_coherence")) == 1


def test_no_efficiency_before_coherence_with_fewer_than_two_journeys():
    assert findings(mix_org(5, 0, 0), "efficiency_before_coherence") == []


# classification_mismatch ---------------------------------------------------------------


def _reaching(classification: str, used_by: int):
    keys = [f"o{i}" for i in range(5)]
    return organisation(
        offerings=offerings(*keys),
        enablers=[enabler("e", classification)],
        usages=uses("e", *keys[:used_by]),
    )


def test_repeatable_declared_but_independent_suggested_is_a_high_mismatch():
    [found] = findings(_reaching("repeatable", 1), "classification_mismatch")
    assert found["severity"] == "high"
    assert found["evidence"] == {"declared": "repeatable", "suggested": "independent"}


def test_independent_declared_but_repeatable_suggested_is_a_high_mismatch():
    [found] = findings(_reaching("independent", 3), "classification_mismatch")
    assert found["severity"] == "high"


def test_a_mismatch_next_door_is_low():
    assert findings(_reaching("common", 1), "classification_mismatch")[0]["severity"] == "low"
    assert findings(_reaching("common", 3), "classification_mismatch")[0]["severity"] == "low"
    assert findings(_reaching("repeatable", 2), "classification_mismatch")[0]["severity"] == "low"


def test_no_mismatch_when_declared_matches_or_nothing_is_suggested():
    assert findings(_reaching("common", 2), "classification_mismatch") == []
    assert findings(_reaching("repeatable", 0), "classification_mismatch") == []


# selective_commonality -----------------------------------------------------------------


def _near_pair(a_extra: int, b_extra: int, labels=("Search", " search ")):
    """Journeys sharing s1..s3, with own offerings; x used only in a, y only in b."""
    a_own = [f"a{i}" for i in range(a_extra)]
    b_own = [f"b{i}" for i in range(b_extra)]
    return organisation(
        offerings=offerings("s1", "s2", "s3", *a_own, *b_own),
        journeys=[journey("ja", "s1", "s2", "s3", *a_own), journey("jb", "s1", "s2", "s3", *b_own)],
        enablers=[
            enabler("x", "independent", capability=labels[0]),
            enabler("y", "independent", capability=labels[1]),
        ],
        usages=[*uses("x", a_own[0]), *uses("y", b_own[0])],
    )


def test_selective_commonality_when_journeys_overlap_at_commonality_overlap():
    org = _near_pair(4, 3)  # 3 shared of 10 = 0.30
    assert compute(org).measures.mean_overlap == Fraction(3, 10)
    [found] = findings(org, "selective_commonality")
    assert found["severity"] == "medium"
    assert found["enablers"] == ["x", "y"]
    assert found["evidence"] == {"capability": "search", "journeys": ["ja", "jb"]}


def test_no_selective_commonality_below_commonality_overlap():
    org = _near_pair(4, 4)  # 3 of 11
    assert findings(org, "selective_commonality") == []
    assert len(findings(org, "selective_commonality", commonality_overlap=0.27)) == 1


def test_enablers_on_the_same_journey_are_near_whatever_the_overlap():
    org = organisation(
        offerings=offerings("o1", "o2"),
        journeys=[journey("j", "o1", "o2")],
        enablers=[
            enabler("x", "independent", capability="Maps"),
            enabler("y", "independent", capability="maps"),
        ],
        usages=[*uses("x", "o1"), *uses("y", "o2")],
    )
    assert len(findings(org, "selective_commonality", commonality_overlap=1)) == 1


def test_no_selective_commonality_across_different_or_empty_labels():
    assert findings(_near_pair(4, 3, labels=("search", "maps")), "selective_commonality") == []
    assert findings(_near_pair(4, 3, labels=("", "")), "selective_commonality") == []
    assert findings(_near_pair(4, 3, labels=("  ", " ")), "selective_commonality") == []


def test_selective_commonality_is_only_between_independent_enablers():
    org = _near_pair(4, 3)
    common = organisation(
        offerings=org.offerings,
        journeys=org.journeys,
        enablers=(org.enablers[0], enabler("y", "common", capability="search")),
        usages=org.usages,
    )
    assert findings(common, "selective_commonality") == []


def test_nearness_chains_into_one_finding_per_group():
    # j1-j2 and j2-j3 overlap 1/3; j1-j3 do not; j4 stands apart.
    org = organisation(
        offerings=offerings("o1", "o2", "o3", "o4", "o5", "o6", "o7"),
        journeys=[
            journey("j1", "o1", "o2"),
            journey("j2", "o2", "o3"),
            journey("j3", "o3", "o4"),
            journey("j4", "o5", "o6"),
        ],
        enablers=[
            enabler("e1", "independent", capability="kyc"),
            enabler("e3", "independent", capability="KYC"),
            enabler("e2", "independent", capability="kyc"),
            enabler("e4", "independent", capability="kyc"),
            enabler("e5", "independent", capability="kyc"),
            enabler("e6", "independent", capability="kyc", lifecycle="retired"),
            enabler("e7", "independent", capability="kyc"),
        ],
        usages=[
            *uses("e1", "o1"),
            *uses("e2", "o3"),  # j2 and j3
            *uses("e3", "o4"),  # j3
            *uses("e4", "o5"),  # j4
            *uses("e5", "o6"),  # j4
            *uses("e6", "o1"),  # retired: ignored
            *uses("e7", "o7"),  # in no journey: never near
        ],
    )
    found = findings(org, "selective_commonality")
    assert [(f["enablers"], f["evidence"]["journeys"]) for f in found] == [
        (["e1", "e2", "e3"], ["j1", "j2", "j3"]),
        (["e4", "e5"], ["j4"]),
    ]


# orchestration_load --------------------------------------------------------------------


def _assessed(*scores, used_by: int = 3, classification: str = "repeatable"):
    keys = [f"o{i}" for i in range(5)]
    return organisation(
        offerings=offerings(*keys),
        enablers=[enabler("core", classification)],
        usages=uses("core", *keys[:used_by]),
        assessments=[
            assessment("core", f"t{i}", fit=fit, pace=pace) for i, (fit, pace) in enumerate(scores)
        ],
    )


def test_orchestration_load_when_mean_fit_is_under_three():
    [found] = findings(_assessed((3, 0), (2, 1)), "orchestration_load")
    assert found["severity"] == "medium"
    assert found["evidence"] == {"mean_fit": 2.5, "mean_pace": 0.5, "assessing_teams": 2}


def test_orchestration_load_when_mean_pace_is_negative():
    assert len(findings(_assessed((5, 0), (5, -1)), "orchestration_load")) == 1


def test_no_orchestration_load_at_fit_three_and_pace_zero():
    assert findings(_assessed((3, 0), (3, 0)), "orchestration_load") == []
    assert findings(_assessed((2, 1), (4, -1)), "orchestration_load") == []


def test_no_orchestration_load_with_one_team_or_too_little_reach_or_not_repeatable():
    assert findings(_assessed((1, -2)), "orchestration_load") == []
    assert findings(_assessed((1, -2), (1, -2), used_by=2), "orchestration_load") == []
    assert (
        findings(_assessed((1, -2), (1, -2), classification="common"), "orchestration_load") == []
    )


# preference_gap ------------------------------------------------------------------------


def _preferring(*preferred, declared="repeatable"):
    return organisation(
        offerings=offerings("o1"),
        enablers=[enabler("e", declared)],
        usages=uses("e", "o1"),
        assessments=[assessment("e", f"t{i}", preferred=p) for i, p in enumerate(preferred)],
    )


def test_preference_gap_when_two_thirds_prefer_another_classification():
    [found] = findings(_preferring("common", "common", None), "preference_gap")
    assert found["severity"] == "low"
    assert found["evidence"] == {
        "declared": "repeatable",
        "preferred": "common",
        "teams_preferring": 2,
        "assessing_teams": 3,
    }
    assert len(findings(_preferring("independent", "independent"), "preference_gap")) == 1


def test_no_preference_gap_under_two_thirds():
    assert findings(_preferring("common", "common", None, "independent"), "preference_gap") == []


def test_no_preference_gap_from_one_team_or_for_the_declared_classification():
    assert findings(_preferring("common"), "preference_gap") == []
    assert findings(_preferring("repeatable", "repeatable"), "preference_gap") == []


# model_mismatch ------------------------------------------------------------------------


def _declared(model):
    return organisation(
        declared=model,
        offerings=offerings("o1", "o2", "o3"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o2", "o3")],
    )


def test_model_mismatch_when_declared_differs_from_inferred():
    [found] = findings(_declared("group"), "model_mismatch")
    assert found["severity"] == "medium"
    assert found["evidence"] == {"declared": "group", "inferred": "track"}


def test_no_model_mismatch_when_they_agree_nothing_is_declared_or_inferred_is_unknown():
    assert findings(_declared("track"), "model_mismatch") == []
    assert findings(_declared(None), "model_mismatch") == []
    assert findings(organisation(declared="group"), "model_mismatch") == []


# mix_out_of_range ----------------------------------------------------------------------


def test_mix_out_of_range_for_each_classification_outside_its_range():
    found = findings(mix_org(1, 4, 3, declared="group"), "mix_out_of_range")
    assert [f["evidence"] for f in found] == [
        {"classification": "common", "share": 0.5, "low": 0.15, "high": 0.35},
        {"classification": "independent", "share": 0.375, "low": 0.45, "high": 0.75},
    ]
    assert {f["severity"] for f in found} == {"low"}


def test_no_mix_out_of_range_at_the_bounds():
    assert findings(mix_org(1, 2, 7, declared="group"), "mix_out_of_range") == []


def test_no_mix_out_of_range_without_live_enablers_or_model():
    assert findings(organisation(declared="group"), "mix_out_of_range") == []
    # No declared model, and one journey of length 2: unknown.
    assert compute(mix_org(1, 0, 0, declared=None)).model_in_force == "unknown"
    assert findings(mix_org(1, 0, 0, declared=None), "mix_out_of_range") == []


# unused --------------------------------------------------------------------------------


def test_a_live_enabler_that_no_offering_uses_is_unused():
    org = organisation(
        offerings=offerings("o1"),
        enablers=[
            enabler("idle", lifecycle="proposed"),
            enabler("used"),
            enabler("gone", lifecycle="retired"),
        ],
        usages=uses("used", "o1"),
    )
    found = findings(org, "unused")
    assert found == [
        {
            "kind": "unused",
            "severity": "low",
            "enablers": ["idle"],
            "message": "No offering uses Enabler idle.",
            "evidence": {},
        }
    ]


# low_assessment_coverage ---------------------------------------------------------------


def _coverage(*assessed, rounds=("r1",)):
    return organisation(
        rounds=rounds,
        offerings=[offering("o1", team="t1"), offering("o2", team="t2"), offering("o3", team=None)],
        enablers=[enabler("a"), enabler("b"), enabler("gone", lifecycle="retired")],
        # pairs: (t1, a), (t2, a), (t1, b), (t2, b); o3 has no team, gone is not live.
        usages=[*uses("a", "o1", "o2", "o3"), *uses("b", "o1", "o2"), *uses("gone", "o1")],
        assessments=list(assessed),
    )


def test_low_assessment_coverage_under_half_of_pairs():
    [found] = findings(_coverage(assessment("a", "t1")), "low_assessment_coverage")
    assert found["severity"] == "low"
    assert found["evidence"] == {"coverage": 0.25, "assessed_pairs": 1, "pairs": 4}


def test_no_low_assessment_coverage_at_half():
    org = _coverage(assessment("a", "t1"), assessment("b", "t2"))
    assert findings(org, "low_assessment_coverage") == []
    assert len(findings(org, "low_assessment_coverage", coverage_min=0.51)) == 1


def test_only_the_owner_team_in_the_counting_round_covers_a_pair():
    org = _coverage(
        assessment("a", "t1", round="r1"),
        assessment("b", "t2", round="r1"),
        assessment("a", "t9", round="r2"),  # not an owner of an offering using a
        assessment("gone", "t1", round="r2"),
        rounds=("r1", "r2"),
    )
    [found] = findings(org, "low_assessment_coverage")
    assert found["evidence"] == {"coverage": 0.0, "assessed_pairs": 0, "pairs": 4}


def test_no_low_assessment_coverage_without_pairs():
    org = organisation(
        offerings=[offering("o1", team=None)], enablers=[enabler("a")], usages=uses("a", "o1")
    )
    assert findings(org, "low_assessment_coverage") == []


# order ---------------------------------------------------------------------------------


def _finding(kind, severity, enablers=(), classification=None):
    evidence = () if classification is None else (("classification", classification),)
    return Finding(kind, severity, tuple(enablers), "", evidence)


def test_findings_sort_by_severity_kind_first_enabler_enablers_and_classification():
    ordered = [
        _finding("zeta", "high", ["a"]),
        _finding("alpha", "medium"),
        _finding("alpha", "medium", ["e11"]),
        _finding("alpha", "medium", ["e2"]),
        _finding("alpha", "medium", ["e2", "e3"]),
        _finding("alpha", "medium", ["e2", "e4"]),
        _finding("beta", "medium"),
        _finding("mix_out_of_range", "low", classification="repeatable"),
        _finding("mix_out_of_range", "low", classification="common"),
        _finding("mix_out_of_range", "low", classification="independent"),
        _finding("unused", "low", ["a"]),
    ]
    assert list(sort_findings(list(reversed(ordered)))) == ordered


def test_a_report_lists_findings_in_the_methods_order():
    org = organisation(
        declared="group",
        offerings=offerings("o1", "o2", "o3", "o4", "o5"),
        journeys=[journey("a", "o1", "o2"), journey("b", "o2", "o3")],
        enablers=[
            enabler("core", "repeatable"),
            enabler("lone", "repeatable"),
            enabler("idle", "common"),
            enabler("maps1", "independent", capability="maps"),
            enabler("maps2", "independent", capability="maps"),
        ],
        usages=[
            *uses("core", "o1", "o2", "o3"),
            *uses("lone", "o4"),
            *uses("maps1", "o1", "o2"),
            *uses("maps2", "o2", "o3"),
        ],
        flags=[flag("core", "t1", "blocking"), flag("core", "t2", "low")],
    )
    kinds = [(f["severity"], f["kind"], f["enablers"]) for f in findings(org)]
    assert kinds == [
        ("high", "classification_mismatch", ["lone"]),
        ("high", "efficiency_before_coherence", []),
        ("high", "shared_bottleneck", ["core"]),
        ("medium", "model_mismatch", []),
        ("medium", "selective_commonality", ["maps1", "maps2"]),
        ("low", "classification_mismatch", ["maps1"]),
        ("low", "classification_mismatch", ["maps2"]),
        ("low", "low_assessment_coverage", []),
        ("low", "mix_out_of_range", []),
        ("low", "mix_out_of_range", []),
        ("low", "unused", ["idle"]),
    ]

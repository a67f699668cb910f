"""What changed between two reports, on reports computed by the method itself."""

from __future__ import annotations

from dataclasses import replace

from assessments.balance import (
    EnablerInput,
    JourneyInput,
    OfferingInput,
    OrganisationInput,
    StepInput,
    UsageInput,
    compute,
    report_to_dict,
)
from assessments.portfolio.compare import compare_reports, finding_identity


def university() -> OrganisationInput:
    """The method's worked example: one long journey, identity everywhere, timetabling once."""
    offerings = tuple(
        OfferingInput(key=k, name=k.title(), area=None, team=None)
        for k in ("applicant", "enrolled", "studying", "graduate")
    )
    return OrganisationInput(
        declared_model=None,
        areas=(),
        offerings=offerings,
        journeys=(JourneyInput("learner", "Learner", tuple(StepInput(o.key) for o in offerings)),),
        enablers=(
            EnablerInput("identity", "Identity", "repeatable", "active"),
            EnablerInput("timetabling", "Timetabling", "repeatable", "active"),
        ),
        usages=(
            *(UsageInput("identity", o.key) for o in offerings),
            UsageInput("timetabling", "studying"),
        ),
        flags=(),
        assessments=(),
        rounds=(),
    )


def test_the_same_report_twice_has_nothing_changed() -> None:
    report = report_to_dict(compute(university()))

    comparison = compare_reports(report, report)

    assert not comparison.anything_changed
    assert comparison.appeared == comparison.went_away == ()


def test_reclassifying_an_enabler_moves_the_mix_score_and_findings() -> None:
    org = university()
    before = report_to_dict(compute(org))
    enablers = tuple(
        replace(e, classification="independent") if e.key == "timetabling" else e
        for e in org.enablers
    )
    after = report_to_dict(compute(replace(org, enablers=enablers)))

    comparison = compare_reports(before, after)

    assert comparison.anything_changed
    # Worked example: 65. Now repeatable 1/2 sits in its range, but independent 1/2 is 0.30
    # above its range and common still 0.10 below it: d = 0.40, a score of 60.
    assert (comparison.score.before, comparison.score.after) == (65, 60)
    assert comparison.score.delta == -5
    mix = {m.classification: m for m in comparison.mix}
    assert (mix["repeatable"].count.before, mix["repeatable"].count.after) == (2, 1)
    assert mix["repeatable"].points == -50.0
    # The mismatch on timetabling (repeatable, suggested independent) and the repeatable
    # share above its range went away; the independent share is still out of range (now
    # above rather than below): the same finding, not a new one.
    assert [(f["kind"], f["enablers"]) for f in comparison.went_away] == [
        ("classification_mismatch", ["timetabling"]),
        ("mix_out_of_range", []),
    ]
    assert comparison.went_away[1]["evidence"]["classification"] == "repeatable"
    assert comparison.appeared == ()
    assert comparison.suggestions == ()  # reach did not change


def test_an_enabler_that_gains_reach_changes_its_suggestion() -> None:
    org = university()
    before = report_to_dict(compute(org))
    more = (*org.usages, UsageInput("timetabling", "enrolled"))  # reach 2 of 4: common
    after = report_to_dict(compute(replace(org, usages=more)))

    comparison = compare_reports(before, after)

    assert [(s.key, s.before, s.after) for s in comparison.suggestions] == [
        ("timetabling", "independent", "common")
    ]


def test_enablers_counted_in_only_one_report_are_named() -> None:
    org = university()
    before = report_to_dict(compute(org))
    enablers = (*org.enablers, EnablerInput("chat", "Chat", "common", "proposed"))
    after = report_to_dict(compute(replace(org, enablers=enablers)))

    comparison = compare_reports(before, after)

    assert comparison.enablers_added == ("Chat",)
    assert comparison.enablers_gone == ()
    assert [c.label for c in comparison.counts if c.changed] == ["Live enablers"]


def test_a_mix_finding_is_the_same_finding_when_only_its_figures_move() -> None:
    a = {
        "kind": "mix_out_of_range",
        "enablers": [],
        "evidence": {"classification": "common", "share": 0.1},
    }
    b = {
        "kind": "mix_out_of_range",
        "enablers": [],
        "evidence": {"classification": "common", "share": 0.05},
    }
    c = {"kind": "mix_out_of_range", "enablers": [], "evidence": {"classification": "independent"}}

    assert finding_identity(a) == finding_identity(b)
    assert finding_identity(a) != finding_identity(c)

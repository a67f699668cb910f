"""Section 8 of the method, verbatim: a university with one four-step journey."""

from fractions import Fraction

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

STAGES = [
    ("applicant", "Applicant", "admissions"),
    ("enrolled", "Enrolled", "registry"),
    ("studying", "Studying", "registry"),
    ("graduate", "Graduate", "careers"),
]

UNIVERSITY = OrganisationInput(
    declared_model=None,
    areas=(),
    offerings=tuple(OfferingInput(key, name, None, team) for key, name, team in STAGES),
    journeys=(
        JourneyInput("student-life", "Student life", tuple(StepInput(key) for key, _, _ in STAGES)),
    ),
    enablers=(
        EnablerInput("identity", "Identity", "repeatable", "active", "identity"),
        EnablerInput("timetabling", "Timetabling", "repeatable", "active", "timetabling"),
    ),
    usages=(
        *(UsageInput("identity", key) for key, _, _ in STAGES),
        UsageInput("timetabling", "studying"),
    ),
    flags=(),
    assessments=(),
    rounds=(),
)


def test_the_model_is_inferred_as_stage_by_rule_3():
    report = compute(UNIVERSITY)
    assert report.inferred_model == "stage"
    assert report.model_in_force == "stage"
    assert report.measures.mean_length == 4
    assert report.measures.mean_overlap is None


def test_identity_is_suggested_repeatable_and_timetabling_independent():
    report = compute(UNIVERSITY)
    assert report.enabler("identity").suggested == "repeatable"
    assert report.enabler("timetabling").suggested == "independent"


def test_the_mix_scores_65():
    report = report_to_dict(compute(UNIVERSITY))
    assert report["mix"] == {
        "repeatable": {"count": 2, "share": 1.0},
        "common": {"count": 0, "share": 0.0},
        "independent": {"count": 0, "share": 0.0},
    }
    assert compute(UNIVERSITY).balance_distance == Fraction("0.35")
    assert report["balance_score"] == 65


def test_the_findings_are_the_ones_the_method_lists():
    findings = report_to_dict(compute(UNIVERSITY))["findings"]
    assert [(f["kind"], f["severity"], f["enablers"], f["evidence"]) for f in findings] == [
        (
            "classification_mismatch",
            "high",
            ["timetabling"],
            {"declared": "repeatable", "suggested": "independent"},
        ),
        (
            "low_assessment_coverage",
            "low",
            [],
            # (admissions, identity), (registry, identity), (careers, identity),
            # (registry, timetabling)
            {"coverage": 0.0, "assessed_pairs": 0, "pairs": 4},
        ),
        (
            "mix_out_of_range",
            "low",
            [],
            {"classification": "repeatable", "share": 1.0, "low": 0.5, "high": 0.8},
        ),
        (
            "mix_out_of_range",
            "low",
            [],
            {"classification": "common", "share": 0.0, "low": 0.1, "high": 0.3},
        ),
        (
            "mix_out_of_range",
            "low",
            [],
            {"classification": "independent", "share": 0.0, "low": 0.05, "high": 0.2},
        ),
    ]
    assert all(f["message"].endswith(".") for f in findings)
    assert "Timetabling" in findings[0]["message"]

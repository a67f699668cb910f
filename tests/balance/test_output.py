"""The plain-data and JSON forms of a report: fields, numbers, names, determinism."""

import json

from assessments.balance import (
    METHOD_VERSION,
    Thresholds,
    compute,
    report_to_dict,
    report_to_json,
)

from .builders import (
    assessment,
    enabler,
    flag,
    journey,
    offering,
    organisation,
    uses,
)


def _sample():
    return organisation(
        declared="track",
        areas=[("food", "Épicerie fine")],
        offerings=[offering("o1", "food", "t1"), offering("o2", "food", "t2"), offering("o3")],
        journeys=[
            journey("weekly", "o1", "o2", touchpoints=["web"]),
            journey("gift", "o2", "o3"),
            journey("solo", "o3"),
        ],
        enablers=[
            enabler("pay", "repeatable", capability="payments"),
            enabler("crm", "common"),
            enabler("ship", "independent", "proposed"),
            enabler("old", "common", "retired"),
        ],
        usages=[*uses("pay", "o1", "o2", "o3"), *uses("crm", "o1"), *uses("old", "o1")],
        flags=[flag("pay", "t1", "high"), flag("pay", "t2", "low", "resolved")],
        assessments=[
            assessment("pay", "t1", fit=2, pace=-1, preferred="common"),
            assessment("pay", "t2", fit=3, pace=1, preferred="common"),
        ],
    )


def test_the_report_has_every_field_the_format_names():
    report = report_to_dict(compute(_sample()))
    assert report["method_version"] == METHOD_VERSION == 1
    assert set(report["measures"]) == {
        "mean_overlap",
        "diversity",
        "mean_length",
        "clusters",
        "within_overlap",
        "across_overlap",
    }
    assert set(report["mix"]) == {"repeatable", "common", "independent"}
    assert set(report["mix"]["common"]) == {"count", "share"}
    assert isinstance(report["balance_score"], int)
    assert set(report["enablers"]) == {"pay", "crm", "ship"}
    assert {
        "reach",
        "journeys",
        "suggested",
        "pressure",
        "flagging_teams",
        "mean_fit",
        "mean_pace",
        "name",
        "declared",
        "journey_keys",
        "offering_keys",
    } <= set(report["enablers"]["pay"])
    for finding in report["findings"]:
        assert set(finding) == {"kind", "severity", "enablers", "message", "evidence"}
    for key in (
        "declared_model",
        "inferred_model",
        "model_in_force",
        "thresholds",
        "counts",
        "counting_round",
        "expected_ranges",
        "mix_by_area",
        "mix_by_journey",
        "clusters_detail",
    ):
        assert key in report


def test_a_report_carries_names_so_it_reads_the_same_later():
    report = report_to_dict(compute(_sample()))
    assert report["enablers"]["pay"]["name"] == "Enabler pay"
    assert report["enablers"]["pay"]["declared"] == "repeatable"
    assert report["mix_by_area"]["food"]["name"] == "Épicerie fine"
    assert report["mix_by_journey"]["weekly"]["name"] == "Journey weekly"


def test_counts_are_integers_and_numbers_are_rounded_to_four_places():
    report = report_to_dict(compute(_sample()))
    assert report["counts"] == {
        "offerings": 3,
        "journeys": 3,
        "live_enablers": 3,
        "counting_flags": 1,
        "counting_assessments": 2,
    }
    pay = report["enablers"]["pay"]
    assert (pay["reach"], pay["journeys"], pay["pressure"], pay["flagging_teams"]) == (3, 3, 3, 1)
    assert pay["mean_fit"] == 2.5
    assert pay["mean_pace"] == 0.0
    assert report["mix"]["repeatable"]["share"] == 0.3333
    # weekly-gift: {o1, o2, web} ∩ {o2, o3} = 1 of 4; gift-solo 1 of 2; weekly-solo 0.
    assert report["measures"]["mean_overlap"] == 0.25
    assert report["measures"]["mean_length"] == 1.6667


def test_the_report_records_the_thresholds_it_used():
    thresholds = Thresholds.with_overrides({"repeatable_reach": 0.9})
    report = report_to_dict(compute(_sample(), thresholds))
    assert report["thresholds"]["repeatable_reach"] == 0.9
    assert report["thresholds"] == thresholds.as_dict()


def test_threshold_overrides_change_the_outcome():
    def outcome(**overrides):
        report = compute(_sample(), Thresholds.with_overrides(overrides))
        kinds = [f.kind for f in report.findings]
        return report.measures.clusters, "low_assessment_coverage" in kinds

    # weekly-gift overlap 1/4 and gift-solo 1/2 both link at 0.10; coverage is 2 of 3.
    assert outcome() == (1, False)
    assert outcome(link_threshold=0.3) == (2, False)
    assert outcome(link_threshold=0.51) == (3, False)
    assert outcome(coverage_min=0.67) == (1, True)


def test_json_is_compact_sorted_and_keeps_unicode():
    text = report_to_json(compute(_sample()))
    assert "Épicerie fine" in text
    assert text.startswith('{"balance_distance":')
    data = json.loads(text)
    assert data == report_to_dict(compute(_sample()))
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def test_the_same_input_gives_the_same_bytes():
    assert report_to_json(compute(_sample())) == report_to_json(compute(_sample()))


def test_absent_values_are_null():
    report = report_to_dict(compute(organisation(enablers=[enabler("e")])))
    assert report["balance_score"] is None
    assert report["declared_model"] is None
    assert report["counting_round"] is None
    assert report["enablers"]["e"]["suggested"] is None
    assert report["enablers"]["e"]["mean_fit"] is None
    assert report["enablers"]["e"]["reach_share"] is None

"""The organisation file: bad files refused whole with every problem named, imports that
create, update by key and replace, the round trip, and the two commands."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from assessments.management.commands.seed_demo import DEMO_DIR, DEMO_FILES
from assessments.models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionChange,
)
from assessments.orgfile import (
    OrganisationFileError,
    export_organisation,
    import_organisation,
    parse_organisation_file,
)
from catalogue.models import (
    BusinessArea,
    ChangeRecord,
    Enabler,
    EnablerUsage,
    Journey,
    JourneyStep,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    TeamMembership,
    Touchpoint,
)
from tests import factories as f

FILES = Path(__file__).parent / "files"
RIVERSIDE = (FILES / "riverside.yaml").read_text(encoding="utf-8")

COUNTED = [
    BusinessArea,
    Team,
    Offering,
    Touchpoint,
    Journey,
    JourneyStep,
    Enabler,
    EnablerUsage,
    AssessmentRound,
    Assessment,
    BottleneckFlag,
    Decision,
    DecisionChange,
    Membership,
    TeamMembership,
    ChangeRecord,
    BalanceReport,
]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.unscoped().count() for model in COUNTED}
    counts["Organisation"] = Organisation.objects.count()
    for model in (Enabler, BottleneckFlag, Decision):
        counts[f"{model.__name__} history"] = model.history.count()
    counts["step touchpoints"] = JourneyStep.touchpoints.through.objects.count()
    counts["decision enablers"] = Decision.enablers.through.objects.count()
    return counts


def _data() -> dict[str, Any]:
    return yaml.safe_load(RIVERSIDE)


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _load(text: str, **options: Any):
    return import_organisation(parse_organisation_file(text), **options)


def _refused(text: str | bytes, *, filename: str = "", **options: Any) -> list[str]:
    """The problems of a file that is refused; and nothing was written."""
    before = _counts()
    with pytest.raises(OrganisationFileError) as refused:
        import_organisation(parse_organisation_file(text, filename=filename), **options)
    assert _counts() == before
    return refused.value.problems


def _org(slug: str = "riverside") -> Organisation:
    return Organisation.objects.get(slug=slug)


@pytest.fixture
def riverside(db: None) -> Organisation:
    _load(RIVERSIDE)
    return _org()


# --- bad files ---------------------------------------------------------------------------


def test_unknown_reference_is_named_by_its_place(riverside):
    data = _data()
    data["journeys"][0]["steps"][1]["offering"] = "grocery-onlin"
    data["bottlenecks"][0]["enabler"] = "paymnets"
    assert _refused(_dump(data)) == [
        "journeys[0].steps[1].offering: unknown offering 'grocery-onlin'",
        "bottlenecks[0].enabler: unknown enabler 'paymnets'",
    ]


def test_step_naming_an_unknown_touchpoint_is_refused(db):
    data = _data()
    data["journeys"][0]["steps"][0]["touchpoints"] = ["booking", "cafe"]
    assert _refused(_dump(data)) == [
        "journeys[0].steps[0].touchpoints[1]: unknown touchpoint 'cafe'"
    ]


def test_bad_enum_lists_the_allowed_values(riverside):
    data = _data()
    data["enablers"][1]["classification"] = "shared"
    data["teams"][0]["kind"] = "squad"
    assert _refused(_dump(data)) == [
        "teams[0].kind: must be one of delivery, platform, enabling, leadership",
        "enablers[1].classification: must be one of repeatable, common, independent",
    ]


def test_duplicate_key_within_a_section(db):
    data = _data()
    data["teams"].append({"key": "swim", "name": "Swim Team Two", "kind": "delivery"})
    problems = _refused(_dump(data))
    assert problems == ["teams[5].key: duplicate key 'swim' (also teams[0])"]


def test_duplicate_name_ignoring_case(db):
    data = _data()
    data["offerings"][1]["name"] = "SWIMMING LESSONS"
    assert _refused(_dump(data)) == [
        "offerings[1].name: duplicate name 'SWIMMING LESSONS' (also offerings[0]; "
        "offering names are compared ignoring case)"
    ]


def test_wrong_type_is_not_converted(riverside):
    data = _data()
    data["assessments"][0]["fit"] = "4"
    data["teams"][0]["name"] = 2026
    data["enablers"][0]["tags"] = "pci"
    assert _refused(_dump(data)) == [
        "teams[0].name: must be text",
        "enablers[0].tags: must be a list",
        "assessments[0].fit: must be a whole number from 1 to 5",
    ]


def test_scores_out_of_range(db):
    data = _data()
    data["assessments"][0]["fit"] = 6
    data["assessments"][1]["pace"] = -3
    assert _refused(_dump(data)) == [
        "assessments[0].fit: must be a whole number from 1 to 5",
        "assessments[1].pace: must be a whole number from -2 to 2",
    ]


def test_missing_required_field(db):
    data = _data()
    del data["teams"][0]["kind"]
    del data["decisions"][1]["title"]
    assert _refused(_dump(data)) == [
        "teams[0].kind: required",
        "decisions[1].title: required",
    ]


def test_bad_slug_and_key(db):
    data = _data()
    data["organisation"]["slug"] = "River_Side"
    data["touchpoints"].append({"key": "Booking desk", "name": "Booking desk"})
    data["bottlenecks"][0]["offering"] = "Lessons"
    pattern = "must be lowercase letters, digits and single hyphens (for example food-digital)"
    assert _refused(_dump(data)) == [
        f"organisation.slug: {pattern}",
        f"touchpoints[2].key: {pattern}",
        f"bottlenecks[0].offering: {pattern}",
    ]


def test_cyclic_supersedes(db):
    data = _data()
    data["decisions"][0]["supersedes"] = "dec-2"
    assert _refused(_dump(data)) == [
        "decisions[0].supersedes: supersedes chain loops: dec-1 → dec-2 → dec-1"
    ]


def test_decision_superseding_itself(db):
    data = _data()
    data["decisions"][1]["supersedes"] = "dec-2"
    assert _refused(_dump(data)) == [
        "decisions[1].supersedes: supersedes chain loops: dec-2 → dec-2"
    ]


def test_yaml_syntax_error_gives_the_line(riverside):
    text = RIVERSIDE.replace("  - {key: gym, name: Gym}", "  - {key: gym, name: Gym")
    assert _refused(text) == [
        "line 11, column 6: YAML syntax error: expected ',' or '}', but got ':'"
    ]


def test_json_syntax_error_gives_the_line(db):
    text = '{\n  "format": "enabling-model/1",\n  "organisation": {,}\n}\n'
    assert _refused(text, filename="org.json") == [
        "line 3, column 20: JSON syntax error: Expecting property name enclosed in double quotes"
    ]


@pytest.mark.parametrize("content", ["", "   \n\n", b"", "# only a comment\n"])
def test_empty_file(db, content):
    assert _refused(content) == ["file: is empty"]


def test_file_that_is_not_a_mapping(db):
    assert _refused("- format\n- organisation\n") == [
        "file: must be a mapping with format, organisation and the sections"
    ]


def test_wrong_format(db):
    data = _data()
    data["format"] = "enabling-model/2"
    assert _refused(_dump(data)) == ["format: must be enabling-model/1"]
    del data["format"]
    assert _refused(_dump(data)) == ["format: required"]


def test_unknown_setting_and_bad_setting_value(db):
    data = _data()
    data["settings"] = {"repeatable_rech": 0.5, "coverage_min": 2}
    problems = _refused(_dump(data))
    assert problems == [
        "settings.repeatable_rech: unknown setting (the settings are link_threshold, "
        "group_across_max, group_across_ratio, stage_min_length, stage_min_overlap, "
        "single_stage_min_length, repeatable_reach, shared_bottleneck_teams, "
        "shared_bottleneck_pressure, efficiency_diversity, commonality_overlap, coverage_min)",
        "settings.coverage_min: must be a number from 0 to 1",
    ]


def test_unknown_field(db):
    data = _data()
    data["enablers"][0]["classificaton"] = "common"
    data["colour"] = "blue"
    assert _refused(_dump(data)) == [
        "enablers[0].classificaton: unknown field",
        "colour: unknown field",
    ]


def test_duplicate_assessment_for_round_team_and_enabler(db):
    data = _data()
    data["assessments"].append(dict(data["assessments"][0], fit=2))
    assert _refused(_dump(data)) == [
        "assessments[2]: duplicate of assessments[0] (one assessment per round, team and enabler)"
    ]


def test_change_of_an_enabler_not_in_the_file(db):
    data = _data()
    data["decisions"][1]["changes"].append(
        {"enabler": "lockers", "from": "common", "to": "independent"}
    )
    assert _refused(_dump(data)) == ["decisions[1].changes[1].enabler: unknown enabler 'lockers'"]


def test_over_long_text(db):
    data = _data()
    data["teams"][0]["name"] = "x" * 201
    data["bottlenecks"][0]["summary"] = "y" * 201
    data["decisions"][0]["context"] = "z" * 10001
    assert _refused(_dump(data)) == [
        "teams[0].name: must be at most 200 characters (it has 201)",
        "bottlenecks[0].summary: must be at most 200 characters (it has 201)",
        "decisions[0].context: must be at most 10000 characters (it has 10001)",
    ]


def test_bad_date(db):
    data = _data()
    data["assessment_rounds"][1]["opened_on"] = "1 October 2026"
    text = _dump(data).replace("decided_on: 2026-01-10", "decided_on: 2026-13-10")
    assert _refused(text) == [
        "assessment_rounds[1].opened_on: must be a date written as YYYY-MM-DD",
        "decisions[0].decided_on: must be a date written as YYYY-MM-DD",
    ]


def test_every_problem_of_a_file_is_reported_in_file_order(riverside):
    data = _data()
    data["organisation"]["slug"] = "Riverside"
    data["teams"][3]["key"] = "swim"
    data["offerings"][0]["team"] = "swimming"
    data["journeys"][0]["steps"][0]["offering"] = "grocery-onlin"
    data["enablers"][1]["classification"] = "shared"
    data["enablers"][0]["used_by"].append("nowhere")
    data["assessments"][1]["pace"] = "-1"
    data["bottlenecks"][1]["severity"] = "urgent"
    data["decisions"][0]["supersedes"] = "dec-2"
    data["settings"]["speed"] = 11
    problems = _refused(_dump(data))
    assert problems == [
        "organisation.slug: must be lowercase letters, digits and single hyphens "
        "(for example food-digital)",
        "teams[3].key: duplicate key 'swim' (also teams[0])",
        "offerings[0].team: unknown team 'swimming'",
        "journeys[0].steps[0].offering: unknown offering 'grocery-onlin'",
        "enablers[0].used_by[2]: unknown offering 'nowhere'",
        "enablers[1].classification: must be one of repeatable, common, independent",
        "assessments[1].pace: must be a whole number from -2 to 2",
        "bottlenecks[1].severity: must be one of low, medium, high, blocking",
        "decisions[0].supersedes: supersedes chain loops: dec-1 → dec-2 → dec-1",
        problems[-1],
    ]
    assert problems[-1].startswith("settings.speed: unknown setting")


def test_repeated_field_in_a_mapping_is_refused(db):
    text = RIVERSIDE.replace("  slug: riverside\n", "  slug: riverside\n  slug: other\n")
    assert _refused(text) == ["line 6: field 'slug' appears twice in the same mapping"]


def test_aliases_are_refused(db):
    text = RIVERSIDE.replace(
        "  - {key: gym, name: Gym}", "  - &area {key: gym, name: Gym}\n  - *area"
    )
    assert _refused(text) == [
        "line 11, column 5: YAML syntax error: aliases (*name) are not supported"
    ]


# --- importing ---------------------------------------------------------------------------


def test_file_written_from_the_format_alone_imports_correctly(db):
    actor = f.UserFactory(username="importer")
    summary = _load(RIVERSIDE, actor=actor)
    org = _org()
    assert summary.organisation_created
    assert (org.name, org.delivery_model) == ("Riverside Leisure", "track")
    assert org.description == "Two pools and a gym by the river."
    assert org.balance_settings == {"repeatable_reach": 0.5, "shared_bottleneck_teams": 3}

    teams = {t.key: t for t in Team.objects.for_org(org).select_related("business_area")}
    assert {k: t.kind for k, t in teams.items()} == {
        "swim": "delivery",
        "fitness": "delivery",
        "platform": "platform",
        "coaching": "enabling",
        "board": "leadership",
    }
    assert teams["swim"].business_area.key == "pools"
    assert teams["platform"].business_area is None
    lessons = Offering.objects.for_org(org).get(key="lessons")
    assert (lessons.kind, lessons.team.key, lessons.business_area.key) == (
        "service",
        "swim",
        "pools",
    )
    assert Touchpoint.objects.for_org(org).get(key="reception").name == "Réception & café"

    journey = Journey.objects.for_org(org).get(key="learn-to-swim")
    assert journey.segment == "Families"
    steps = [
        (s.position, s.name, s.offering.key, sorted(tp.key for tp in s.touchpoints.all()))
        for s in journey.steps.order_by("position")
    ]
    assert steps == [
        (1, "Book a course", "lessons", ["booking"]),
        (2, "Swim", "lane-swim", []),
        (3, "Book the next course", "lessons", ["booking", "reception"]),
    ]
    assert not Journey.objects.for_org(org).get(key="get-fit").steps.exists()

    payments = Enabler.objects.for_org(org).get(key="payments")
    assert (payments.kind, payments.capability, payments.classification) == (
        "platform",
        "payments",
        "repeatable",
    )
    assert (payments.lifecycle, payments.owner_team.key, payments.tags) == (
        "active",
        "platform",
        ["pci", "core"],
    )
    assert payments.created_by == actor
    assert payments.history.get().history_user == actor
    usages = {
        (u.enabler.key, u.offering.key): u.criticality
        for u in EnablerUsage.objects.for_org(org).select_related("enabler", "offering")
    }
    assert usages == {
        ("payments", "lessons"): "medium",
        ("payments", "gym-pass"): "high",
        ("coaches", "lessons"): "low",
    }
    assert Enabler.objects.for_org(org).get(key="old-tills").lifecycle == "retired"

    rounds = list(AssessmentRound.objects.for_org(org).order_by("sequence"))
    assert [(r.key, r.sequence, r.status) for r in rounds] == [
        ("2026-q3", 1, "closed"),
        ("2026-q4", 2, "open"),
    ]
    assert rounds[0].opened_on is None and str(rounds[1].opened_on) == "2026-10-01"
    assessment = Assessment.objects.for_org(org).get(round=rounds[1])
    assert (assessment.fit, assessment.pace, assessment.preferred, assessment.comment) == (
        4,
        -1,
        "common",
        "Refunds are slow.",
    )

    flags = {flag.key: flag for flag in BottleneckFlag.objects.for_org(org)}
    assert (flags["b-1"].offering.key, flags["b-1"].severity) == ("lessons", "high")
    assert (flags["b-2"].status, flags["b-2"].journey.key) == ("open", "learn-to-swim")
    assert flags["b-2"].details == "Since Monday."
    assert flags["b-1"].history.get().history_user == actor

    decisions = list(Decision.objects.for_org(org).order_by("number"))
    assert [(d.reference, d.key, d.status) for d in decisions] == [
        ("DEC-001", "dec-1", "superseded"),
        ("DEC-002", "dec-2", "accepted"),
    ]
    assert decisions[1].supersedes == decisions[0]
    assert sorted(e.key for e in decisions[1].enablers.all()) == ["coaches", "payments"]
    assert [
        (c.enabler.key, c.from_classification, c.to_classification)
        for c in decisions[0].changes.all()
    ] == [("payments", "repeatable", "common")]
    assert str(decisions[1].review_on) == "2027-10-01"
    assert decisions[1].options == "Keep it common."

    assert summary.sections["enablers"].created == 3
    assert summary.sections["usages"].created == 3
    assert summary.sections["decisions"].created == 2
    assert ChangeRecord.objects.for_org(org).get().actor == actor


def test_json_file_imports_the_same(db):
    text = json.dumps(_data(), default=str)
    _load(text)
    yaml_export = export_organisation(_org())
    assert parse_organisation_file(text, filename="riverside.json").organisation.slug == (
        "riverside"
    )
    assert yaml.safe_load(yaml_export)["decisions"][1]["decided_on"].isoformat() == "2026-10-01"


def test_importing_again_changes_nothing(riverside):
    before = _counts()
    summary = _load(RIVERSIDE)
    assert not summary.changed
    assert summary.describe() == "0 created, 0 updated, 0 removed"
    assert _counts() == before


def test_update_by_key_changes_fields_without_duplicates(riverside):
    payments = Enabler.objects.for_org(riverside).get(key="payments")
    data = _data()
    data["teams"][0]["name"] = "Swimming"
    data["enablers"][0]["classification"] = "common"
    data["enablers"][0]["used_by"][1]["criticality"] = "low"
    data["journeys"][0]["steps"].reverse()
    data["bottlenecks"][0]["status"] = "resolved"
    data["offerings"].append(
        {"key": "sauna", "name": "Sauna", "kind": "service", "business_area": "pools"}
    )
    before = _counts()
    summary = _load(_dump(data))

    after = _counts()
    assert after["Team"] == before["Team"]
    assert after["Offering"] == before["Offering"] + 1
    assert after["Enabler"] == before["Enabler"]
    assert after["EnablerUsage"] == before["EnablerUsage"]
    assert Team.objects.for_org(riverside).get(key="swim").name == "Swimming"
    payments.refresh_from_db()
    assert payments.classification == "common"
    assert payments.version == 2
    usage = EnablerUsage.objects.for_org(riverside).get(enabler=payments, offering__key="gym-pass")
    assert usage.criticality == "low"
    journey = Journey.objects.for_org(riverside).get(key="learn-to-swim")
    assert [s.name for s in journey.steps.order_by("position")] == [
        "Book the next course",
        "Swim",
        "Book a course",
    ]
    assert BottleneckFlag.objects.for_org(riverside).get(key="b-1").status == "resolved"
    counts = {name: (c.created, c.updated, c.removed) for name, c in summary.sections.items()}
    assert counts["teams"] == (0, 1, 0)
    assert counts["offerings"] == (1, 0, 0)
    assert counts["journeys"] == (0, 1, 0)
    assert counts["enablers"] == (0, 1, 0)
    assert counts["usages"] == (0, 1, 0)
    assert counts["bottlenecks"] == (0, 1, 0)


def test_without_replace_items_missing_from_the_file_are_kept(riverside):
    data = _data()
    del data["enablers"][1]
    data["enablers"][0]["used_by"] = ["lessons"]
    data["bottlenecks"] = []
    data["decisions"] = []
    data["settings"] = {"coverage_min": 0.4}
    before = _counts()
    summary = _load(_dump(data))
    assert summary.removed == 0
    assert _counts()["Enabler"] == before["Enabler"]
    assert _counts()["EnablerUsage"] == before["EnablerUsage"]
    assert _counts()["BottleneckFlag"] == before["BottleneckFlag"]
    riverside.refresh_from_db()
    assert riverside.balance_settings == {
        "repeatable_reach": 0.5,
        "shared_bottleneck_teams": 3,
        "coverage_min": 0.4,
    }


def test_replace_removes_what_the_file_does_not_list_and_keeps_memberships_and_reports(
    riverside,
):
    member = Membership.objects.create(
        organisation=riverside, user=f.UserFactory(), role=Role.TEAM_MEMBER
    )
    TeamMembership.objects.create(
        organisation=riverside,
        team=Team.objects.for_org(riverside).get(key="swim"),
        membership=member,
    )
    report = BalanceReport.objects.create(organisation=riverside)
    data = _data()
    data["teams"] = [t for t in data["teams"] if t["key"] != "coaching"]
    data["enablers"] = [e for e in data["enablers"] if e["key"] != "coaches"]
    data["decisions"][1]["enablers"] = ["payments"]
    data["enablers"][0]["used_by"] = ["lessons"]
    data["assessments"] = data["assessments"][:1]
    data["bottlenecks"] = data["bottlenecks"][1:]
    data["decisions"] = data["decisions"][1:]
    del data["decisions"][0]["supersedes"]
    data["assessment_rounds"] = data["assessment_rounds"][1:]
    data["settings"] = {}
    history_before = Enabler.history.count()

    summary = _load(_dump(data), replace=True)

    removed = {name: c.removed for name, c in summary.sections.items() if c.removed}
    assert removed == {
        "teams": 1,
        "enablers": 1,
        "usages": 1,
        "assessment_rounds": 1,
        "assessments": 1,
        "bottlenecks": 1,
        "decisions": 1,
    }
    org = riverside
    assert not Team.objects.for_org(org).filter(key="coaching").exists()
    assert not Enabler.objects.for_org(org).filter(key="coaches").exists()
    assert list(EnablerUsage.objects.for_org(org).values_list("offering__key", flat=True)) == [
        "lessons"
    ]
    assert Assessment.objects.for_org(org).count() == 1
    assert list(BottleneckFlag.objects.for_org(org).values_list("key", flat=True)) == ["b-2"]
    assert list(Decision.objects.for_org(org).values_list("key", "number")) == [("dec-2", 2)]
    assert AssessmentRound.objects.for_org(org).get().sequence == 1
    org.refresh_from_db()
    assert org.balance_settings == {}
    # Kept: memberships (and team memberships of teams that stay), reports, history.
    assert Membership.objects.for_org(org).filter(pk=member.pk).exists()
    assert TeamMembership.objects.for_org(org).filter(membership=member).exists()
    assert BalanceReport.objects.for_org(org).filter(pk=report.pk).exists()
    assert Enabler.history.count() == history_before + 1  # the removal, recorded
    assert Enabler.history.filter(key="coaches", history_type="-").exists()


def test_names_can_move_between_keys_in_one_import(riverside):
    data = _data()
    data["teams"][0]["name"], data["teams"][1]["name"] = "Fitness", "Swim Team"
    _load(_dump(data))
    names = dict(Team.objects.for_org(riverside).values_list("key", "name"))
    assert (names["swim"], names["fitness"]) == ("Fitness", "Swim Team")


def test_a_name_held_by_an_item_the_file_does_not_list_is_refused(riverside):
    data = _data()
    data["teams"] = [t for t in data["teams"] if t["key"] != "board"]
    data["teams"].append({"key": "directors", "name": "the board", "kind": "leadership"})
    assert _refused(_dump(data)) == [
        "teams[4].name: 'The Board' is the name of the team 'board', which the file does not list"
    ]
    # With replace the old team goes, so its name is free.
    _load(_dump(data), replace=True)
    assert Team.objects.for_org(riverside).get(key="directors").name == "the board"


def test_another_organisation_of_the_same_name_is_not_revealed(db):
    # Names are not unique across organisations, so a clash tells nothing about others.
    f.OrganisationFactory(name="Riverside Leisure", slug="elsewhere")
    _load(RIVERSIDE)
    assert Organisation.objects.filter(name="Riverside Leisure").count() == 2


def test_upload_into_another_organisation_is_refused(riverside):
    other = f.OrganisationFactory(slug="northwind", name="Northwind")
    message = (
        "organisation.slug: the file is for 'riverside'; only a file for 'northwind' can be "
        "imported here"
    )
    assert _refused(RIVERSIDE, into=other) == [message]
    # The same answer when the file's slug belongs to nobody: it tells nothing away.
    data = _data()
    data["organisation"]["slug"] = "nobody"
    assert _refused(_dump(data), into=other) == [message.replace("'riverside'", "'nobody'")]


def test_upload_into_its_own_organisation_updates_it(riverside):
    data = _data()
    data["organisation"]["description"] = "Now with a sauna."
    summary = _load(_dump(data), into=riverside)
    riverside.refresh_from_db()
    assert riverside.description == "Now with a sauna."
    assert summary.sections["organisation"].updated == 1


def test_accepted_decision_is_recorded_not_applied(db):
    data = _data()
    data["decisions"] = [
        {
            "key": "make-common",
            "title": "Make payments common",
            "status": "accepted",
            "changes": [{"enabler": "payments", "from": "repeatable", "to": "common"}],
        }
    ]
    _load(_dump(data))
    org = _org()
    payments = Enabler.objects.for_org(org).get(key="payments")
    assert payments.classification == "repeatable"
    assert payments.history.count() == 1
    change = DecisionChange.objects.for_org(org).get()
    assert (change.from_classification, change.to_classification) == ("repeatable", "common")
    # And importing it again applies nothing either.
    _load(_dump(data))
    payments.refresh_from_db()
    assert payments.classification == "repeatable"


def test_new_decisions_are_numbered_after_the_existing_ones(riverside):
    data = _data()
    data["decisions"].insert(0, {"key": "dec-0", "title": "Open a sauna", "status": "proposed"})
    _load(_dump(data))
    numbers = dict(Decision.objects.for_org(riverside).values_list("key", "number"))
    assert numbers == {"dec-1": 1, "dec-2": 2, "dec-0": 3}


def test_rounds_keep_their_order_when_a_file_adds_one(riverside):
    data = _data()
    data["assessment_rounds"] = [
        data["assessment_rounds"][1],
        {"key": "2027-q1", "name": "2027 Q1", "status": "closed"},
    ]
    data["assessments"] = []
    _load(_dump(data))
    order = list(
        AssessmentRound.objects.for_org(riverside)
        .order_by("sequence")
        .values_list("key", "sequence")
    )
    assert order == [("2026-q3", 1), ("2026-q4", 2), ("2027-q1", 3)]


# --- round trip --------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _export_after_import(text: str, *, fmt: str = "yaml") -> str:
    """Import ``text`` into the (empty) database, export it, then undo the import."""
    exported = ""
    try:
        with transaction.atomic():
            summary = _load(text)
            exported = export_organisation(summary.organisation, fmt=fmt)
            raise _Rollback
    except _Rollback:
        pass
    assert Organisation.objects.count() == 0
    return exported


@pytest.mark.parametrize("name", DEMO_FILES)
def test_demo_file_round_trip(db, name):
    source = (DEMO_DIR / name).read_text(encoding="utf-8")
    first = _export_after_import(source)
    # The demo files are written as the export writes them (plus a comment at the top).
    assert yaml.safe_load(first) == yaml.safe_load(source)
    second = _export_after_import(first)
    assert second == first


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_hand_written_file_round_trip(db, fmt):
    first = _export_after_import(RIVERSIDE, fmt=fmt)
    second = _export_after_import(first, fmt=fmt)
    assert second == first


def test_export_orders_sections_and_leaves_out_defaults(riverside):
    data = yaml.safe_load(export_organisation(riverside))
    assert list(data) == [
        "format",
        "organisation",
        "business_areas",
        "teams",
        "offerings",
        "touchpoints",
        "journeys",
        "enablers",
        "assessment_rounds",
        "assessments",
        "bottlenecks",
        "decisions",
        "settings",
    ]
    assert [t["key"] for t in data["teams"]] == ["board", "coaching", "fitness", "platform", "swim"]
    assert [r["key"] for r in data["assessment_rounds"]] == ["2026-q3", "2026-q4"]
    payments = next(e for e in data["enablers"] if e["key"] == "payments")
    assert "lifecycle" not in payments
    assert payments["used_by"] == [{"offering": "gym-pass", "criticality": "high"}, "lessons"]
    # Open is the default status: left out.
    assert [("status" in flag) for flag in data["bottlenecks"]] == [False, False]
    assert data["decisions"][0]["changes"] == [
        {"enabler": "payments", "from": "repeatable", "to": "common"}
    ]


def test_export_json_is_the_same_structure(riverside):
    as_yaml = yaml.safe_load(export_organisation(riverside))
    as_json = json.loads(export_organisation(riverside, fmt="json"))
    assert as_json == json.loads(json.dumps(as_yaml, default=str))


# --- commands ----------------------------------------------------------------------------


def test_import_command_prints_a_summary(db, tmp_path):
    path = tmp_path / "riverside.yaml"
    path.write_text(RIVERSIDE, encoding="utf-8")
    out = io.StringIO()
    call_command("import_organisation", str(path), stdout=out)
    assert out.getvalue().startswith("Created Riverside Leisure (riverside): ")
    assert "enablers" in out.getvalue()
    out = io.StringIO()
    call_command("import_organisation", str(path), "--replace", stdout=out)
    assert "0 created, 0 updated, 0 removed" in out.getvalue()


def test_import_command_lists_every_problem_and_exits_with_status_1(db, tmp_path):
    data = _data()
    data["enablers"][1]["classification"] = "shared"
    data["journeys"][0]["steps"][0]["offering"] = "grocery-onlin"
    path = tmp_path / "bad.yaml"
    path.write_text(_dump(data), encoding="utf-8")
    err = io.StringIO()
    before = _counts()
    with pytest.raises(CommandError) as refused:
        call_command("import_organisation", str(path), stderr=err)
    assert refused.value.returncode == 1
    assert str(refused.value) == f"{path}: 2 problems; nothing was imported."
    assert err.getvalue().splitlines() == [
        "journeys[0].steps[0].offering: unknown offering 'grocery-onlin'",
        "enablers[1].classification: must be one of repeatable, common, independent",
    ]
    assert _counts() == before


def test_import_command_with_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_organisation", str(tmp_path / "nowhere.yaml"))


def test_export_command_writes_yaml_to_stdout_and_json_to_a_file(riverside, tmp_path):
    out = io.StringIO()
    call_command("export_organisation", "riverside", stdout=out)
    assert out.getvalue() == export_organisation(riverside)
    target = tmp_path / "riverside.json"
    call_command("export_organisation", "riverside", "--output", str(target), stderr=io.StringIO())
    assert json.loads(target.read_text(encoding="utf-8"))["organisation"]["slug"] == "riverside"
    out = io.StringIO()
    call_command("export_organisation", "riverside", "--format", "json", stdout=out)
    assert out.getvalue() == export_organisation(riverside, fmt="json")


def test_export_command_with_an_unknown_slug(db):
    with pytest.raises(CommandError, match="No organisation with the slug 'nowhere'"):
        call_command("export_organisation", "nowhere")


def test_commands_round_trip_through_a_file(riverside, tmp_path):
    target = tmp_path / "out.yaml"
    call_command("export_organisation", "riverside", "-o", str(target), stderr=io.StringIO())
    before = _counts()
    call_command("import_organisation", str(target), stdout=io.StringIO())
    assert _counts() == before
    assert get_user_model().objects.count() == 0

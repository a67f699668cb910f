"""The assessments part of the API through the real stack: flags, rounds, assessments,
decisions and balance reports, each with the same roles and rules as its page.

The cast (tests/conftest.py): the member is in team ``delivery`` (owns offering ``shop``,
which uses enabler ``payments``); the owner is an enabler owner in team ``platform`` (owns
``payments`` and offering ``warehouse``); the viewer reads only; the outsider is globex's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    FlagAction,
    FlagComment,
    ReportStatus,
)
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast

API = "/api/o/acme"


def raise_flag(cast: Cast, summary: str = "Slow at peak", **extra: Any) -> BottleneckFlag:
    values: dict[str, Any] = {
        "organisation": cast.world.org,
        "team": cast.world.delivery,
        "enabler": cast.world.payments,
        "offering": None,
        "journey": None,
        "severity": "high",
        "summary": summary,
        "details": "",
        "actor": cast.member.user,
        **extra,
    }
    return services.flag_raise(**values)


def open_round(cast: Cast, name: str = "2026 Q4") -> AssessmentRound:
    return services.round_open(
        organisation=cast.world.org, name=name, due_on=None, actor=cast.leader.user
    )


def flag_body(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "team": "delivery",
        "enabler": "payments",
        "offering": "shop",
        "severity": "blocking",
        "summary": "Card payments time out at lunch",
        "details": "Three times this week.",
        **changes,
    }


def locs(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["errors"]]


# --- flags ----------------------------------------------------------------------------------


def test_a_member_raises_a_flag_for_their_own_team(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.member).post(f"{API}/flags", flag_body(cast))

    assert response.status_code == 201, response.content
    body = response.json()
    flag = BottleneckFlag.objects.for_org(cast.world.org).get(key=body["key"])
    assert (flag.team, flag.enabler, flag.offering) == (
        cast.world.delivery,
        cast.world.payments,
        cast.world.shop,
    )
    assert body["status"] == "open" and body["severity"] == "blocking"
    assert body["raised_by"] == "member" and body["offering"] == "shop"
    assert body["actions"] == ["acknowledge", "resolve"]
    assert body["url"] == flag.get_absolute_url()


def test_a_member_cannot_flag_for_another_team(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.member).post(f"{API}/flags", flag_body(cast, team="platform"))

    assert response.status_code == 403
    assert not BottleneckFlag.objects.for_org(cast.world.org).exists()


def test_leadership_may_flag_for_any_team(cast: Cast, api_as: Any) -> None:
    body = flag_body(cast, team="platform", offering="warehouse")
    response = api_as(cast.leader).post(f"{API}/flags", body)

    assert response.status_code == 201, response.content
    assert response.json()["team"] == "platform"


def test_a_viewer_cannot_raise_a_flag(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.viewer).post(f"{API}/flags", flag_body(cast))

    assert response.status_code == 403
    assert not BottleneckFlag.objects.for_org(cast.world.org).exists()


def test_a_member_in_no_team_is_told_why_they_cannot_flag(cast: Cast, api_as: Any) -> None:
    loner = m.Membership.objects.create(
        organisation=cast.world.org, user=f.UserFactory(), role=m.Role.TEAM_MEMBER
    )
    response = api_as(loner).post(f"{API}/flags", flag_body(cast))

    assert response.status_code == 403
    assert "no team" in response.json()["detail"]


def test_an_offering_of_another_team_is_refused_where_it_is(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.member).post(f"{API}/flags", flag_body(cast, offering="warehouse"))

    assert response.status_code == 422
    assert locs(response) == [["body", "offering"]]
    assert "Delivery's offerings" in response.json()["errors"][0]["msg"]
    assert not BottleneckFlag.objects.for_org(cast.world.org).exists()


def test_an_unknown_enabler_and_an_unknown_field_are_refused(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.member)

    unknown = client.post(f"{API}/flags", flag_body(cast, enabler="nothing-here"))
    extra = client.post(f"{API}/flags", flag_body(cast, status="resolved"))

    assert unknown.status_code == 422 and locs(unknown) == [["body", "enabler"]]
    assert extra.status_code == 422 and locs(extra) == [["body", "status"]]
    assert not BottleneckFlag.objects.for_org(cast.world.org).exists()


def test_flags_are_listed_newest_first_and_filtered_like_the_page(cast: Cast, api_as: Any) -> None:
    older = raise_flag(cast, "Older")
    newer = raise_flag(cast, "Newer", enabler=cast.world.search, severity="low")
    services.flag_transition(flag=older, action=FlagAction.RESOLVED, note="", actor=cast.owner.user)
    raise_flag(cast, "Elsewhere", organisation=cast.other.org, team=cast.other.delivery,
               enabler=cast.other.payments)  # fmt: skip
    client = api_as(cast.viewer)

    everything = client.get(f"{API}/flags").json()
    resolved = client.get(f"{API}/flags", status="resolved").json()
    owned = client.get(f"{API}/flags", owner="delivery").json()

    assert everything["count"] == 2
    assert [i["key"] for i in everything["items"]] == [newer.key, older.key]
    assert [i["key"] for i in resolved["items"]] == [older.key]
    assert [i["key"] for i in owned["items"]] == [newer.key]


def test_a_filter_naming_an_unknown_team_is_a_422_on_the_query(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.viewer).get(f"{API}/flags", team="nobody")

    assert response.status_code == 422
    assert locs(response) == [["query", "team"]]


def test_an_outsider_cannot_tell_the_organisation_exists(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)
    client = api_as(cast.outsider)

    assert client.get(f"{API}/flags").status_code == 404
    assert client.get(f"{API}/flags/{flag.key}").status_code == 404
    assert client.post(f"{API}/flags/{flag.key}/acknowledge").status_code == 404


def test_the_flag_list_reads_a_fixed_number_of_queries(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.viewer)
    raise_flag(cast, "First")
    client.get(f"{API}/me")  # the token's first use is recorded once; not under test here
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/flags").status_code == 200
    for i in range(8):
        raise_flag(cast, f"More {i}", offering=cast.world.shop, journey=cast.world.journey)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{API}/flags").json()["count"] == 9
    assert len(few) == len(many)


def test_the_owner_acknowledges_resolves_and_reopens_with_notes(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)
    client = api_as(cast.owner)

    acknowledged = client.post(f"{API}/flags/{flag.key}/acknowledge", {"note": "Looking"})
    resolved = client.post(f"{API}/flags/{flag.key}/resolve")
    reopened = client.post(f"{API}/flags/{flag.key}/reopen", {"note": "Back again"})

    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    notes = FlagComment.objects.for_org(cast.world.org).filter(flag=flag).order_by("id")
    assert [(c.action, c.body) for c in notes] == [
        ("acknowledged", "Looking"),
        ("resolved", ""),
        ("reopened", "Back again"),
    ]


def test_a_step_the_status_does_not_allow_is_a_409_and_changes_nothing(
    cast: Cast, api_as: Any
) -> None:
    flag = raise_flag(cast)
    response = api_as(cast.owner).post(f"{API}/flags/{flag.key}/reopen", {"note": "No"})

    assert response.status_code == 409
    assert "open, so it cannot be reopened" in response.json()["detail"]
    flag.refresh_from_db()
    assert flag.status == "open"
    assert not FlagComment.objects.for_org(cast.world.org).exists()


def test_only_leadership_and_the_enablers_owners_respond_to_a_flag(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)

    assert api_as(cast.member).post(f"{API}/flags/{flag.key}/acknowledge").status_code == 403
    assert api_as(cast.viewer).post(f"{API}/flags/{flag.key}/resolve").status_code == 403
    flag.refresh_from_db()
    assert flag.status == "open"
    assert api_as(cast.leader).post(f"{API}/flags/{flag.key}/resolve").status_code == 200


def test_members_comment_and_everyone_reads_the_comments(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)
    services.flag_transition(
        flag=flag, action=FlagAction.ACKNOWLEDGED, note="Seen", actor=cast.owner.user
    )

    posted = api_as(cast.member).post(f"{API}/flags/{flag.key}/comments", {"body": "Still slow"})
    listed = api_as(cast.viewer).get(f"{API}/flags/{flag.key}/comments").json()

    assert posted.status_code == 201, posted.content
    assert posted.json()["author"] == "member" and posted.json()["action"] == "comment"
    assert [(c["action"], c["body"]) for c in listed["items"]] == [
        ("acknowledged", "Seen"),
        ("comment", "Still slow"),
    ]


def test_a_viewer_cannot_comment_and_an_empty_comment_is_refused(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)

    viewer = api_as(cast.viewer).post(f"{API}/flags/{flag.key}/comments", {"body": "Hi"})
    empty = api_as(cast.member).post(f"{API}/flags/{flag.key}/comments", {"body": "   "})

    assert viewer.status_code == 403
    assert empty.status_code == 422 and locs(empty) == [["body", "body"]]
    assert not FlagComment.objects.for_org(cast.world.org).exists()


def test_an_unknown_flag_is_a_404(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.admin)

    assert client.get(f"{API}/flags/no-such-flag").status_code == 404
    assert client.post(f"{API}/flags/no-such-flag/resolve").status_code == 404


# --- rounds and assessments -----------------------------------------------------------------


def assessment_body(round_key: str, **changes: Any) -> dict[str, Any]:
    return {
        "round": round_key,
        "team": "delivery",
        "enabler": "payments",
        "fit": 2,
        "pace": -1,
        "preferred": "repeatable",
        "comment": "Slow to change",
        **changes,
    }


def test_leadership_sees_a_rounds_completion_and_a_member_does_not(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)
    services.assessment_save(
        assessment_round=rnd,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        fit=4,
        pace=1,
        preferred="",
        comment="",
        actor=cast.member.user,
    )

    led = api_as(cast.leader).get(f"{API}/rounds/{rnd.key}").json()
    seen = api_as(cast.member).get(f"{API}/rounds/{rnd.key}").json()

    assert led["status"] == "open" and led["assessments"] == 1
    assert led["completion"]["overall"] == {"team": None, "assessed": 1, "pairs": 1, "share": 1.0}
    assert [t["team"] for t in led["completion"]["teams"]] == ["delivery"]
    assert seen["completion"] is None and seen["teams"] == ["delivery"]


def test_rounds_are_listed_newest_first(cast: Cast, api_as: Any) -> None:
    first = open_round(cast, "2026 Q3")
    services.round_close(assessment_round=first, actor=cast.leader.user)
    second = open_round(cast, "2026 Q4")

    listed = api_as(cast.viewer).get(f"{API}/rounds").json()

    assert [(r["key"], r["status"]) for r in listed["items"]] == [
        (second.key, "open"),
        (first.key, "closed"),
    ]


def test_a_member_records_then_changes_their_teams_assessment(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)
    client = api_as(cast.member)

    created = client.post(f"{API}/assessments", assessment_body(rnd.key))
    changed = client.post(f"{API}/assessments", assessment_body(rnd.key, fit=5, preferred=None))

    assert created.status_code == 201, created.content
    assert changed.status_code == 200, changed.content
    assert changed.json()["id"] == created.json()["id"]
    assessment = Assessment.objects.for_org(cast.world.org).get()
    assert (assessment.fit, assessment.pace, assessment.preferred) == (5, -1, "")
    assert changed.json()["preferred"] is None and changed.json()["assessed_by"] == "member"


def test_a_member_cannot_assess_for_another_team(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)
    body = assessment_body(rnd.key, team="platform")

    assert api_as(cast.member).post(f"{API}/assessments", body).status_code == 403
    assert (
        api_as(cast.viewer).post(f"{API}/assessments", assessment_body(rnd.key)).status_code == 403
    )
    assert not Assessment.objects.for_org(cast.world.org).exists()


def test_a_closed_round_refuses_assessments_with_a_409(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)
    services.round_close(assessment_round=rnd, actor=cast.leader.user)

    response = api_as(cast.member).post(f"{API}/assessments", assessment_body(rnd.key))

    assert response.status_code == 409
    assert "This round is closed" in response.json()["detail"]
    assert not Assessment.objects.for_org(cast.world.org).exists()


def test_an_enabler_the_team_does_not_use_is_refused_where_it_is(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)

    response = api_as(cast.member).post(
        f"{API}/assessments", assessment_body(rnd.key, enabler="search")
    )

    assert response.status_code == 422
    assert locs(response) == [["body", "enabler"]]
    assert "not on the team's list" in response.json()["errors"][0]["msg"]
    assert not Assessment.objects.for_org(cast.world.org).exists()


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"fit": 6}, ["body", "fit"]),
        ({"pace": -3}, ["body", "pace"]),
        ({"preferred": "shared"}, ["body", "preferred"]),
        ({"round": "no-such-round"}, ["body", "round"]),
    ],
)
def test_bad_assessment_values_are_refused_and_nothing_is_written(
    cast: Cast, api_as: Any, change: dict[str, Any], where: list[str]
) -> None:
    rnd = open_round(cast)

    response = api_as(cast.member).post(f"{API}/assessments", assessment_body(rnd.key, **change))

    assert response.status_code == 422
    assert where in locs(response)
    assert not Assessment.objects.for_org(cast.world.org).exists()


def test_assessments_are_listed_filtered_and_read_one_by_one(cast: Cast, api_as: Any) -> None:
    rnd = open_round(cast)
    saved = services.assessment_save(
        assessment_round=rnd,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        fit=3,
        pace=0,
        preferred="common",
        comment="Fine",
        actor=cast.member.user,
    )
    client = api_as(cast.viewer)

    listed = client.get(f"{API}/assessments", round=rnd.key, team="delivery").json()
    none = client.get(f"{API}/assessments", enabler="search").json()
    one = client.get(f"{API}/assessments/{saved.pk}")

    assert [a["id"] for a in listed["items"]] == [saved.pk]
    assert none["count"] == 0
    assert one.status_code == 200 and one.json()["preferred"] == "common"
    assert client.get(f"{API}/assessments/{10**30}").status_code == 404
    assert api_as(cast.outsider).get(f"/api/o/globex/assessments/{saved.pk}").status_code == 404


# --- decisions ------------------------------------------------------------------------------


def propose(cast: Cast, api_as: Any, **changes: Any) -> Any:
    body = {
        "title": "Make payments repeatable",
        "context": "Every team builds its own card flow.",
        "decision": "One payments service for all.",
        "changes": [{"enabler": "payments", "to": "repeatable"}],
        **changes,
    }
    return api_as(cast.owner).post(f"{API}/decisions", body)


def test_an_enabler_owner_proposes_a_numbered_decision(cast: Cast, api_as: Any) -> None:
    flag = raise_flag(cast)
    response = propose(cast, api_as, flags=[flag.key], review_on="2030-01-31")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["reference"], body["status"]) == (1, "DEC-001", "proposed")
    assert body["enablers"] == ["payments"]
    assert body["changes"] == [
        {"enabler": "payments", "from_classification": "common", "to_classification": "repeatable"}
    ]
    assert body["flags"] == [flag.key] and body["review_on"] == "2030-01-31"
    assert body["proposed_by"] == "owner" and body["decided_by"] is None
    assert Decision.objects.for_org(cast.world.org).get().title == "Make payments repeatable"


def test_members_and_viewers_cannot_propose(cast: Cast, api_as: Any) -> None:
    body = {"title": "Anything"}

    assert api_as(cast.member).post(f"{API}/decisions", body).status_code == 403
    assert api_as(cast.viewer).post(f"{API}/decisions", body).status_code == 403
    assert not Decision.objects.for_org(cast.world.org).exists()


def test_a_bad_change_row_is_named_by_its_position_and_nothing_is_written(
    cast: Cast, api_as: Any
) -> None:
    response = propose(
        cast,
        api_as,
        changes=[
            {"enabler": "search", "to": "independent"},
            {"enabler": "payments", "to": "common"},
        ],
        report=123456,
    )

    assert response.status_code == 422
    assert locs(response) == [["body", "changes", 1, "to"], ["body", "report"]]
    assert "Payments is already common" in response.json()["errors"][0]["msg"]
    assert not Decision.objects.for_org(cast.world.org).exists()


def test_a_proposed_decision_changes_only_what_a_patch_sends(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)
    client = api_as(cast.owner)

    response = client.patch(f"{API}/decisions/1", {"title": "Payments: one service"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Payments: one service"
    assert body["context"] == "Every team builds its own card flow."
    assert [c["enabler"] for c in body["changes"]] == ["payments"]


def test_accepting_applies_the_change_and_then_the_text_is_fixed(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)

    accepted = api_as(cast.leader).post(f"{API}/decisions/1/accept")
    again = api_as(cast.leader).post(f"{API}/decisions/1/reject")
    edited = api_as(cast.owner).patch(f"{API}/decisions/1", {"title": "Too late"})

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted" and accepted.json()["decided_by"] == "leader"
    cast.world.payments.refresh_from_db()
    assert cast.world.payments.classification == "repeatable"
    assert again.status_code == 409 and again.json()["detail"] == "DEC-001 is already accepted."
    assert edited.status_code == 409 and "no longer be changed" in edited.json()["detail"]
    assert Decision.objects.for_org(cast.world.org).get().title == "Make payments repeatable"


def test_a_stale_change_is_refused_with_409_and_nothing_is_applied(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)
    payments = cast.world.payments
    payments.classification = "independent"
    payments.save()

    response = api_as(cast.leader).post(f"{API}/decisions/1/accept")

    assert response.status_code == 409
    assert "cannot be accepted" in response.json()["detail"]
    assert Decision.objects.for_org(cast.world.org).get().status == "proposed"


def test_only_leadership_decides(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)

    assert api_as(cast.owner).post(f"{API}/decisions/1/accept").status_code == 403
    assert api_as(cast.viewer).post(f"{API}/decisions/1/reject").status_code == 403
    assert api_as(cast.member).patch(f"{API}/decisions/1", {"title": "X"}).status_code == 403
    assert Decision.objects.for_org(cast.world.org).get().status == "proposed"


def test_a_superseding_decision_names_the_older_by_number(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)
    api_as(cast.leader).post(f"{API}/decisions/1/accept")

    newer = propose(cast, api_as, title="Split payments again", changes=[], supersedes=1)
    api_as(cast.leader).post(f"{API}/decisions/2/accept")
    older = api_as(cast.viewer).get(f"{API}/decisions/1").json()

    assert newer.status_code == 201 and newer.json()["supersedes"] == 1
    assert older["status"] == "superseded" and older["superseded_by"] == [2]


def test_decisions_are_listed_newest_first_and_filtered(cast: Cast, api_as: Any) -> None:
    propose(cast, api_as)
    propose(
        cast,
        api_as,
        title="Keep search our own",
        context="Search serves one shop.",
        changes=[],
        enablers=["search"],
    )
    client = api_as(cast.viewer)

    everything = client.get(f"{API}/decisions").json()
    on_search = client.get(f"{API}/decisions", enabler="search").json()
    words = client.get(f"{API}/decisions", q="card flow").json()
    unknown = client.get(f"{API}/decisions", enabler="nothing")

    assert [d["reference"] for d in everything["items"]] == ["DEC-002", "DEC-001"]
    assert [d["number"] for d in on_search["items"]] == [2]
    assert [d["number"] for d in words["items"]] == [1]
    # The enabler is a key or name, or part of one (a text box on the page, not a list of
    # thousands): a word that matches none lists nothing.
    assert unknown.status_code == 200 and unknown.json()["items"] == []


def test_the_decision_list_reads_a_fixed_number_of_queries(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.viewer)
    propose(cast, api_as)
    client.get(f"{API}/me")  # the token's first use is recorded once; not under test here
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{API}/decisions").status_code == 200
    flag = raise_flag(cast)
    for i in range(6):
        propose(cast, api_as, title=f"More {i}", flags=[flag.key], supersedes=1)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{API}/decisions").json()["count"] == 7
    assert len(few) == len(many)


def test_an_unknown_or_impossible_decision_number_is_a_404(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.admin)

    assert client.get(f"{API}/decisions/7").status_code == 404
    assert client.get(f"{API}/decisions/{10**40}").status_code == 404
    assert client.post(f"{API}/decisions/{10**40}/accept").status_code == 404


# --- balance reports ------------------------------------------------------------------------


def test_the_latest_report_is_a_clear_404_before_there_is_one(cast: Cast, api_as: Any) -> None:
    response = api_as(cast.viewer).get(f"{API}/reports/latest")

    assert response.status_code == 404
    assert "No balance report is ready yet" in response.json()["detail"]


def test_the_latest_report_comes_with_its_whole_result(cast: Cast, api_as: Any) -> None:
    older, _ = services.report_compute_now(organisation=cast.world.org)
    latest, _ = services.report_compute_now(organisation=cast.world.org)

    body = api_as(cast.viewer).get(f"{API}/reports/latest").json()

    assert body["id"] == latest.pk and body["status"] == "ready"
    assert body["result"] == latest.result and "enablers" in body["result"]
    assert api_as(cast.viewer).get(f"{API}/reports/{older.pk}").json()["id"] == older.pk


def test_the_report_history_is_newest_first_with_headlines_only(cast: Cast, api_as: Any) -> None:
    older, _ = services.report_compute_now(organisation=cast.world.org)
    newer, _ = services.report_compute_now(organisation=cast.world.org)
    pending = BalanceReport.objects.create(organisation=cast.world.org)

    everything = api_as(cast.viewer).get(f"{API}/reports").json()
    ready = api_as(cast.viewer).get(f"{API}/reports", status="ready").json()

    assert [r["id"] for r in everything["items"]] == [pending.pk, newer.pk, older.pk]
    assert [r["id"] for r in ready["items"]] == [newer.pk, older.pk]
    assert "result" not in everything["items"][1]
    assert ready["items"][0]["balance_score"] == newer.balance_score


def test_another_organisations_report_is_a_404(cast: Cast, api_as: Any) -> None:
    theirs, _ = services.report_compute_now(organisation=cast.other.org)

    assert api_as(cast.admin).get(f"{API}/reports/{theirs.pk}").status_code == 404
    assert api_as(cast.admin).get(f"{API}/reports/{10**30}").status_code == 404


def test_leadership_asks_for_a_recompute_and_gets_the_report_to_poll(
    cast: Cast, api_as: Any, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(cast.leader).post(f"{API}/reports/recompute")

    assert response.status_code == 202, response.content
    body = response.json()
    report = BalanceReport.objects.for_org(cast.world.org).get(pk=body["id"])
    assert body["status"] == "pending" and report.requested_by == cast.leader.user
    # After commit the task ran (eagerly here): the report the caller polls is ready.
    assert report.status == ReportStatus.READY
    assert api_as(cast.viewer).get(f"{API}/reports/{report.pk}").json()["status"] == "ready"
    assert BalanceReport.objects.for_org(cast.world.org).count() == 1


def test_asking_twice_while_one_waits_gives_the_same_report(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.leader)

    first = client.post(f"{API}/reports/recompute").json()
    second = client.post(f"{API}/reports/recompute").json()

    assert first["id"] == second["id"] and second["status"] == "pending"


def test_viewers_members_and_owners_cannot_ask_for_a_recompute(cast: Cast, api_as: Any) -> None:
    for who in (cast.viewer, cast.member, cast.owner):
        assert api_as(who).post(f"{API}/reports/recompute").status_code == 403
    assert not BalanceReport.objects.for_org(cast.world.org).exists()


def test_no_token_is_a_401(cast: Cast, api_as: Any) -> None:
    assert api_as(None).get(f"{API}/flags").status_code == 401
    assert api_as(None).post(f"{API}/reports/recompute").status_code == 401

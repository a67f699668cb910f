"""The decision register's lifecycle: propose, change while proposed, accept (applying its
classification changes and merges in one transaction), reject, supersede, review reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assessments import services
from assessments.models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionStatus,
    Notification,
    NotificationKind,
    ReportStatus,
)
from assessments.services import DecisionDraft, DecisionError
from catalogue import models as m
from catalogue.access import CrossOrganisationReference
from tests import factories as f
from tests.conftest import Cast


def propose(cast: Cast, title: str = "Make payments repeatable", **draft) -> Decision:  # type: ignore[no-untyped-def]
    return services.decision_propose(
        organisation=cast.world.org,
        draft=DecisionDraft(title=title, **draft),
        actor=cast.owner.user,
    )


def payments_to(cast: Cast, to: str = "repeatable") -> dict:  # type: ignore[type-arg]
    return {"changes": ((cast.world.payments, to),)}


def classification(enabler: m.Enabler) -> str:
    return m.Enabler.objects.for_org(enabler.organisation).get(pk=enabler.pk).classification


def generation(cast: Cast) -> int:
    return m.Organisation.objects.get(pk=cast.world.org.pk).generation


# --- propose and change ----------------------------------------------------------------------


def test_decisions_are_numbered_per_organisation(cast: Cast) -> None:
    first, second = propose(cast, "One"), propose(cast, "Two")
    theirs = services.decision_propose(
        organisation=cast.other.org, draft=DecisionDraft(title="Theirs"), actor=None
    )

    assert (first.reference, second.reference, theirs.reference) == (
        "DEC-001",
        "DEC-002",
        "DEC-001",
    )
    assert first.status == DecisionStatus.PROPOSED
    assert first.proposed_by == cast.owner.user


def test_a_change_records_the_classification_it_starts_from(cast: Cast) -> None:
    decision = propose(cast, **payments_to(cast))

    [change] = decision.changes.all()
    assert (change.from_classification, change.to_classification) == ("common", "repeatable")
    assert list(decision.enablers.all()) == [cast.world.payments]
    assert classification(cast.world.payments) == "common"  # proposing applies nothing


def test_a_proposed_decision_can_be_changed(cast: Cast) -> None:
    decision = propose(cast)

    services.decision_update(
        decision=decision,
        draft=DecisionDraft(title="Make payments independent", **payments_to(cast, "independent")),
        actor=cast.owner.user,
    )

    decision.refresh_from_db()
    assert decision.title == "Make payments independent"
    assert [c.to_classification for c in decision.changes.all()] == ["independent"]


def test_an_accepted_decisions_text_cannot_be_changed(cast: Cast) -> None:
    decision = services.decision_accept(decision=propose(cast), actor=cast.leader.user)

    with pytest.raises(DecisionError, match="can no longer be changed"):
        services.decision_update(
            decision=decision, draft=DecisionDraft(title="Rewritten"), actor=cast.leader.user
        )
    decision.refresh_from_db()
    assert decision.title == "Make payments repeatable"


def test_another_organisations_enabler_cannot_be_named(cast: Cast) -> None:
    with pytest.raises(CrossOrganisationReference):
        propose(cast, changes=((cast.other.payments, "repeatable"),))
    assert not Decision.objects.for_org(cast.world.org).exists()


# --- accept and reject -----------------------------------------------------------------------


def test_accepting_applies_the_change_records_it_and_asks_for_a_recompute(
    cast: Cast,
    eager_tasks: None,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    decision = propose(cast, **payments_to(cast))
    before = generation(cast)

    with django_capture_on_commit_callbacks(execute=True):
        services.decision_accept(decision=decision, actor=cast.leader.user)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.ACCEPTED
    assert (decision.decided_by, decision.decided_on) == (cast.leader.user, date.today())
    assert classification(cast.world.payments) == "repeatable"
    latest = cast.world.payments.history.order_by("-history_date", "-history_id").first()
    assert latest is not None
    assert latest.history_change_reason == "DEC-001 accepted"
    assert latest.history_user == cast.leader.user
    assert generation(cast) == before + 1
    # The recompute it queued ran: the newest report counts payments as repeatable.
    report = (
        BalanceReport.objects.for_org(cast.world.org)
        .filter(status=ReportStatus.READY)
        .order_by("-generation")
        .first()
    )
    assert report is not None and report.generation == generation(cast)
    assert report.result["enablers"]["payments"]["declared"] == "repeatable"


def test_accepting_with_a_stale_from_is_refused_and_changes_nothing(cast: Cast) -> None:
    decision = propose(cast, **payments_to(cast))
    m.Enabler.objects.for_org(cast.world.org).filter(pk=cast.world.payments.pk).update(
        classification="independent"
    )
    before = generation(cast)

    with pytest.raises(DecisionError, match="Payments is now independent, not common"):
        services.decision_accept(decision=decision, actor=cast.leader.user)

    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    assert classification(cast.world.payments) == "independent"
    assert generation(cast) == before


def test_a_rejected_decision_applies_nothing_and_cannot_then_be_accepted(cast: Cast) -> None:
    decision = services.decision_reject(
        decision=propose(cast, **payments_to(cast)), actor=cast.leader.user
    )

    assert decision.status == DecisionStatus.REJECTED
    assert classification(cast.world.payments) == "common"
    with pytest.raises(DecisionError, match="already rejected"):
        services.decision_accept(decision=decision, actor=cast.leader.user)
    with pytest.raises(DecisionError, match="already rejected"):
        services.decision_reject(decision=decision, actor=cast.leader.user)


def test_a_decision_is_accepted_once(cast: Cast) -> None:
    decision = services.decision_accept(decision=propose(cast), actor=cast.leader.user)

    with pytest.raises(DecisionError, match="already accepted"):
        services.decision_accept(decision=decision, actor=cast.leader.user)
    with pytest.raises(DecisionError, match="already accepted"):
        services.decision_reject(decision=decision, actor=cast.leader.user)


# --- superseding -----------------------------------------------------------------------------


def test_the_older_decision_is_superseded_only_when_the_newer_is_accepted(cast: Cast) -> None:
    older = services.decision_accept(decision=propose(cast, "Old"), actor=cast.leader.user)
    newer = propose(cast, "New", supersedes=older)

    older.refresh_from_db()
    assert older.status == DecisionStatus.ACCEPTED  # proposing is not enough

    services.decision_accept(decision=newer, actor=cast.leader.user)
    older.refresh_from_db()
    assert older.status == DecisionStatus.SUPERSEDED
    assert list(older.superseded_by.all()) == [newer]


def test_rejecting_the_newer_leaves_the_older_in_force(cast: Cast) -> None:
    older = services.decision_accept(decision=propose(cast, "Old"), actor=cast.leader.user)
    services.decision_reject(
        decision=propose(cast, "New", supersedes=older), actor=cast.leader.user
    )

    older.refresh_from_db()
    assert older.status == DecisionStatus.ACCEPTED


def test_a_rejected_decision_cannot_be_superseded(cast: Cast) -> None:
    rejected = services.decision_reject(decision=propose(cast, "Old"), actor=cast.leader.user)

    with pytest.raises(DecisionError, match="DEC-001 was rejected"):
        propose(cast, "New", supersedes=rejected)


# --- merging ---------------------------------------------------------------------------------


def test_accepting_a_merge_moves_usages_flags_and_assessments_and_retires_the_others(
    cast: Cast,
) -> None:
    org, world = cast.world.org, cast.world
    booking_a = f.EnablerFactory(organisation=org, key="booking-a", classification="independent")
    booking_b = f.EnablerFactory(organisation=org, key="booking-b", classification="independent")
    m.EnablerUsage.objects.create(organisation=org, enabler=booking_a, offering=world.shop)
    m.EnablerUsage.objects.create(organisation=org, enabler=booking_b, offering=world.shop)
    m.EnablerUsage.objects.create(organisation=org, enabler=booking_b, offering=world.warehouse)
    flag = services.flag_raise(
        organisation=org,
        team=world.delivery,
        enabler=booking_b,
        offering=None,
        journey=None,
        severity="high",
        summary="Double booking",
        details="",
        actor=cast.member.user,
    )
    assessment_round = AssessmentRound.objects.create(organisation=org, key="q4", name="Q4")
    Assessment.objects.create(
        organisation=org,
        round=assessment_round,
        team=world.delivery,
        enabler=booking_b,
        fit=2,
        pace=-1,
    )

    decision = propose(cast, "One booking", merge_into=booking_a, merge_from=(booking_b,))
    services.decision_accept(decision=decision, actor=cast.leader.user)

    booking_a.refresh_from_db()
    booking_b.refresh_from_db()
    assert booking_a.classification == "common"
    assert booking_b.lifecycle == "retired"
    usages = m.EnablerUsage.objects.for_org(org)
    assert set(usages.filter(enabler=booking_a).values_list("offering__key", flat=True)) == {
        "shop",
        "warehouse",
    }
    assert not usages.filter(enabler=booking_b).exists()
    assert BottleneckFlag.objects.for_org(org).get(pk=flag.pk).enabler == booking_a
    assert Assessment.objects.for_org(org).get(round=assessment_round).enabler == booking_a
    reason = booking_b.history.order_by("-history_date", "-history_id").first()
    assert (
        reason is not None
        and reason.history_change_reason == "DEC-001 accepted: merged into booking-a"
    )


def test_a_merge_needs_the_enabler_that_remains(cast: Cast) -> None:
    with pytest.raises(DecisionError, match="Choose the enabler the others are merged into"):
        propose(cast, merge_from=(cast.world.search,))


# --- review reminders ------------------------------------------------------------------------


def test_a_review_reminder_goes_once_per_decision_and_review_date(cast: Cast) -> None:
    today = date(2026, 11, 25)
    decision = services.decision_accept(
        decision=propose(cast, review_on=today - timedelta(days=1)), actor=cast.leader.user
    )
    propose(cast, "Still proposed", review_on=today - timedelta(days=1))  # not in force: no review

    told = services.decision_reviews_remind(today=today)

    recipients = set(
        Notification.objects.for_org(cast.world.org)
        .filter(kind=NotificationKind.DECISION_REVIEW)
        .values_list("recipient__username", flat=True)
    )
    assert recipients == {"owner", "leader", "admin"}  # the proposer and leadership
    assert told == 3
    assert services.decision_reviews_remind(today=today + timedelta(days=1)) == 0  # not every day

    Decision.objects.for_org(cast.world.org).filter(pk=decision.pk).update(
        review_on=today + timedelta(days=10)
    )
    assert services.decision_reviews_remind(today=today + timedelta(days=5)) == 0  # not yet due
    assert services.decision_reviews_remind(today=today + timedelta(days=11)) == 3  # a new date


def test_the_enablers_history_links_the_change_to_its_decision(cast: Cast) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    decision = services.decision_accept(
        decision=propose(cast, **payments_to(cast)), actor=cast.leader.user
    )

    response = client_for(cast.viewer).get(
        reverse("catalogue:enabler_detail", args=["acme", "payments"])
    )

    [entry] = [e for e in response.context["history"] if e["reason"]]
    assert entry["reason"] == "DEC-001 accepted"
    assert entry["reason_url"] == decision.get_absolute_url()
    assert (
        f'<a href="{decision.get_absolute_url()}">DEC-001 accepted</a>' in response.content.decode()
    )

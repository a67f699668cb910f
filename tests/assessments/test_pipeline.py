"""The recompute pipeline: generations, coalescing, the task's guarantees and the sweeper.

These run the task in-process (eagerly, or by calling the service the task calls);
tests/assessments/test_worker.py runs the same pipeline through a real worker process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import (
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    FlagAction,
    ReportStatus,
)
from assessments.tasks import compute_balance_report, sweep_stale_reports
from catalogue import models as m
from catalogue import services as catalogue_services
from tests.conftest import Cast, client_for


def generation(cast: Cast) -> int:
    return m.Organisation.objects.get(pk=cast.world.org.pk).generation


def raise_flag(cast: Cast, summary: str = "Slow at peak") -> BottleneckFlag:
    return services.flag_raise(
        organisation=cast.world.org,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        offering=None,
        journey=None,
        severity="high",
        summary=summary,
        details="",
        actor=cast.member.user,
    )


def ready_reports(cast: Cast) -> list[BalanceReport]:
    return list(
        BalanceReport.objects.for_org(cast.world.org)
        .filter(status=ReportStatus.READY)
        .order_by("generation")
    )


# --- every input change moves the generation on ---------------------------------------------


def _open_round(c: Cast) -> Any:
    return services.round_open(
        organisation=c.world.org, name="Q4", due_on=None, actor=c.leader.user
    )


def _close_round(c: Cast) -> Any:
    rnd = AssessmentRound.objects.create(organisation=c.world.org, key="q3", name="Q3")
    return lambda: services.round_close(assessment_round=rnd, actor=c.leader.user)


def _assess(c: Cast) -> Any:
    rnd = AssessmentRound.objects.create(organisation=c.world.org, key="q3", name="Q3")
    return lambda: services.assessment_save(
        assessment_round=rnd,
        team=c.world.delivery,
        enabler=c.world.payments,
        fit=2,
        pace=-1,
        preferred="",
        comment="",
        actor=c.member.user,
    )


def _flag_then(action: str) -> Callable[[Cast], Any]:
    def prepare(c: Cast) -> Any:
        flag = raise_flag(c)
        if action == FlagAction.REOPENED:
            services.flag_transition(
                flag=flag, action=FlagAction.RESOLVED, note="", actor=c.owner.user
            )
        return lambda: services.flag_transition(
            flag=flag, action=action, note="On it", actor=c.owner.user
        )

    return prepare


def _enabler_change(c: Cast) -> Any:
    return lambda: catalogue_services.enabler_update(
        enabler=c.world.payments,
        fields={"classification": "repeatable"},
        base_version=c.world.payments.version,
        actor=c.owner.user,
    )


def _usage_add(c: Cast) -> Any:
    return lambda: catalogue_services.usage_add(
        enabler=c.world.search, offering=c.world.shop, criticality="high", actor=c.member.user
    )


def _usage_remove(c: Cast) -> Any:
    return lambda: catalogue_services.usage_remove(usage=c.world.usage, actor=c.member.user)


def _item_save(attr: str) -> Callable[[Cast], Any]:
    def prepare(c: Cast) -> Any:
        item = getattr(c.world, attr)
        item.name = f"{item.name} renamed"
        return lambda: catalogue_services.item_save(item=item, actor=c.leader.user, created=False)

    return prepare


def _step_add(c: Cast) -> Any:
    return lambda: catalogue_services.step_add(
        journey=c.world.journey,
        name="Pay",
        offering=c.world.warehouse,
        touchpoints=[],
        actor=c.leader.user,
    )


def _thresholds(c: Cast) -> Any:
    return lambda: services.thresholds_update(
        organisation=c.world.org, overrides={"coverage_min": 0.4}, actor=c.admin.user
    )


def _declared_model(c: Cast) -> Any:
    org = c.world.org
    org.delivery_model = "stage"
    return lambda: catalogue_services.organisation_update(organisation=org, actor=c.admin.user)


def _import(c: Cast) -> Any:
    from assessments.orgfile import export_organisation

    text = export_organisation(c.world.org).replace("name: Food", "name: Fresh food")
    return lambda: services.organisation_file_import(text, filename="acme.yaml", actor=c.admin.user)


CHANGES: dict[str, Callable[[Cast], Any]] = {
    "flag raised": lambda c: lambda: raise_flag(c),
    "flag acknowledged": _flag_then(FlagAction.ACKNOWLEDGED),
    "flag resolved": _flag_then(FlagAction.RESOLVED),
    "flag reopened": _flag_then(FlagAction.REOPENED),
    "assessment saved": _assess,
    "round opened": lambda c: lambda: _open_round(c),
    "round closed": _close_round,
    "enabler changed": _enabler_change,
    "usage added": _usage_add,
    "usage removed": _usage_remove,
    "offering changed": _item_save("shop"),
    "business area changed": _item_save("area"),
    "touchpoint changed": _item_save("checkout"),
    "journey changed": _item_save("journey"),
    "step added": _step_add,
    "thresholds changed": _thresholds,
    "declared model changed": _declared_model,
    "file imported": _import,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_to_an_input_moves_the_generation_on_and_queues_a_recompute(
    cast: Cast,
    change: str,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = CHANGES[change](cast)
    before = generation(cast)
    queued: list[int] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        run()
    assert generation(cast) > before
    [pending] = BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.PENDING)
    assert queued == [pending.pk], "a recompute is queued after commit"


def test_a_flag_raised_in_a_transaction_that_rolls_back_queues_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Any, eager_tasks: None
) -> None:
    before = generation(cast)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        raise_flag(cast)
        raise RuntimeError("the request failed after the flag was written")
    assert callbacks == []
    assert generation(cast) == before
    assert not BottleneckFlag.objects.for_org(cast.world.org).exists()
    assert not BalanceReport.objects.for_org(cast.world.org).exists()


def test_a_flag_raised_in_the_browser_reaches_the_report_with_its_generation(
    cast: Cast, django_capture_on_commit_callbacks: Any, eager_tasks: None
) -> None:
    client = client_for(cast.member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assessments:flag_raise", args=["acme"]),
            {
                "team": "delivery",
                "enabler": "payments",
                "severity": "blocking",
                "summary": "Refunds take a week",
            },
        )
    assert response.status_code == 302, response.content[:2000]
    [report] = ready_reports(cast)
    assert report.generation == generation(cast)
    assert report.result["enablers"]["payments"]["flagging_teams"] == 1
    page = client.get(reverse("assessments:balance", args=["acme"])).content.decode()
    assert "Up to date" in page


# --- the task: once per generation, never older ---------------------------------------------


def test_running_the_task_twice_gives_one_report_for_the_generation(cast: Cast) -> None:
    raise_flag(cast)
    first = services.report_request(organisation=cast.world.org)
    assert first is not None
    assert services.report_run(report_id=first.pk) == "ready"
    assert services.report_run(report_id=first.pk) == "taken"  # a redelivered message
    second = services.report_request(organisation=cast.world.org)
    assert second is not None
    assert services.report_run(report_id=second.pk) == "fresh"
    assert [r.generation for r in ready_reports(cast)] == [generation(cast)]
    assert not BalanceReport.objects.for_org(cast.world.org).exclude(pk=first.pk).exists()


def test_a_pending_report_coalesces_the_changes_that_follow_it(
    cast: Cast, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(pk))
    for i in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            raise_flag(cast, f"Slow {i}")
    # Five changes, five signals: the first made the pending report and queued its task;
    # the other four found it waiting and queued nothing.
    [pending] = BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.PENDING)
    assert queued == [pending.pk]
    assert services.report_run(report_id=pending.pk) == "ready"
    [report] = ready_reports(cast)
    assert report.result["counts"]["counting_flags"] == 5


def test_a_report_finishing_after_a_newer_one_is_stored_is_dropped(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_flag(cast)
    older = services.report_request(organisation=cast.world.org)
    assert older is not None
    real_compute = services._compute

    def newer_lands_meanwhile(organisation: m.Organisation) -> Any:
        computed = real_compute(organisation)
        # While this one computes, another change is made and fully recomputed.
        monkeypatch.setattr(services, "_compute", real_compute)
        raise_flag(cast, "Another one")
        services.report_compute_now(organisation=cast.world.org)
        return computed

    monkeypatch.setattr(services, "_compute", newer_lands_meanwhile)
    assert services.report_run(report_id=older.pk) == "superseded"
    assert [r.generation for r in ready_reports(cast)] == [generation(cast)]
    assert not BalanceReport.objects.filter(pk=older.pk).unscoped().exists()


def test_the_task_retries_after_a_database_error(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_flag(cast)
    report = services.report_request(organisation=cast.world.org)
    assert report is not None
    real_compute = services._compute
    calls: list[int] = []

    def flaky(organisation: m.Organisation) -> Any:
        calls.append(organisation.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_compute(organisation)

    monkeypatch.setattr(services, "_compute", flaky)
    compute_balance_report.apply(args=(report.pk,), throw=False)
    assert len(calls) == 2  # the retry took back the report its first try had claimed
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert compute_balance_report.max_retries and compute_balance_report.acks_late


def test_a_database_error_leaves_the_report_running_for_the_same_task_only(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_flag(cast)
    report = services.report_request(organisation=cast.world.org)
    assert report is not None

    def deadlock(*args: Any) -> Any:
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "_compute", deadlock)
    with pytest.raises(OperationalError):
        services.report_run(report_id=report.pk, task_id="task-1")
    report.refresh_from_db()
    assert report.status == ReportStatus.RUNNING and report.claimed_by == "task-1"
    monkeypatch.undo()
    # Another task cannot take it; the same one (retried or redelivered) can.
    assert services.report_run(report_id=report.pk, task_id="task-2") == "taken"
    assert services.report_run(report_id=report.pk, task_id="task-1") == "ready"


def test_a_failed_compute_is_stored_on_the_report(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_flag(cast)
    report = services.report_request(organisation=cast.world.org)
    assert report is not None

    def broken(*args: Any) -> Any:
        raise ValueError("bad data")

    monkeypatch.setattr(services, "_compute", broken)
    assert compute_balance_report.apply(args=(report.pk,)).get() == "failed"
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "bad data" in report.error


def test_recompute_waits_for_the_interval_after_the_last_one_started(
    cast: Cast, settings: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    settings.BALANCE_RECOMPUTE_INTERVAL = 2.0
    queued: list[float] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(countdown))
    with django_capture_on_commit_callbacks(execute=True):
        raise_flag(cast)
    assert queued == [0.0]  # the first change is recomputed at once
    pending = BalanceReport.objects.for_org(cast.world.org).get()
    services.report_run(report_id=pending.pk)
    with django_capture_on_commit_callbacks(execute=True):
        raise_flag(cast, "Right after")
    assert 1.0 < queued[1] <= 2.0  # the next waits out the rest of the interval


# --- the sweeper ----------------------------------------------------------------------------


def test_the_sweeper_queues_a_recompute_for_a_stale_organisation_only(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(pk))
    services.report_compute_now(organisation=cast.other.org)  # globex is up to date
    with transaction.atomic():
        raise_flag(cast)  # acme is stale; the task for it was lost (never queued)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_sweep() == [cast.world.org.pk]
    assert sweep_stale_reports.apply().get() == []  # the pending report is not overdue yet
    # A pending report whose task never ran is queued again once overdue.
    later = timezone.now() + timedelta(minutes=5)
    assert services.reports_sweep(now=later) == [cast.world.org.pk]
    assert len(queued) == 2 and queued[0] == queued[1]


def test_the_sweeper_gives_up_on_a_run_whose_worker_died_and_starts_again(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(pk))
    raise_flag(cast)
    stuck = BalanceReport.objects.create(
        organisation=cast.world.org,
        status=ReportStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_sweep() == [cast.world.org.pk]
    stuck.refresh_from_db()
    assert stuck.status == ReportStatus.FAILED and stuck.error == services.INTERRUPTED
    [pending] = BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.PENDING)
    assert queued == [pending.pk]


def test_the_sweeper_starts_anew_when_a_run_has_gone_quiet_for_a_sweep(
    cast: Cast,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # One change, its recompute claimed by a worker that was then killed: nothing is pending.
    settings.BALANCE_SWEEP_SECONDS = 60
    queued: list[int] = []
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: queued.append(pk))
    raise_flag(cast)
    BalanceReport.objects.create(
        organisation=cast.world.org,
        status=ReportStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=30),
        claimed_by="dead-task",
    )
    assert services.reports_sweep() == []  # it may still be working
    later = timezone.now() + timedelta(seconds=45)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reports_sweep(now=later) == [cast.world.org.pk]
    assert len(queued) == 1


def test_one_organisation_failing_does_not_stop_the_sweep(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    raise_flag(cast)
    services.inputs_changed(organisation=cast.other.org, reason="test")
    real_request = services.report_request

    def broker_down_for_acme(*, organisation: Any, **kwargs: Any) -> Any:
        if organisation.pk == cast.world.org.pk:
            raise ConnectionError("broker down")
        return real_request(organisation=organisation, **kwargs)

    monkeypatch.setattr(services, "report_request", broker_down_for_acme)
    assert services.reports_sweep() == [cast.other.org.pk]


def test_without_a_broker_a_recompute_inside_the_interval_waits_in_a_thread(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.BALANCE_EAGER_WAIT_IN_THREAD = True
    started: list[tuple[float, tuple[int, ...]]] = []

    class FakeTimer:
        def __init__(self, interval: float, function: Any, args: tuple[int, ...]) -> None:
            started.append((interval, args))
            self.daemon = False

        def start(self) -> None:
            pass

    monkeypatch.setattr(services.threading, "Timer", FakeTimer)
    app = compute_balance_report.app
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        services._queue(41, countdown=1.5)
    finally:
        app.conf.task_always_eager = before
    assert started == [(1.5, (41,))]


def test_the_sweeper_does_not_retry_a_generation_that_failed_with_an_error(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "_queue", lambda pk, countdown=0.0: None)
    raise_flag(cast)
    BalanceReport.objects.create(
        organisation=cast.world.org,
        status=ReportStatus.FAILED,
        generation=generation(cast),
        error="ValueError: bad data",
    )
    assert services.reports_sweep() == []
    raise_flag(cast, "A new change tries again")
    assert services.reports_sweep() == [cast.world.org.pk]

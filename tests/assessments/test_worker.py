"""The recompute pipeline through a real broker and a real worker process.

Runs in the second pass of .ci/run (PostgreSQL, Redis as the broker). Each test starts
``celery -A config worker`` as a separate process on this test process's database and
queue (tests/worker.py), changes things through the web client, and waits for the worker.
Figures (seconds from flag to fresh report, recomputes per burst) are printed with -s.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from assessments.models import BalanceReport, ReportStatus
from catalogue import models as m
from config import celery_app
from tests import worker as w
from tests.conftest import Cast, client_for

pytestmark = [
    pytest.mark.skipif(not w.available(), reason=w.SKIP_REASON),
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
]


@pytest.fixture(autouse=True)
def _empty_queue() -> None:
    assert celery_app.conf.task_always_eager is False
    w.purge_queue()


def generation(cast: Cast) -> int:
    return m.Organisation.objects.get(pk=cast.world.org.pk).generation


def latest_ready(cast: Cast) -> BalanceReport | None:
    return (
        BalanceReport.objects.for_org(cast.world.org)
        .filter(status=ReportStatus.READY)
        .order_by("-generation")
        .first()
    )


def wait_for_generation(cast: Cast, target: int, timeout: float, worker: Any) -> BalanceReport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = latest_ready(cast)
        if report is not None and report.generation is not None and report.generation >= target:
            return report
        time.sleep(0.1)
    raise AssertionError(
        f"no report reached generation {target} in {timeout}s; worker log:\n{worker.output()}"
    )


def flag(client: Any, summary: str, severity: str = "high") -> None:
    response = client.post(
        reverse("assessments:flag_raise", args=["acme"]),
        {"team": "delivery", "enabler": "payments", "severity": severity, "summary": summary},
    )
    assert response.status_code == 302, response.content[:2000]


def test_a_flag_raised_through_the_web_reaches_the_report(cast: Cast, tmp_path: Path) -> None:
    client = client_for(cast.member)
    with w.worker_process(tmp_path, "one") as worker:
        started = time.monotonic()
        flag(client, "Refunds take a week", severity="blocking")
        target = generation(cast)
        report = wait_for_generation(cast, target, timeout=30, worker=worker)
        took = time.monotonic() - started
    w.record_figure(f"flag to fresh report: {took:.2f}s (generation {target})")
    assert report.result["counts"]["counting_flags"] == 1
    assert report.result["enablers"]["payments"]["flagging_teams"] == 1
    assert took < 15, f"the report took {took:.2f}s to follow the flag"


def test_a_burst_of_200_flags_coalesces_into_a_few_recomputes(cast: Cast, tmp_path: Path) -> None:
    client = client_for(cast.member)
    with w.worker_process(tmp_path, "burst") as worker:
        started = time.monotonic()
        for i in range(200):
            flag(client, f"Slow payments {i}")
        raised = time.monotonic() - started
        report = wait_for_generation(cast, generation(cast), timeout=60, worker=worker)
        settled = time.monotonic() - started
    recomputes = BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.READY)
    w.record_figure(
        f"200 flags raised in {raised:.2f}s; {recomputes.count()} recomputes; "
        f"final report {settled - raised:.2f}s after the last flag"
    )
    assert report.result["counts"]["counting_flags"] == 200
    assert 1 <= recomputes.count() <= 10
    # One report per generation, and the generations only go up.
    generations = list(recomputes.order_by("computed_at").values_list("generation", flat=True))
    assert generations == sorted(set(generations))


# With one flag, the killed recompute is all there is: only the sweeper can notice. With
# five, later ones also left a pending report whose task the killed worker had reserved.
@pytest.mark.parametrize("flags_before_kill", [1, 5])
def test_a_worker_killed_mid_recompute_leaves_no_report_stale_for_long(
    cast: Cast, tmp_path: Path, flags_before_kill: int
) -> None:
    client = client_for(cast.member)
    slow = {"BALANCE_COMPUTE_TEST_DELAY": 30}
    with w.worker_process(tmp_path, "doomed", env=slow) as doomed:
        for i in range(flags_before_kill):
            flag(client, f"Queue for refunds {i}")
        deadline = time.monotonic() + 30
        running = BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.RUNNING)
        while not running.exists():
            assert time.monotonic() < deadline, doomed.output()
            time.sleep(0.1)
        doomed.kill()
    assert (
        not BalanceReport.objects.for_org(cast.world.org).filter(status=ReportStatus.READY).exists()
    )
    target = generation(cast)

    # A new worker with beat: the sweeper (every second here) finds the stale report.
    fast_sweep = {"BALANCE_SWEEP_SECONDS": 1}
    with w.worker_process(tmp_path, "rescuer", beat=True, env=fast_sweep) as rescuer:
        started = time.monotonic()
        report = wait_for_generation(cast, target, timeout=60, worker=rescuer)
        took = time.monotonic() - started
    w.record_figure(
        f"killed with {flags_before_kill} flag(s): recovered {took:.2f}s after a new worker started"
    )
    assert report.result["counts"]["counting_flags"] == flags_before_kill
    assert report.generation == generation(cast)

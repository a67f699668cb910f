"""The balance report computed by a real Celery worker through a real broker.

Runs when CELERY_BROKER_URL is set (the second pass of .ci/run sets Redis); without a
broker tasks run eagerly in-process and the other tests cover them.
"""

from __future__ import annotations

import os
import time

import pytest
from django.urls import reverse

from assessments.models import BalanceReport, ReportStatus
from config import celery_app
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"),
    reason="needs a broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (.ci/run does)",
)


@pytest.fixture
def worker():  # type: ignore[no-untyped-def]
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", perform_ping_check=False) as running:
        yield running


@pytest.mark.django_db(transaction=True)
def test_a_recompute_asked_for_in_the_browser_is_computed_by_the_worker(
    cast: Cast, worker: object
) -> None:
    assert celery_app.conf.task_always_eager is False
    response = client_for(cast.leader).post(
        reverse("assessments:recompute", args=[cast.world.org.slug])
    )
    assert response.status_code == 302
    deadline = time.monotonic() + 30
    report = BalanceReport.objects.for_org(cast.world.org).get()
    while report.status != ReportStatus.READY and time.monotonic() < deadline:
        time.sleep(0.2)
        report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    assert report.result["counts"]["live_enablers"] == 2

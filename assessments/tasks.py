"""Celery entry points: take ids, load, call one service, own retries and logging."""

from __future__ import annotations

import logging

from celery import shared_task

from .models import BalanceReport
from .services import report_compute

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def compute_balance_report(report_id: int) -> str:
    """Compute one pending balance report. Safe to run twice (a ready report is kept)."""
    report = (
        BalanceReport.objects.filter(pk=report_id)
        .unscoped()  # a task has no request: the report row names its own organisation
        .select_related("organisation")
        .first()
    )
    if report is None:
        log.warning("Balance report %s no longer exists", report_id)
        return "missing"
    try:
        report, timings = report_compute(report=report)
    except Exception:
        # report_compute stored the failure on the report and logged it; the page says so.
        return "failed"
    log.info("Balance report %s ready in %.3fs", report.pk, timings.total_s)
    return report.status

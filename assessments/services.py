"""Writes of the assessments app: balance reports and the thresholds they use."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalogue.models import Organisation
from catalogue.services import Actor, record_change

from .balance import Thresholds, compute, report_to_dict
from .loader import load_balance_input
from .models import BalanceReport, ReportStatus
from .orgfile import ImportSummary, import_organisation, parse_organisation_file

log = logging.getLogger(__name__)


def thresholds_for(organisation: Organisation) -> Thresholds:
    """The organisation's thresholds: the method's defaults with its overrides applied."""
    return Thresholds.with_overrides(organisation.balance_settings or {})


def thresholds_update(
    *, organisation: Organisation, overrides: dict[str, Any], actor: Actor
) -> Organisation:
    """Store the thresholds that differ from the defaults (validated by the method)."""
    Thresholds.with_overrides(overrides)  # raises ValueError naming a bad setting
    defaults = Thresholds().as_dict()
    kept = {name: value for name, value in overrides.items() if value != defaults[name]}
    with transaction.atomic():
        organisation.balance_settings = kept
        organisation.save(update_fields=["balance_settings"])
        record_change(organisation=organisation, actor=actor, summary="Balance thresholds changed")
        report_request(organisation=organisation, requested_by=actor, reason="Thresholds changed")
    return organisation


def organisation_file_import(
    content: bytes | str,
    *,
    filename: str = "",
    replace: bool = False,
    actor: Actor | None = None,
    into: Organisation | None = None,
) -> ImportSummary:
    """Read an organisation file and import it in one transaction; when anything changed,
    ask for a fresh balance report. Raises OrganisationFileError with every problem."""
    parsed = parse_organisation_file(content, filename=filename)
    with transaction.atomic():
        summary = import_organisation(parsed, replace=replace, actor=actor, into=into)
        if summary.changed:
            report_request(
                organisation=summary.organisation, requested_by=actor, reason="File imported"
            )
    return summary


def _new_report(
    organisation: Organisation, requested_by: Actor | None, reason: str
) -> BalanceReport:
    return BalanceReport.objects.create(
        organisation=organisation,
        requested_by=requested_by if requested_by and requested_by.is_authenticated else None,
        reason=reason[:200],
    )


def report_request(
    *, organisation: Organisation, requested_by: Actor | None = None, reason: str = ""
) -> BalanceReport:
    """Ask for a fresh report: a pending row now, computed by a Celery task after commit."""
    from .tasks import compute_balance_report

    report = _new_report(organisation, requested_by, reason)
    transaction.on_commit(lambda: compute_balance_report.delay(report.pk))
    return report


@dataclass(frozen=True)
class Timings:
    load_s: float
    compute_s: float
    store_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.compute_s + self.store_s


def report_compute(*, report: BalanceReport) -> tuple[BalanceReport, Timings]:
    """Compute a report from the organisation as it is now, and store the result.

    Running it twice gives the same result for the same data; a report already ready is
    left alone. A failure is stored on the report (status failed) and raised.
    """
    if report.status == ReportStatus.READY:
        return report, Timings(0.0, 0.0, 0.0)
    organisation = report.organisation
    report.status, report.started_at = ReportStatus.RUNNING, timezone.now()
    report.save(update_fields=["status", "started_at"])
    try:
        started = time.perf_counter()
        thresholds = thresholds_for(organisation)
        snapshot = load_balance_input(organisation)
        loaded = time.perf_counter()
        result = report_to_dict(compute(snapshot, thresholds))
        computed = time.perf_counter()
        report.status = ReportStatus.READY
        report.computed_at = timezone.now()
        report.method_version = result["method_version"]
        report.thresholds = thresholds.as_dict()
        report.result = result
        report.error = ""
        report.save(
            update_fields=[
                "status",
                "computed_at",
                "method_version",
                "thresholds",
                "result",
                "error",
            ]
        )
        stored = time.perf_counter()
    except Exception as error:
        log.exception("Balance report %s failed", report.pk)
        report.status, report.error = ReportStatus.FAILED, f"{type(error).__name__}: {error}"
        report.save(update_fields=["status", "error"])
        raise
    return report, Timings(loaded - started, computed - loaded, stored - computed)


def report_compute_now(
    *, organisation: Organisation, requested_by: Actor | None = None, reason: str = ""
) -> tuple[BalanceReport, Timings]:
    """Create a report and compute it in this process (commands and benchmarks)."""
    return report_compute(report=_new_report(organisation, requested_by, reason))

"""Reads of balance reports, always from the organisation in scope."""

from __future__ import annotations

from typing import Any

from catalogue.models import Organisation

from .models import BalanceReport, ReportStatus


def latest_ready_report(*, organisation: Organisation) -> BalanceReport | None:
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status=ReportStatus.READY)
        .order_by("-computed_at", "-id")
        .first()
    )


def report_in_progress(*, organisation: Organisation) -> BalanceReport | None:
    return (
        BalanceReport.objects.for_org(organisation)
        .filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING])
        .order_by("-requested_at", "-id")
        .first()
    )


def report_history(*, organisation: Organisation, limit: int = 12) -> list[BalanceReport]:
    return list(
        BalanceReport.objects.for_org(organisation)
        .defer("result")  # the list needs the headline only
        .order_by("-requested_at", "-id")[:limit]
    )


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def enabler_rows(result: dict[str, Any], *, order: str = "pressure") -> list[dict[str, Any]]:
    """The per-enabler table of a stored report as rows, most pressured first by default."""
    rows = [{"key": key, **values} for key, values in result.get("enablers", {}).items()]
    if order == "name":
        rows.sort(key=lambda r: (str(r.get("name", r["key"])).lower(), r["key"]))
    elif order == "reach":
        rows.sort(key=lambda r: (-r["reach"], r["key"]))
    else:
        rows.sort(key=lambda r: (-r["pressure"], -r["flagging_teams"], r["key"]))
    return rows

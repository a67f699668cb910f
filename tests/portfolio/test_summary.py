"""The portfolio page's summary of a report: the same pictures and findings as the whole
result, a few kilobytes whatever the size, and old reports without one still shown."""

from __future__ import annotations

import importlib
import io
import json
from collections import Counter
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from assessments.balance import compute, report_to_dict
from assessments.balance.bench import generate
from assessments.models import BalanceReport
from assessments.portfolio import charts
from assessments.portfolio.summary import FINDINGS_SHOWN, is_current, summarise
from assessments.services import flag_raise, report_compute_now
from assessments.views.portfolio import grouped_findings
from tests.conftest import Cast, client_for

SIZE = {
    "offerings": 80,
    "journeys": 30,
    "steps": 5,
    "enablers": 300,
    "usages": 2000,
    "assessments": 600,
    "flags": 300,
    "teams": 8,
    "areas": 4,
}


def _result(scale: int = 1, seed: int = 3) -> dict[str, Any]:
    sizes = {k: v * scale if k not in ("steps", "teams", "areas") else v for k, v in SIZE.items()}
    return report_to_dict(compute(generate(seed, **sizes)))


def _stored(summary: dict[str, Any]) -> dict[str, Any]:
    """As read back from the database: JSON, so tuples come back as lists."""
    return json.loads(json.dumps(summary))


def _journey_names(result: dict[str, Any]) -> dict[str, str]:
    return {key: j["name"] for key, j in result["mix_by_journey"].items()}


def test_the_summary_draws_the_same_charts_as_the_whole_result() -> None:
    result = _result()
    summary = _stored(summarise(result))
    # Enough of everything that the charts leave some out (and say how many).
    assert summary["matrix"]["more_rows"] > 0
    assert summary["matrix"]["more_columns"] > 0
    assert summary["pressure"]["total"] > len(summary["pressure"]["rows"])

    assert charts.draw_matrix(summary["matrix"]) == charts.matrix_chart(
        result["enablers"], _journey_names(result)
    )
    assert charts.draw_pressure(summary["pressure"]) == charts.pressure_chart(result["enablers"])


def test_findings_are_counted_over_every_finding_but_only_the_first_are_kept() -> None:
    result = _result()
    summary = _stored(summarise(result))
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for finding in result["findings"]:
        by_kind.setdefault(finding["kind"], []).append(finding)
    assert max(len(found) for found in by_kind.values()) > FINDINGS_SHOWN

    groups = grouped_findings(summary)

    assert [g["kind"] for g in groups] == list(by_kind)  # the report's ranking of kinds
    assert summary["findings_total"] == len(result["findings"])
    for group in groups:
        found = by_kind[group["kind"]]
        assert group["count"] == len(found)
        assert group["severities"] == dict(Counter(f["severity"] for f in found))
        assert [i["message"] for i in group["items"]] == [
            f["message"] for f in found[:FINDINGS_SHOWN]
        ]
        assert group["more"] == max(0, len(found) - FINDINGS_SHOWN)
        for item in group["items"]:
            # Every enabler named on the page is named, not shown by its key.
            assert all(name == result["enablers"][key]["name"] for key, name in item["enablers"])


def test_a_long_evidence_list_is_cut_short_but_still_says_how_many_more() -> None:
    journeys = {f"j{i:02d}": {"name": f"Journey {i}"} for i in range(20)}
    result = {
        "mix_by_journey": journeys,
        "enablers": {
            key: {"name": name, "declared": "independent", "pressure": 0, "journey_keys": []}
            for key, name in (("a", "Alpha"), ("b", "Beta"))
        },
        "findings": [
            {
                "kind": "selective_commonality",
                "severity": "medium",
                "message": "Alpha and Beta do the same job.",
                "enablers": ["a", "b"],
                "evidence": {"capability": "payments", "journeys": sorted(journeys)},
            }
        ],
    }
    summary = _stored(summarise(result))
    assert len(summary["findings"][0]["evidence"]["journeys"]) == 8
    assert len(summary["journey_names"]) == 8

    [group] = grouped_findings(summary)

    evidence = dict(group["items"][0]["evidence"])
    assert evidence["journeys"] == ", ".join(f"Journey {i}" for i in range(8)) + " and 12 more"
    assert group["items"][0]["enablers"] == [("a", "Alpha"), ("b", "Beta")]


def test_the_summary_stays_small_whatever_the_size() -> None:
    small, large = _result(1), _result(4)
    small_bytes = len(json.dumps(summarise(small)))
    large_bytes = len(json.dumps(summarise(large)))

    assert len(json.dumps(large)) > 3 * len(json.dumps(small))  # the result grows…
    assert large_bytes < 1.5 * small_bytes  # …the summary hardly does
    assert large_bytes < 40_000


# --- the page reads the summary ----------------------------------------------------------------


def _url(name: str, *args: Any) -> str:
    return reverse(f"assessments:{name}", args=["acme", *args])


def _report_selects(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if 'FROM "assessments_balancereport"' in q["sql"]
    ]


def _flagged_report(cast: Cast) -> BalanceReport:
    flag_raise(
        organisation=cast.world.org,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        offering=None,
        journey=None,
        severity="blocking",
        summary="Slow",
        details="",
        actor=cast.member.user,
    )
    report, _ = report_compute_now(organisation=cast.world.org, reason="test")
    return report


def test_the_portfolio_never_reads_the_whole_result(cast: Cast) -> None:
    report = _flagged_report(cast)
    assert is_current(report.summary)
    client = client_for(cast.viewer)

    for page in (_url("portfolio"), _url("portfolio_report", report.pk)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page)
        assert response.status_code == 200
        assert "Payments" in response.context["charts"]["pressure"].svg
        selects = _report_selects(queries)
        assert selects, page
        assert not any('"assessments_balancereport"."result"' in sql for sql in selects), page


def test_a_report_stored_without_a_summary_still_shows_and_the_view_writes_nothing(
    cast: Cast,
) -> None:
    report = _flagged_report(cast)
    BalanceReport.objects.for_org(cast.world.org).filter(pk=report.pk).update(summary={})
    client = client_for(cast.viewer)

    response = client.get(_url("portfolio"))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="open-flags">1<' in html
    assert "Payments" in response.context["charts"]["pressure"].svg
    assert 'data-testid="findings-unused"' in html  # search is used by no offering
    report.refresh_from_db()
    assert report.summary == {}  # a GET stores nothing; the migration gives older reports one


def test_the_migration_gives_older_ready_reports_their_summary(cast: Cast) -> None:
    from django.db.migrations.loader import MigrationLoader

    # The models as the migration sees them (plain managers, as in a real migrate).
    apps = (
        MigrationLoader(connection)
        .project_state(("assessments", "0009_fill_report_summaries"))
        .apps
    )
    fill = importlib.import_module("assessments.migrations.0009_fill_report_summaries").fill
    report = _flagged_report(cast)
    reports = BalanceReport.objects.for_org(cast.world.org)
    reports.filter(pk=report.pk).update(summary={})

    fill(apps, None)

    report.refresh_from_db()
    assert is_current(report.summary)
    assert report.summary == summarise(report.result)
    # Once given one, the page draws from it, as for any new report.
    with CaptureQueriesContext(connection) as queries:
        assert client_for(cast.viewer).get(_url("portfolio")).status_code == 200
    assert not any('"assessments_balancereport"."result"' in s for s in _report_selects(queries))


def test_the_pdf_of_a_report_without_a_summary_holds_its_charts(cast: Cast) -> None:
    report = _flagged_report(cast)
    BalanceReport.objects.for_org(cast.world.org).filter(pk=report.pk).update(summary={})

    response = client_for(cast.viewer).get(_url("portfolio_pdf", report.pk))

    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Under most pressure" in text
    assert "Payments" in text

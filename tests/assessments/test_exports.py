"""CSV exports of a stored balance report, through the web client."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from assessments.models import BalanceReport
from assessments.services import flag_raise, report_compute_now
from catalogue import models as m
from tests.conftest import Cast, client_for


def rows_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def csv_url(report: BalanceReport, table: str, slug: str = "acme") -> str:
    return reverse("assessments:report_csv", args=[slug, report.pk, table])


def test_viewer_downloads_the_enablers_table_of_a_report(cast: Cast) -> None:
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
    report, _ = report_compute_now(organisation=cast.world.org)

    response = client_for(cast.viewer).get(csv_url(report, "enablers"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'acme-report-{report.pk}-enablers.csv"' in response["Content-Disposition"]
    rows = {row["Key"]: row for row in rows_of(response)}
    assert set(rows) == {"payments", "search"}
    assert rows["payments"]["Enabler"] == "Payments"
    assert rows["payments"]["Bottleneck pressure"] == "5"
    assert rows["payments"]["Blocking flag"] == "yes"


def test_findings_export_lists_each_finding_with_its_evidence(cast: Cast) -> None:
    report, _ = report_compute_now(organisation=cast.world.org)

    rows = rows_of(client_for(cast.member).get(csv_url(report, "findings")))

    assert len(rows) == len(report.result["findings"]) > 0
    first = report.result["findings"][0]
    assert rows[0]["Number"] == "1"
    assert rows[0]["Kind"] == first["kind"]
    assert rows[0]["Finding"] == first["message"]
    for name in first["evidence"]:
        assert f"{name}=" in rows[0]["Evidence"]


def test_a_name_that_looks_like_a_formula_is_exported_as_text(cast: Cast) -> None:
    m.Enabler.objects.for_org(cast.world.org).filter(key="search").update(
        name='=HYPERLINK("http://evil")'
    )
    report, _ = report_compute_now(organisation=cast.world.org)

    rows = {r["Key"]: r for r in rows_of(client_for(cast.viewer).get(csv_url(report, "enablers")))}

    assert rows["search"]["Enabler"] == '\'=HYPERLINK("http://evil")'


def test_another_organisations_report_is_not_found(cast: Cast) -> None:
    theirs, _ = report_compute_now(organisation=cast.other.org)
    assert client_for(cast.viewer).get(csv_url(theirs, "enablers")).status_code == 404
    assert client_for(cast.outsider).get(csv_url(theirs, "enablers")).status_code == 404


def test_an_unknown_table_or_an_unfinished_report_is_not_found(cast: Cast) -> None:
    ready, _ = report_compute_now(organisation=cast.world.org)
    pending = BalanceReport.objects.create(organisation=cast.world.org)
    client = client_for(cast.viewer)
    assert client.get(csv_url(ready, "passwords")).status_code == 404
    assert client.get(csv_url(pending, "enablers")).status_code == 404


def test_the_balance_page_links_to_both_downloads(cast: Cast) -> None:
    report, _ = report_compute_now(organisation=cast.world.org)
    page = client_for(cast.viewer).get(reverse("assessments:balance", args=["acme"]))
    html = page.content.decode()
    assert csv_url(report, "enablers") in html and csv_url(report, "findings") in html

"""The portfolio pages through the web client: the latest and earlier reports in pictures,
the history and comparison of two reports, the what-if, and the PDF read back."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from assessments.models import BalanceReport, ReportStatus
from assessments.services import flag_raise, report_compute_now
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, client_for


def url(name: str, *args: Any, slug: str = "acme") -> str:
    return reverse(f"assessments:{name}", args=[slug, *args])


def flag(cast: Cast, enabler: m.Enabler, severity: str = "high", summary: str = "Slow") -> None:
    flag_raise(
        organisation=cast.world.org,
        team=cast.world.delivery,
        enabler=enabler,
        offering=None,
        journey=None,
        severity=severity,
        summary=summary,
        details="",
        actor=cast.member.user,
    )


def compute(cast: Cast) -> BalanceReport:
    report, _ = report_compute_now(organisation=cast.world.org, reason="test")
    return report


# --- the portfolio page ----------------------------------------------------------------------


def test_viewer_sees_the_latest_report_in_pictures(cast: Cast) -> None:
    flag(cast, cast.world.payments, "blocking")
    compute(cast)

    response = client_for(cast.viewer).get(url("portfolio"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("mix", "areas", "journeys", "matrix", "pressure", "trend"):
        assert f'data-testid="chart-{name}"' in html, name
    assert html.count("<svg") >= 6
    assert "Show the figures as a table" in html  # every chart has its text alternative
    assert 'data-testid="open-flags">1<' in html
    # The enabler under pressure is named in its chart; the journey in the picture.
    assert "Payments" in response.context["charts"]["pressure"].svg
    assert "Weekly shop" in response.context["charts"]["journeys"].svg


def test_the_journeys_are_drawn_in_the_inferred_shape_and_can_be_redrawn(cast: Cast) -> None:
    report = compute(cast)
    inferred = report.result["inferred_model"]
    client = client_for(cast.member)

    default = client.get(url("portfolio"))
    assert default.context["shape"] == (inferred if inferred != "unknown" else "track")

    for shape in ("group", "track", "stage"):
        response = client.get(url("portfolio") + f"?shape={shape}")
        assert response.context["shape"] == shape
        assert f"Drawn as <strong>{shape}</strong>" in response.content.decode()
    assert client.get(url("portfolio") + "?shape=<script>").context["shape"] in (
        "group",
        "track",
        "stage",
    )


def test_without_a_report_the_page_says_what_happens_next(cast: Cast) -> None:
    response = client_for(cast.viewer).get(url("portfolio"))

    assert response.status_code == 200
    assert "No balance report yet" in response.content.decode()


def test_findings_are_grouped_by_kind_with_their_evidence(cast: Cast) -> None:
    report = compute(cast)
    kinds = {finding["kind"] for finding in report.result["findings"]}
    assert "unused" in kinds  # search is used by no offering

    html = client_for(cast.viewer).get(url("portfolio")).content.decode()

    for kind in kinds:
        assert f'data-testid="findings-{kind}"' in html
    assert "Unused enablers" in html
    assert "Evidence:" in html


def _portfolio_queries(cast: Cast) -> int:
    client = client_for(cast.viewer)
    client.get(url("portfolio"))  # warm the session and any per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("portfolio")).status_code == 200
    return len(queries)


def test_the_portfolio_runs_the_same_queries_whatever_the_size(cast: Cast) -> None:
    compute(cast)
    small = _portfolio_queries(cast)
    # Session, user, membership, unread notifications, the report, its trend, the newest
    # report's id, and one to spare.
    assert small <= 8

    org = cast.world.org
    areas = [f.AreaFactory(organisation=org) for _ in range(3)]
    offerings = [f.OfferingFactory(organisation=org, business_area=areas[i % 3]) for i in range(12)]
    for j in range(8):
        journey = f.JourneyFactory(organisation=org)
        for position, offering in enumerate(offerings[j : j + 4], start=1):
            step = m.JourneyStep.objects.create(
                organisation=org, journey=journey, position=position, name="S", offering=offering
            )
            step.touchpoints.add(cast.world.checkout)
    for i in range(15):
        enabler = f.EnablerFactory(organisation=org)
        for offering in offerings[i % 5 : i % 5 + 3]:
            m.EnablerUsage.objects.create(organisation=org, enabler=enabler, offering=offering)
        flag(cast, enabler, "medium", f"Slow {i}")
    for _ in range(4):
        compute(cast)  # more history for the trend

    assert _portfolio_queries(cast) == small


# --- earlier reports and the history ---------------------------------------------------------


def test_an_earlier_report_opens_as_it_was_computed(cast: Cast) -> None:
    first = compute(cast)
    m.Enabler.objects.for_org(cast.world.org).filter(key="payments").update(name="Pay Hub")
    compute(cast)

    response = client_for(cast.viewer).get(url("portfolio_report", first.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This is an earlier report" in html
    assert "Pay Hub" not in html


def test_the_history_lists_every_ready_report_newest_first(cast: Cast) -> None:
    older, newer = compute(cast), compute(cast)
    BalanceReport.objects.create(organisation=cast.world.org, status=ReportStatus.FAILED)

    response = client_for(cast.viewer).get(url("report_list"))

    assert [r.pk for r in response.context["page"].object_list] == [newer.pk, older.pk]
    assert url("portfolio_report", older.pk) in response.content.decode()


def test_a_pending_or_another_organisations_report_is_not_found(cast: Cast) -> None:
    pending = BalanceReport.objects.create(organisation=cast.world.org)
    theirs, _ = report_compute_now(organisation=cast.other.org)
    client = client_for(cast.viewer)

    assert client.get(url("portfolio_report", pending.pk)).status_code == 404
    assert client.get(url("portfolio_report", theirs.pk)).status_code == 404
    assert client.get(url("portfolio_pdf", theirs.pk)).status_code == 404


def test_the_trend_keeps_the_last_report_of_each_day(cast: Cast) -> None:
    reports = [compute(cast) for _ in range(3)]
    latest = reports[-1].computed_at
    assert latest is not None
    # Two reports on the day before, one today.
    BalanceReport.objects.unscoped().filter(pk=reports[0].pk).update(
        computed_at=latest - timedelta(days=1, minutes=5), open_flags=7
    )
    BalanceReport.objects.unscoped().filter(pk=reports[1].pk).update(
        computed_at=latest - timedelta(days=1), open_flags=3
    )

    response = client_for(cast.viewer).get(url("portfolio"))

    trend = response.context["trend"]
    assert [p.report_id for p in trend] == [reports[1].pk, reports[2].pk]
    assert [p.open_flags for p in trend] == [3, 0]
    assert len(response.context["charts"]["trend"].rows) == 2


# --- comparing two reports -------------------------------------------------------------------


def test_comparing_two_reports_shows_what_changed(cast: Cast) -> None:
    before = compute(cast)
    # Search gets used (its "unused" finding goes away, it gets a suggestion) and payments
    # becomes independent (the mix moves).
    m.EnablerUsage.objects.create(
        organisation=cast.world.org, enabler=cast.world.search, offering=cast.world.shop
    )
    m.Enabler.objects.for_org(cast.world.org).filter(key="payments").update(
        classification="independent"
    )
    after = compute(cast)

    # Picked in either order, the earlier report is on the left.
    response = client_for(cast.viewer).get(url("report_compare") + f"?a={after.pk}&b={before.pk}")

    assert response.status_code == 200
    assert response.context["before"].pk == before.pk
    comparison = response.context["comparison"]
    assert "unused" in {f["kind"] for f in comparison.went_away}
    assert [(s.key, s.before, s.after) for s in comparison.suggestions] == [
        ("search", None, "independent")
    ]
    independent = next(x for x in comparison.mix if x.classification == "independent")
    assert (independent.count.before, independent.count.after) == (0, 1)
    html = response.content.decode()
    assert 'data-testid="findings-went-away"' in html
    assert "Unused" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?a=&b={mine}", "Pick the first report."),
        ("?a=abc&b=1", "is not a report number"),
        ("?a={mine}&b={mine}", "Pick two different reports."),
        ("?a={mine}&b={theirs}", "There is no ready report number"),
    ],
)
def test_a_comparison_that_cannot_be_made_says_why(cast: Cast, query: str, message: str) -> None:
    mine = compute(cast)
    theirs, _ = report_compute_now(organisation=cast.other.org)

    response = client_for(cast.viewer).get(
        url("report_compare") + query.format(mine=mine.pk, theirs=theirs.pk)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "comparison" not in response.context


def test_the_compare_page_without_a_pick_asks_for_two_reports(cast: Cast) -> None:
    compute(cast)

    response = client_for(cast.viewer).get(url("report_compare"))

    assert response.status_code == 200
    assert "Pick two reports to see what changed" in response.content.decode()


# --- what-if ---------------------------------------------------------------------------------


def test_a_viewer_runs_a_what_if_and_nothing_is_stored(cast: Cast) -> None:
    compute(cast)
    generation = m.Organisation.objects.get(pk=cast.world.org.pk).generation
    reports = BalanceReport.objects.unscoped().count()

    response = client_for(cast.viewer).get(
        url("what_if") + "?enabler_1=payments&to_1=independent&enabler_2=Search&to_2=repeatable"
    )

    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert outcome.current["mix"]["common"]["count"] == 2
    assert outcome.proposed["mix"]["common"]["count"] == 0
    assert outcome.proposed["mix"]["independent"]["count"] == 1
    assert outcome.proposed["mix"]["repeatable"]["count"] == 1
    assert [(c[0], c[2], c[3]) for c in outcome.changes] == [
        ("payments", "common", "independent"),
        ("search", "common", "repeatable"),
    ]
    assert 'data-testid="what-if-outcome"' in response.content.decode()
    # Nothing changed: no report, no new generation, the classifications as they were.
    assert BalanceReport.objects.unscoped().count() == reports
    assert m.Organisation.objects.get(pk=cast.world.org.pk).generation == generation
    assert set(
        m.Enabler.objects.for_org(cast.world.org).values_list("classification", flat=True)
    ) == {"common"}


def test_a_what_if_without_a_fresh_report_computes_the_current_one_too(cast: Cast) -> None:
    response = client_for(cast.member).get(url("what_if") + "?enabler_1=payments&to_1=repeatable")

    assert response.status_code == 200
    assert response.context["outcome"].current["mix"]["common"]["count"] == 2
    assert not BalanceReport.objects.for_org(cast.world.org).exists()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?enabler_1=nothing-like-it&to_1=common", "enabler_1", "No proposed or active enabler"),
        ("?enabler_1=payments&to_1=common", "to_1", "Payments is already common."),
        ("?enabler_1=payments&to_1=", "to_1", "Choose what Payments would become."),
        ("?to_2=common", "enabler_2", "Choose the enabler to change."),
        (
            "?enabler_1=payments&to_1=independent&enabler_2=payments&to_2=repeatable",
            "enabler_2",
            "Payments is already changed above.",
        ),
    ],
)
def test_a_what_if_row_that_cannot_be_tried_says_why_next_to_it(
    cast: Cast, query: str, field: str, message: str
) -> None:
    response = client_for(cast.viewer).get(url("what_if") + query)

    assert response.status_code == 400
    assert "outcome" not in response.context
    assert message in response.context["form"].errors[field][0]
    html = response.content.decode()
    assert f'id="id_{field}-error"' in html  # the message sits under its field
    assert f'aria-describedby="id_{field}-error"' in html


def test_a_retired_enabler_cannot_be_tried(cast: Cast) -> None:
    m.Enabler.objects.for_org(cast.world.org).filter(key="search").update(lifecycle="retired")

    response = client_for(cast.viewer).get(url("what_if") + "?enabler_1=search&to_1=independent")

    assert response.status_code == 400
    assert "No proposed or active enabler" in response.context["form"].errors["enabler_1"][0]


# --- the PDF ---------------------------------------------------------------------------------


def test_the_pdf_holds_the_report_and_its_charts(cast: Cast) -> None:
    flag(cast, cast.world.payments, "blocking")
    report = compute(cast)

    response = client_for(cast.viewer).get(url("portfolio_pdf", report.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'-portfolio-{report.computed_at:%Y-%m-%d}-{report.pk}.pdf"'
        in response["Content-Disposition"]
    )
    pdf = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(pdf.pages) <= 6
    text = " ".join(page.extract_text() for page in pdf.pages)
    text = " ".join(text.split())
    assert "Acme Ltd: portfolio report" in text
    for heading in ("Mix against the expected ranges", "Journeys", "Under most pressure"):
        assert heading in text
    # Words drawn inside the charts come through as text: the pictures are in the PDF.
    assert "Payments" in text  # the pressure chart
    assert "Weekly shop" in text  # the journey picture
    assert "Page 1 of" in text


def test_evidence_reads_in_plain_words(cast: Cast) -> None:
    report = compute(cast)
    mix = [f for f in report.result["findings"] if f["kind"] == "mix_out_of_range"]
    assert any(f["evidence"]["classification"] == "common" for f in mix)  # both are common

    html = client_for(cast.viewer).get(url("portfolio")).content.decode()

    assert "share 100%" in html  # not 1.0
    assert "low 40% · high 60%" in html


def test_without_a_delivery_model_the_page_says_there_is_no_range(cast: Cast) -> None:
    m.Organisation.objects.filter(pk=cast.world.org.pk).update(delivery_model="")
    cast.world.org.refresh_from_db()
    m.Journey.objects.for_org(cast.world.org).all().delete()
    report = compute(cast)
    assert report.result["model_in_force"] == "unknown"

    html = client_for(cast.viewer).get(url("portfolio")).content.decode()

    assert "No expected ranges yet" in html
    assert "The journeys do not show a delivery model yet" in html
    assert "expected for the <strong>unknown</strong>" not in html

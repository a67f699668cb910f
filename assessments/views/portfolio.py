"""The portfolio: the latest (or any stored) report in pictures, its history, a comparison
of two reports, a what-if, and the PDF of the same pictures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.text import slugify

from catalogue.access import get_object_for_user
from catalogue.permissions import can
from catalogue.views.base import org_crumbs, org_view, paginate, render_page

from .. import selectors
from ..forms import CHANGE_ROWS, WhatIfForm
from ..models import BalanceReport, ReportStatus
from ..pdf import PdfUnavailable, html_to_pdf
from ..portfolio import charts
from ..portfolio.compare import compare_reports
from ..portfolio.summary import FINDINGS_SHOWN, LISTED, is_current, summarise

SHAPES = ("group", "track", "stage")
SHAPE_WORDS = {
    "group": "clusters of journeys side by side, with the few links between them",
    "track": "journeys as parallel lines that cross at the touchpoints and offerings they share",
    "stage": "the stages a customer moves through, as a staircase of bars",
}

# What each kind of finding means, for the headings of the grouped findings.
FINDING_KINDS = {
    "shared_bottleneck": (
        "Shared bottlenecks",
        "Shared enablers that several teams flag: a shared system slowing everyone down.",
    ),
    "efficiency_before_coherence": (
        "Efficiency before coherence",
        "More repeatable enablers than journeys this different from each other can carry.",
    ),
    "classification_mismatch": (
        "Classification differs from reach",
        "The declared classification is not what the enabler's reach suggests.",
    ),
    "selective_commonality": (
        "Room for selective commonality",
        "Independent enablers doing the same job for journeys that are close to each other.",
    ),
    "orchestration_load": (
        "Needs tighter orchestration",
        "Widely used repeatable enablers that the teams using them find a poor fit or slow.",
    ),
    "preference_gap": (
        "Teams prefer another classification",
        "Most of the teams that assessed the enabler would classify it differently.",
    ),
    "model_mismatch": (
        "Declared model differs from the journeys",
        "The journeys look like another delivery model than the one declared.",
    ),
    "mix_out_of_range": (
        "Mix outside the expected range",
        "A classification's share of enablers is outside the range for the model in force.",
    ),
    "unused": ("Unused enablers", "Proposed or active enablers that no offering uses."),
    "low_assessment_coverage": (
        "Few assessments",
        "Teams have assessed too few of the enablers their offerings use.",
    ),
}


# Evidence that is a share of something (0 to 1) reads better as a percentage.
SHARES = {"share", "repeatable_share", "upper_bound", "low", "high", "coverage"}


def _evidence(
    name: str, value: Any, journey_names: dict[str, str], length: int | None = None
) -> Any:
    """One piece of a finding's evidence in plain words: shares as percentages, journeys by
    name, and a long list (say, the journeys of a selective commonality) cut short.
    ``length`` is how long a list was before the summary cut it short."""
    if name in SHARES and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{Decimal(str(value * 100)).quantize(Decimal('1'), ROUND_HALF_UP)}%"
    if name == "journeys" and isinstance(value, list):
        value = [journey_names.get(key, key) for key in value]
    if isinstance(value, list):
        length = max(length or 0, len(value))
        if length > LISTED:
            return ", ".join(str(v) for v in value[:LISTED]) + f" and {length - LISTED} more"
    return value


def _crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(
        request, ("Portfolio", reverse("assessments:portfolio", args=[org.slug])), *extra
    )


def default_shape(result: dict[str, Any]) -> str:
    """Draw the journeys in the shape of the inferred model; else the declared; else track."""
    for model in (result.get("inferred_model"), result.get("declared_model")):
        if model in SHAPES:
            return str(model)
    return "track"


def _decision_query(finding: dict[str, Any], names: dict[str, str]) -> str:
    """The new-decision form's query for a finding: its enablers, and the change or merge it
    points at (the report id is added by the template)."""
    keys = list(finding["enablers"])
    evidence = finding.get("evidence") or {}
    params: list[tuple[str, str]] = [("enabler", key) for key in keys]
    if finding["kind"] == "classification_mismatch" and keys and evidence.get("suggested"):
        suggested = str(evidence["suggested"])
        params = [("change", f"{keys[0]}:{suggested}")]
        title = f"Make {names.get(keys[0], keys[0])} {suggested}"
    elif finding["kind"] == "selective_commonality" and len(keys) >= 2:
        params = [("merge_into", keys[0]), *(("merge_from", key) for key in keys[1:])]
        title = f"One common enabler for {evidence.get('capability') or 'this capability'}"
    else:
        label = FINDING_KINDS.get(finding["kind"], (finding["kind"], ""))[0]
        title = f"{label}: " + ", ".join(names.get(k, k) for k in keys[:3]) if keys else label
    params += [("title", title[:200]), ("context", finding["message"])]
    return urlencode(params)


def grouped_findings(
    summary: dict[str, Any], *, shown: int = FINDINGS_SHOWN
) -> list[dict[str, Any]]:
    """Findings grouped by kind, in the order the report ranks them, with enabler names,
    from a report's summary (see ``assessments.portfolio.summary``): how many of each kind
    and severity are counted over every finding, not only those the summary keeps."""
    names = summary.get("enabler_names") or {}
    journey_names = summary.get("journey_names") or {}
    kinds = summary.get("finding_kinds") or {}
    groups: dict[str, dict[str, Any]] = {}
    for finding in summary.get("findings") or ():
        kind = finding["kind"]
        if kind not in groups:
            label, about = FINDING_KINDS.get(kind, (kind.replace("_", " ").capitalize(), ""))
            groups[kind] = {
                "kind": kind,
                "label": label,
                "about": about,
                "items": [],
                "count": 0,
                "severities": {},
            }
        group = groups[kind]
        group["count"] += 1
        severity = finding["severity"]
        group["severities"][severity] = group["severities"].get(severity, 0) + 1
        if len(group["items"]) < shown:
            keys = finding["enablers"]
            decide = _decision_query(finding, names)
            lengths = finding.get("evidence_lengths") or {}
            group["items"].append(
                {
                    "severity": severity,
                    "message": finding["message"],
                    "enablers": [(key, names.get(key, key)) for key in keys[:LISTED]],
                    "more_enablers": max(0, len(keys) - LISTED),
                    "decide": decide,
                    "evidence": [
                        (name, _evidence(name, value, journey_names, lengths.get(name)))
                        for name, value in (finding.get("evidence") or {}).items()
                    ],
                }
            )
    for kind, group in groups.items():
        if kind in kinds:
            group["count"] = kinds[kind]["count"]
            group["severities"] = dict(kinds[kind]["severities"])
        group["more"] = group["count"] - len(group["items"])
    return list(groups.values())


def report_summary(report: BalanceReport) -> dict[str, Any]:
    """The report's stored summary. Reports stored before summaries were are given theirs
    by migration 0009; one of another version is drawn from the result, and nothing is
    written on a page view."""
    if is_current(report.summary):
        return report.summary
    return summarise(report.result)


def portfolio_context(
    organisation: Any, report: BalanceReport, *, shape: str | None = None
) -> dict[str, Any]:
    """Everything the portfolio page and its PDF show for one ready report: drawn from its
    summary (a few kilobytes), never from its whole result."""
    result = report_summary(report)
    ranges = result.get("expected_ranges")
    shape = shape if shape in SHAPES else default_shape(result)
    trend = selectors.report_trend(organisation=organisation, upto=report)
    figures = {
        "mix": charts.mix_chart(result.get("mix") or {}, ranges, id_prefix="mix"),
        "areas": charts.area_mix_chart(result.get("mix_by_area") or {}, ranges, id_prefix="areas"),
        "journeys": charts.journey_chart(report.shapes, shape, id_prefix="journeys")
        if report.shapes
        else None,
        "matrix": charts.draw_matrix(result.get("matrix") or {}, id_prefix="matrix"),
        "pressure": charts.draw_pressure(result.get("pressure") or {}, id_prefix="pressure"),
        "trend": charts.trend_chart(
            [
                charts.TrendPoint(
                    label=point.day.strftime("%-d %b"),
                    score=point.score,
                    open_flags=point.open_flags,
                )
                for point in trend
            ],
            id_prefix="trend",
        ),
    }
    return {
        "report": report,
        "result": result,
        "charts": figures,
        "shape": shape,
        "shapes": SHAPES,
        "shape_words": SHAPE_WORDS[shape],
        "findings": grouped_findings(result),
        "findings_total": result.get("findings_total") or 0,
        "trend": trend,
    }


def _ready_report(request: HttpRequest, report_id: int, *, headline: bool = False) -> BalanceReport:
    """One of the organisation's ready reports; 404 for anything else (another
    organisation's, a missing one, or one still pending or failed). With ``headline``,
    only its small columns are read; without, all but its whole result."""
    reports = BalanceReport.objects.filter(status=ReportStatus.READY)
    # The pages draw from the summary: a report's whole result is never read here.
    reports = reports.only(*selectors.HEADLINE) if headline else reports.defer("result")
    return get_object_for_user(request.membership, reports, pk=report_id)  # type: ignore[attr-defined]


def _local(moment: Any) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y, H:i")


def _render_portfolio(
    request: HttpRequest, report: BalanceReport | None, latest: bool
) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "latest": latest,
        "can_propose": can(request.membership, "decision.propose"),  # type: ignore[attr-defined]
    }
    if report is not None:
        context |= portfolio_context(organisation, report, shape=request.GET.get("shape"))
        newest = selectors.latest_ready_report_id(organisation=organisation)
        context["is_newest"] = newest == report.pk
    label = "Portfolio" if latest else f"Report of {_local(report.when)}"  # type: ignore[union-attr]
    context["crumbs"] = (
        _crumbs(request)[:-1] + [("Portfolio", "")]
        if latest
        else _crumbs(
            request,
            ("Reports", reverse("assessments:report_list", args=[organisation.slug])),
            (label, ""),
        )
    )
    return render_page(request, "assessments/portfolio/page.html", context)


@org_view()
def portfolio(request: HttpRequest) -> HttpResponse:
    """The portfolio of the latest ready report."""
    organisation = request.organisation  # type: ignore[attr-defined]
    report = selectors.latest_ready_report(organisation=organisation, summary_only=True)
    return _render_portfolio(request, report, latest=True)


@org_view()
def portfolio_report(request: HttpRequest, report_id: int) -> HttpResponse:
    """The portfolio of one stored report, as it was computed."""
    return _render_portfolio(request, _ready_report(request, report_id), latest=False)


@org_view()
def portfolio_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    """The portfolio of one stored report as a PDF, with the same pictures as the page."""
    organisation = request.organisation  # type: ignore[attr-defined]
    report = _ready_report(request, report_id)
    context = portfolio_context(organisation, report, shape=request.GET.get("shape"))
    context["organisation"] = organisation
    html = render_to_string("assessments/portfolio/pdf.html", context, request=request)
    try:
        pdf = html_to_pdf(html)
    except PdfUnavailable as error:
        messages.error(request, f"The PDF could not be made on this server. {error}")
        return redirect("assessments:portfolio_report", organisation.slug, report.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    day = timezone.localtime(report.when).date().isoformat()
    name = f"{slugify(organisation.name) or organisation.slug}-portfolio-{day}-{report.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view()
def report_list(request: HttpRequest) -> HttpResponse:
    """Every stored report, newest first, with two picked to compare."""
    organisation = request.organisation  # type: ignore[attr-defined]
    page = paginate(request, selectors.ready_reports(organisation=organisation))
    context = {
        "page": page,
        "crumbs": _crumbs(request, ("Reports", "")),
        "state": selectors.report_state(organisation=organisation),
    }
    return render_page(request, "assessments/portfolio/reports.html", context)


def _side_by_side(
    before: dict[str, Any], after: dict[str, Any], titles: tuple[str, str]
) -> dict[str, Any]:
    """The comparison of two results and their two mix charts, for the shared template."""
    return {
        "comparison": compare_reports(before, after),
        "mix_before": charts.mix_chart(
            before.get("mix") or {},
            before.get("expected_ranges"),
            title=titles[0],
            id_prefix="mix-before",
        ),
        "mix_after": charts.mix_chart(
            after.get("mix") or {},
            after.get("expected_ranges"),
            title=titles[1],
            id_prefix="mix-after",
        ),
    }


def _picked(request: HttpRequest, name: str) -> tuple[BalanceReport | None, str]:
    raw = request.GET.get(name, "").strip()
    label = "first" if name == "a" else "second"
    if not raw:
        return None, f"Pick the {label} report."
    if not raw.isdigit():
        return None, f"The {label} report “{raw}” is not a report number."
    try:
        return _ready_report(request, int(raw), headline=True), ""
    except Http404:
        return None, f"There is no ready report number {raw} in this organisation."


@org_view()
def report_compare(request: HttpRequest) -> HttpResponse:
    """What changed between two stored reports (earlier on the left, later on the right)."""
    organisation = request.organisation  # type: ignore[attr-defined]
    asked = bool(request.GET.get("a", "").strip() or request.GET.get("b", "").strip())
    first, first_error = _picked(request, "a")
    second, second_error = _picked(request, "b")
    errors = [e for e in (first_error, second_error) if e] if asked else []
    if first and second and first.pk == second.pk:
        errors.append("Pick two different reports.")
    context: dict[str, Any] = {
        "crumbs": _crumbs(
            request,
            ("Reports", reverse("assessments:report_list", args=[organisation.slug])),
            ("Compare", ""),
        ),
        "errors": errors,
        "recent": selectors.ready_reports(organisation=organisation)[:50],
        "a": request.GET.get("a", ""),
        "b": request.GET.get("b", ""),
    }
    if not errors and first and second:
        before, after = sorted((first, second), key=lambda r: (r.when, r.pk))
        # Picked on their headline columns; each whole result is read once, here.
        results = dict(
            BalanceReport.objects.for_org(organisation)
            .filter(pk__in=[before.pk, after.pk])
            .values_list("pk", "result")
        )
        before.result, after.result = results[before.pk], results[after.pk]
        context |= {
            "before": before,
            "after": after,
            **_side_by_side(before.result, after.result, ("Mix before", "Mix after")),
        }
    return render(
        request, "assessments/portfolio/compare.html", context, status=400 if errors else 200
    )


@org_view()
def what_if(request: HttpRequest) -> HttpResponse:
    """Try other classifications for a few enablers and see the report they would give,
    beside the current one. Nothing is stored; any member may ask."""
    organisation = request.organisation  # type: ignore[attr-defined]
    enablers = selectors.live_enabler_choices(organisation=organisation)
    asked = any(
        request.GET.get(f"enabler_{n}") or request.GET.get(f"to_{n}")
        for n in range(1, CHANGE_ROWS + 1)
    )
    form = WhatIfForm(request.GET if asked else None, enablers=enablers)
    context: dict[str, Any] = {
        "form": form,
        "enablers": enablers,
        "can_propose": can(request.membership, "decision.propose"),  # type: ignore[attr-defined]
        "crumbs": _crumbs(request, ("What if", "")),
    }
    status = 200
    if asked and form.is_valid():
        outcome = selectors.report_what_if(organisation=organisation, changes=form.changes)
        context |= {
            "outcome": outcome,
            "decide": urlencode(
                [("change", f"{key}:{to}") for key, _name, _old, to in outcome.changes]
                + [("title", "Reclassify " + ", ".join(n for _k, n, _o, _t in outcome.changes))]
            ),
            **_side_by_side(
                outcome.current, outcome.proposed, ("Mix now", "Mix with these changes")
            ),
        }
    elif asked:
        status = 400
    return render(request, "assessments/portfolio/what_if.html", context, status=status)

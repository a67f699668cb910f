"""Balance report pages, the thresholds, and the organisation file (upload and download)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify

from catalogue.access import get_object_for_user
from catalogue.permissions import can
from catalogue.views.base import form_data, org_crumbs, org_view, render_page

from .. import exports, orgfile, selectors, services
from ..balance import Thresholds
from ..forms import THRESHOLD_HELP, ImportForm, ThresholdsForm
from ..models import BalanceReport, ReportStatus


def _crumbs(request: HttpRequest, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    org = request.organisation  # type: ignore[attr-defined]
    return org_crumbs(request, ("Balance", reverse("assessments:balance", args=[org.slug])), *extra)


def _report_context(request: HttpRequest, report: BalanceReport | None) -> dict[str, Any]:
    organisation = request.organisation  # type: ignore[attr-defined]
    result = report.result if report else {}
    order = request.GET.get("order", "pressure")
    rows = selectors.enabler_rows(result, order=order) if report else []
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return {
        "report": report,
        "result": result,
        "enabler_page": page,
        "order": order,
        "state": selectors.report_state(organisation=organisation),
        "history": selectors.report_history(organisation=organisation),
        "can_recompute": can(request.membership, "report.recompute"),  # type: ignore[attr-defined]
        "mix_rows": _mix_rows(result),
        "clusters": _clusters(result),
        "measures": result.get("measures", {}),
    }


def _clusters(result: dict[str, Any], shown: int = 8) -> dict[str, Any]:
    """The clusters of journeys behind the inference, largest first, with journey names."""
    names = {
        key: values.get("name", key) for key, values in (result.get("mix_by_journey") or {}).items()
    }
    clusters = sorted(
        result.get("clusters_detail") or [], key=lambda c: (-len(c["journeys"]), c["label"])
    )
    rows = [
        {"label": c["label"], "journeys": [names.get(k, k) for k in c["journeys"]]}
        for c in clusters[:shown]
    ]
    return {"rows": rows, "more": max(0, len(clusters) - shown)}


def _mix_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Mix per classification with its expected range and where the share sits."""
    ranges = result.get("expected_ranges") or {}
    rows = []
    for name in ("repeatable", "common", "independent"):
        mix = (result.get("mix") or {}).get(name) or {}
        bounds = ranges.get(name)
        share = mix.get("share")
        state = ""
        if bounds and share is not None:
            low, high = bounds["low"], bounds["high"]
            state = "below" if share < low else "above" if share > high else "within"
        rows.append(
            {
                "name": name,
                "count": mix.get("count", 0),
                "share": share,
                "range": bounds,
                "state": state,
            }
        )
    return rows


@org_view()
def balance(request: HttpRequest) -> HttpResponse:
    """The latest balance report of the organisation."""
    organisation = request.organisation  # type: ignore[attr-defined]
    report = selectors.latest_ready_report(organisation=organisation)
    context = _report_context(request, report)
    context["crumbs"] = _crumbs(request)[:-1] + [("Balance", "")]
    context["poll"] = True
    return render_page(request, "assessments/balance.html", context, partial="enablers")


@org_view()
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """One stored report, as it was computed."""
    report = get_object_for_user(request.membership, BalanceReport.objects.all(), pk=report_id)  # type: ignore[attr-defined]
    context = _report_context(request, report if report.status == ReportStatus.READY else None)
    context["stored"] = report
    if context["state"].covered != report.generation:
        context["state"] = None  # an earlier report: "up to date" would not be true of it
    context["crumbs"] = _crumbs(request, (f"Report {report.pk}", ""))
    return render_page(request, "assessments/balance.html", context, partial="enablers")


@org_view()
def report_status(request: HttpRequest) -> HttpResponse:
    """Polled by the balance page (htmx): says whether a recompute is under way, and tells
    the page to reload when a newer report than the one it shows (``shown``) is ready."""
    organisation = request.organisation  # type: ignore[attr-defined]
    state = selectors.report_state(organisation=organisation)
    response = render(request, "assessments/_status.html", {"state": state, "poll": True})
    covered = "" if state.covered is None else str(state.covered)
    if "shown" in request.GET and request.GET["shown"] != covered:
        response["HX-Refresh"] = "true"  # a newer report than the one on the page is ready
    return response


@org_view(need="report.recompute")
def recompute(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    if request.method == "POST":
        services.report_ask(organisation=organisation, actor=request.user)
        messages.success(request, "A fresh balance report has been asked for.")
    return redirect("assessments:balance", organisation.slug)


@org_view()
def method(request: HttpRequest) -> HttpResponse:
    """How the balance is judged, in plain words, with this organisation's thresholds."""
    organisation = request.organisation  # type: ignore[attr-defined]
    thresholds = services.thresholds_for(organisation)
    defaults = Thresholds().as_dict()
    rows = [
        {
            "name": name,
            "value": value,
            "default": defaults[name],
            "changed": value != defaults[name],
            "help": THRESHOLD_HELP.get(name, ""),
        }
        for name, value in thresholds.as_dict().items()
    ]
    return render(
        request,
        "assessments/method.html",
        {
            "t": thresholds,
            "rows": rows,
            "can_change": can(request.membership, "org.settings"),  # type: ignore[attr-defined]
            "crumbs": _crumbs(request, ("How the balance is judged", "")),
        },
    )


@org_view(need="org.settings")
def thresholds(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    form = ThresholdsForm(form_data(request), current=services.thresholds_for(organisation))
    if request.method == "POST" and form.is_valid():
        try:
            services.thresholds_update(
                organisation=organisation, overrides=form.overrides(), actor=request.user
            )
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thresholds saved; the balance report is being recomputed.")
            return redirect("assessments:method", organisation.slug)
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": "Balance thresholds",
            "intro": "Change a threshold only when your organisation has a reason to; "
            "every report records the thresholds it used.",
            "crumbs": _crumbs(request, ("Thresholds", "")),
            "cancel_url": reverse("assessments:method", args=[organisation.slug]),
            "submit": "Save thresholds",
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="org.import")
def import_file(request: HttpRequest) -> HttpResponse:
    """Admins upload an organisation file into this organisation."""
    organisation = request.organisation  # type: ignore[attr-defined]
    form = ImportForm(form_data(request), request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = services.organisation_file_import(
                upload.read(),
                filename=upload.name,
                replace=form.cleaned_data["replace"],
                actor=request.user,
                into=organisation,
            )
        except orgfile.OrganisationFileError as error:
            problems = error.problems
        else:
            messages.success(request, f"Organisation file imported: {summary.describe()}.")
            return redirect("catalogue:home", organisation.slug)
    return render(
        request,
        "assessments/import.html",
        {
            "form": form,
            "problems": problems,
            "crumbs": org_crumbs(request, ("Import an organisation file", "")),
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="org.export")
def export_file(request: HttpRequest) -> HttpResponse:
    """Download the organisation file (YAML by default, JSON with ?format=json)."""
    organisation = request.organisation  # type: ignore[attr-defined]
    fmt = "json" if request.GET.get("format") == "json" else "yaml"
    text = orgfile.export_organisation(organisation, fmt=fmt)
    content_type = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    name = slugify(organisation.slug) or "organisation"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


CSV_EXPORTS = {"enablers": exports.enablers_csv, "findings": exports.findings_csv}


@org_view(need="org.export")
def report_csv(request: HttpRequest, report_id: int, table: str) -> HttpResponse:
    """A stored report's enablers table or findings as CSV (UTF-8 with a byte order mark,
    so spreadsheet programs read the accents right)."""
    if table not in CSV_EXPORTS:
        raise Http404("No such table")
    report = get_object_for_user(
        request.membership,  # type: ignore[attr-defined]
        BalanceReport.objects.filter(status=ReportStatus.READY),
        pk=report_id,
    )
    text = CSV_EXPORTS[table](report.result)
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    slug = request.organisation.slug  # type: ignore[attr-defined]
    name = f"{slugify(slug)}-report-{report.pk}-{table}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

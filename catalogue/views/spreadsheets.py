"""Enablers and usages as spreadsheets: exports with the enabler list's filters, and one
import page that previews what a file would change before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

from .. import selectors, spreadsheet_import, spreadsheets
from ..forms_spreadsheets import SpreadsheetConfirmForm, SpreadsheetUploadForm
from ..models import Enabler, Organisation
from ..spreadsheet_import import ImportRefused, Preview, PreviewChanged
from ..spreadsheets import RawTable, Sheet, SpreadsheetError
from .base import form_data, org_view, render_page
from .items import KINDS, kind_crumbs

FORMATS = ("csv", "xlsx")


def _filtered_enablers(request: HttpRequest) -> QuerySet[Enabler]:
    """The enablers the list page shows for the same query string (paging aside)."""
    organisation = request.organisation  # type: ignore[attr-defined]
    filterset = selectors.EnablerFilter(
        request.GET or None,
        queryset=selectors.enablers_for_list(organisation=organisation),
        organisation=organisation,
    )
    return filterset.qs


def _download(
    organisation: Organisation,
    what: str,
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> HttpResponse:
    if fmt == "xlsx":
        content = spreadsheets.xlsx_bytes(what.capitalize(), header, rows)
        content_type = spreadsheets.XLSX_TYPE
    else:
        content = spreadsheets.csv_bytes(header, rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=content_type)
    # The slug is a key (lowercase letters, digits, hyphens): safe in a header.
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-{what}.{fmt}"'
    return response


def _bad_format(fmt: str) -> HttpResponse:
    return HttpResponseBadRequest(
        f"Unknown format “{fmt[:20]}”: ask for format=csv or format=xlsx.",
        content_type="text/plain; charset=utf-8",
    )


@org_view(need="org.export")
def enabler_export(request: HttpRequest) -> HttpResponse:
    """The enablers matching the list page's filters, as CSV or XLSX (?format=)."""
    fmt = request.GET.get("format", "csv").lower()
    if fmt not in FORMATS:
        return _bad_format(fmt)
    rows = spreadsheet_import.enabler_export_rows(_filtered_enablers(request))
    header = spreadsheet_import.ENABLER_HEADER
    return _download(request.organisation, "enablers", fmt, header, rows)  # type: ignore[attr-defined]


@org_view(need="org.export")
def usage_export(request: HttpRequest) -> HttpResponse:
    """The usages of the enablers matching the list page's filters, as CSV or XLSX."""
    organisation = request.organisation  # type: ignore[attr-defined]
    fmt = request.GET.get("format", "csv").lower()
    if fmt not in FORMATS:
        return _bad_format(fmt)
    usages = spreadsheet_import.usages_for_export(
        organisation=organisation, enablers=_filtered_enablers(request)
    )
    rows = spreadsheet_import.usage_export_rows(usages)
    return _download(organisation, "usages", fmt, spreadsheet_import.USAGE_HEADER, rows)


def _page(
    request: HttpRequest,
    *,
    form: SpreadsheetUploadForm,
    preview: Preview | None = None,
    sheet: Sheet | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    """The import page: the upload form, and the preview of a file when there is one."""
    organisation = request.organisation  # type: ignore[attr-defined]
    token = ""
    if preview is not None and sheet is not None and not preview.errors and preview.change_count:
        token = spreadsheets.seal(
            organisation_id=organisation.pk,
            table=RawTable(sheet.headers, sheet.rows),
            fingerprint=preview.fingerprint,
        )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(token) > limit - 10_000:
            # The confirmation would be refused as too large a request: say so now.
            token, status = "", 400
            problem = (
                "This file holds too much text to import in one go. "
                "Split it into smaller files and import them one after the other."
            )
    return render_page(
        request,
        "catalogue/spreadsheet_import.html",
        {
            "form": form,
            "preview": preview,
            "token": token,
            "problem": problem,
            "enabler_columns": spreadsheet_import.ENABLER_HEADER,
            "usage_columns": spreadsheet_import.USAGE_HEADER,
            "max_rows": spreadsheets.MAX_ROWS,
            "crumbs": kind_crumbs(request, KINDS["enabler"]) + [("Import a spreadsheet", "")],
        },
        status=status,
    )


@org_view(need="catalogue.import")
def enabler_import(request: HttpRequest) -> HttpResponse:
    """Upload a file of enablers or of usages and see what it would change; a second POST
    (with the signed preview) writes it."""
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = SpreadsheetUploadForm(form_data(request), request.FILES or None)
    if request.method == "POST" and form.is_valid() and form.sheet is not None:
        preview = spreadsheet_import.import_preview(
            organisation=request.organisation,  # type: ignore[attr-defined]
            sheet=form.sheet,
        )
        return _page(
            request,
            form=SpreadsheetUploadForm(),
            preview=preview,
            sheet=form.sheet,
            status=400 if preview.errors else 200,
        )
    return _page(request, form=form, status=400 if form.is_bound else 200)


def _confirm(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    confirm = SpreadsheetConfirmForm(request.POST)
    try:
        if not confirm.is_valid():
            raise SpreadsheetError("The preview is missing. Upload the file again.")
        table, fingerprint = spreadsheets.unseal(
            confirm.cleaned_data["token"], organisation_id=organisation.pk
        )
        sheet = spreadsheets.recognise(table)
    except SpreadsheetError as error:
        return _page(request, form=SpreadsheetUploadForm(), problem=str(error), status=400)
    try:
        preview = spreadsheet_import.import_apply(
            organisation=organisation, sheet=sheet, fingerprint=fingerprint, actor=request.user
        )
    except ImportRefused as refused:
        return _page(
            request, form=SpreadsheetUploadForm(), preview=refused.preview, sheet=sheet, status=400
        )
    except PreviewChanged as changed:
        return _page(
            request,
            form=SpreadsheetUploadForm(),
            preview=changed.preview,
            sheet=sheet,
            problem="The catalogue changed since the preview, so the file would now do "
            "something else. Nothing was written: check the new preview, then import again.",
            status=409,
        )
    if preview.change_count:
        messages.success(request, f"Spreadsheet imported: {preview.describe()}.")
    else:
        messages.info(request, "Nothing to import: every row already matches the catalogue.")
    return redirect("catalogue:enabler_list", organisation.slug)

"""The Backstage import page: upload descriptor files, see the preview, change what each
kind becomes, then import exactly what the preview showed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ..backstage import BackstageError
from ..backstage_import import Preview, PreviewChanged, backstage_import, backstage_preview
from ..forms_backstage import BackstagePlanForm, BackstageUploadForm, sign_files
from .base import org_crumbs, org_view, render_page

TEMPLATE = "catalogue/backstage_import.html"


@org_view(need="catalogue.import")
def backstage_import_page(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST ``step``: ``upload`` (files) or ``preview`` (other
    choices) shows the preview; ``import`` writes it."""
    if request.method != "POST":
        return _upload_page(request, BackstageUploadForm())
    organisation = request.organisation  # type: ignore[attr-defined]
    step = request.POST.get("step", "upload")
    if step == "upload":
        upload = BackstageUploadForm(request.POST, request.FILES)
        if not upload.is_valid():
            return _upload_page(request, upload, status=400)
        files, mapping, digest = distinct_names(upload.cleaned_data["descriptors"]), None, None
    else:
        plan_form = BackstagePlanForm(request.POST, organisation=organisation)
        if not plan_form.is_valid():
            problems = [str(e) for errors in plan_form.errors.values() for e in errors]
            return _upload_page(request, BackstageUploadForm(), problems=problems, status=400)
        files, mapping = plan_form.cleaned_data["payload"], plan_form.mapping()
        digest = plan_form.cleaned_data["digest"] if step == "import" else None
    try:
        if step == "import":
            preview = backstage_import(
                organisation=organisation,
                files=files,
                mapping=mapping,
                actor=request.user,
                expected_digest=digest or "",
            )
        else:
            preview = backstage_preview(organisation=organisation, files=files, mapping=mapping)
    except BackstageError as error:
        if step == "import":
            # The files were read for the preview, so the catalogue changed since (a name
            # now taken): show the preview with its problems.
            try:
                preview = backstage_preview(organisation=organisation, files=files, mapping=mapping)
            except BackstageError:
                pass
            else:
                return _preview_page(request, files, preview, status=400)
        return _upload_page(request, BackstageUploadForm(), problems=error.problems, status=400)
    except PreviewChanged as changed:
        messages.warning(
            request,
            "The catalogue or your choices changed since that preview, so nothing was "
            "imported. Check this preview, then import again.",
        )
        return _preview_page(request, files, changed.preview, status=409)
    if step == "import":
        messages.success(request, f"Backstage import done: {preview.describe()}.")
        return redirect("catalogue:home", organisation.slug)
    return _preview_page(request, files, preview, status=400 if preview.problems else 200)


def distinct_names(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The uploaded files with names that tell them apart. Browsers send only the last
    part of a path, and in Backstage every repository's file is ``catalog-info.yaml``:
    without this, a problem "in catalog-info.yaml, document 2" would not say which one."""
    counts = Counter(name for name, _ in files)
    seen: Counter[str] = Counter()
    named = []
    for name, text in files:
        if counts[name] > 1:
            seen[name] += 1
            name = f"{name} ({seen[name]} of {counts[name]} with this name)"
        named.append((name, text))
    return named


def _crumbs(request: HttpRequest) -> list[tuple[str, str]]:
    return org_crumbs(request, ("Import from Backstage", ""))


def _upload_page(
    request: HttpRequest,
    form: BackstageUploadForm,
    *,
    problems: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render_page(
        request,
        TEMPLATE,
        {"form": form, "problems": problems or [], "preview": None, "crumbs": _crumbs(request)},
        status=status,
    )


def _preview_page(
    request: HttpRequest, files: list[tuple[str, str]], preview: Preview, *, status: int
) -> HttpResponse:
    organisation = request.organisation  # type: ignore[attr-defined]
    initial: dict[str, Any] = {
        "payload": sign_files(organisation, files),
        "digest": preview.digest(),
        **{kind.lower(): target.value for kind, target in preview.mapping.items()},
    }
    plan_form = BackstagePlanForm(initial=initial, organisation=organisation)
    return render_page(
        request,
        TEMPLATE,
        {
            "form": BackstageUploadForm(),
            "problems": preview.problems,
            "preview": preview,
            "counts": preview.counts,
            "plan_form": plan_form,
            "kind_fields": plan_form.kind_fields(preview.plan.choosable_kinds),
            "file_names": [name for name, _ in files],
            "crumbs": _crumbs(request),
        },
        status=status,
    )

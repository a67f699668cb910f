"""The decision register as Markdown files (MADR 4): one decision, the whole register as a
zip, and the import of files kept elsewhere (MADR 2, 3, 4 and the classic layout)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from catalogue.access import get_object_for_user
from catalogue.views.base import org_crumbs, org_view

from .. import madr, services
from ..models import Decision

MAX_FILES = 500
MAX_BYTES = 2_000_000  # one file, or one zip as uploaded
MAX_TOTAL_BYTES = 20_000_000  # every Markdown file together, unpacked


def _markdown_in(upload: Any, data: bytes) -> list[tuple[str, str]]:
    """The Markdown files of one zip, each read no further than the limits allow: a small zip
    can unpack to gigabytes, and the sizes its directory declares may be false."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [
            info
            for info in archive.infolist()
            if info.filename.lower().endswith((".md", ".markdown"))
        ]
        if len(entries) > MAX_FILES:
            raise forms.ValidationError(
                f"{upload.name} holds {len(entries)} Markdown files; at most {MAX_FILES} at a time."
            )
        found, total = [], 0
        for info in entries:
            with archive.open(info) as member:
                content = member.read(MAX_BYTES + 1)
            if len(content) > MAX_BYTES:
                raise forms.ValidationError(f"{info.filename} is larger than 2 MB.")
            total += len(content)
            if total > MAX_TOTAL_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} unpacks to more than 20 MB of Markdown; split it in parts."
                )
            found.append((info.filename.rsplit("/", 1)[-1], content.decode()))
    return found


@org_view()
def decision_markdown(request: HttpRequest, key: str) -> HttpResponse:
    """One decision as a MADR 4 Markdown file."""
    decision = get_object_for_user(request.membership, Decision.objects.all(), key=key)  # type: ignore[attr-defined]
    record = services.decision_record(decision)
    response = HttpResponse(madr.to_markdown(record), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{madr.filename_for(record)}"'
    return response


@org_view()
def register_markdown(request: HttpRequest) -> HttpResponse:
    """Every decision of the organisation as Markdown files in one zip."""
    organisation = request.organisation  # type: ignore[attr-defined]
    decisions = (
        Decision.objects.for_org(organisation)
        .select_related("supersedes", "merge_into", "proposed_by", "decided_by")
        .prefetch_related("enablers", "merge_from", "changes__enabler")
        .order_by("number")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in madr.register_to_markdown(
            [services.decision_record(d) for d in decisions]
        ):
            archive.writestr(f"decisions/{name}", text)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-decisions.zip"'
    return response


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented way: clean each of them)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class DecisionFilesForm(forms.Form):
    documents = MultipleFileField(
        label="Markdown files (.md) or a zip of them",
        widget=MultipleFileInput(attrs={"accept": ".md,.markdown,.zip"}),
    )

    def clean_documents(self) -> list[tuple[str, str]]:
        uploads = self.cleaned_data["documents"]
        found: list[tuple[str, str]] = []
        try:
            for upload in uploads:
                data = upload.read(MAX_BYTES + 1)
                if len(data) > MAX_BYTES:
                    raise forms.ValidationError(f"{upload.name} is larger than 2 MB.")
                if upload.name.lower().endswith(".zip"):
                    found += _markdown_in(upload, data)
                else:
                    found.append((upload.name, data.decode()))
        except UnicodeDecodeError as error:
            raise forms.ValidationError("A file is not UTF-8 text.") from error
        except (zipfile.BadZipFile, NotImplementedError, EOFError, RuntimeError) as error:
            # Damaged, an unsupported compression, or encrypted (RuntimeError): unreadable here.
            raise forms.ValidationError("The zip file cannot be read.") from error
        if not found:
            raise forms.ValidationError("No Markdown (.md) files found.")
        if sum(len(text) for _, text in found) > MAX_TOTAL_BYTES:
            raise forms.ValidationError("The files hold more than 20 MB of Markdown in all.")
        if len(found) > MAX_FILES:
            raise forms.ValidationError(f"At most {MAX_FILES} files at a time.")
        return found


@org_view(need="decision.decide")
def decision_import(request: HttpRequest) -> HttpResponse:
    """Bring in decisions kept as Markdown files; all or nothing."""
    organisation = request.organisation  # type: ignore[attr-defined]
    form = DecisionFilesForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.decisions_import(
                    organisation=organisation,
                    files=form.cleaned_data["documents"],
                    actor=request.user,
                )
            except ValueError as error:  # DecisionError and MarkdownError both say why
                form.add_error("documents", str(error))
            else:
                messages.success(
                    request,
                    f"{len(created)} decision{'s' if len(created) != 1 else ''} imported.",
                )
                return redirect("assessments:decision_list", organisation.slug)
        status = 400
    crumbs = org_crumbs(
        request,
        ("Decisions", reverse("assessments:decision_list", args=[organisation.slug])),
        ("Import", ""),
    )
    return render(
        request,
        "assessments/decisions/import.html",
        {"form": form, "crumbs": crumbs},
        status=status,
    )

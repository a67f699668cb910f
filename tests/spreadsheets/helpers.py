"""Shared by the spreadsheet tests: reading downloads back, building uploads, and a
snapshot of everything an import could write."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalogue import models as m

ENABLER_HEADER = [
    "key",
    "name",
    "kind",
    "capability",
    "classification",
    "lifecycle",
    "owning team",
    "tags",
    "description",
]
USAGE_HEADER = ["enabler key", "enabler name", "offering key", "offering name", "criticality"]


def import_url(org: str = "acme") -> str:
    return reverse("catalogue:enabler_import", args=[org])


def export(client: Client, what: str, query: str = "", org: str = "acme") -> Any:
    name = "catalogue:enabler_export" if what == "enablers" else "catalogue:usage_export"
    return client.get(reverse(name, args=[org]) + query)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_rows(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def csv_file(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_file(*rows: list[Any]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client: Client, content: bytes, name: str = "enablers.csv") -> Any:
    return client.post(import_url(), {"file": SimpleUploadedFile(name, content)})


def confirm(client: Client, preview: Any) -> Any:
    token = preview.context["token"]
    assert token, "the preview offers an import"
    return client.post(import_url(), {"token": token})


def snapshot(org: m.Organisation) -> dict[str, Any]:
    """Everything an import writes, to prove that a refused one wrote nothing."""
    return {
        "enablers": sorted(
            m.Enabler.objects.for_org(org).values_list(
                "key",
                "name",
                "kind",
                "capability",
                "classification",
                "lifecycle",
                "owner_team_id",
                "tags",
                "description",
                "version",
            )
        ),
        "usages": sorted(
            m.EnablerUsage.objects.for_org(org).values_list(
                "enabler__key", "offering__key", "criticality"
            )
        ),
        "history": m.Enabler.history.filter(organisation=org).count(),
        "changes": m.ChangeRecord.objects.for_org(org).count(),
        "generation": m.Organisation.objects.get(pk=org.pk).generation,
    }

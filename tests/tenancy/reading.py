"""The text a person gets from an answer, whatever its format, and the canaries in it.

HTML, JSON, CSV, YAML, Markdown and plain text are read as text; workbooks cell by cell
(openpyxl); PDFs page by page (pypdf's text extraction) and their metadata; ZIP archives
member by member. Headers are read too: a download's file name is shown to the person.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from .planting import FOREIGN, OWN

TEXT_TYPES = (
    "text/html",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/json",
    "application/yaml",
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"
SHOWN_HEADERS = ("Content-Disposition", "Location", "HX-Redirect", "HX-Trigger")


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def text_of(response: Any) -> tuple[str, str]:
    """(kind, text): the answer as a person reads it, headers included."""
    body = body_of(response)
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    headers = "\n".join(response.get(name, "") for name in SHOWN_HEADERS)
    if not body:
        return "empty", headers
    return content_type, headers + "\n" + text_of_bytes(content_type, body)


def text_of_bytes(content_type: str, body: bytes) -> str:
    if content_type in TEXT_TYPES:
        return body.decode("utf-8-sig")
    if content_type == XLSX:
        return workbook_text(body)
    if content_type == PDF:
        return pdf_text(body)
    if content_type == ZIP:
        return zip_text(body)
    raise AssertionError(f"an answer of a kind the canary cannot read: {content_type!r}")


def workbook_text(body: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    parts = [book.properties.title or "", book.properties.creator or ""]
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(cell) for cell in row if cell is not None)
    book.close()
    return "\n".join(parts)


def pdf_text(body: bytes) -> str:
    """The text of every page and the document's metadata. The raw bytes are added as
    well: a compressed stream hides nothing pypdf reads, an uncompressed one is in clear."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(value) for value in (reader.metadata or {}).values()]
    parts.append(body.decode("latin-1"))
    return "\n".join(parts)


def zip_text(body: bytes) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for info in archive.infolist():
            parts.append(info.filename)
            parts.append(archive.read(info).decode("utf-8-sig"))
    return "\n".join(parts)


FOREIGN_MARK = re.compile(rf"{FOREIGN}[-\w]*", re.IGNORECASE)
OWN_MARK = re.compile(rf"{OWN}-([a-z]+-[a-z]+)", re.IGNORECASE)


def foreign_in(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Every canary of globex in ``text``: a ZEBRA marker, its slug or a token prefix."""
    found = [match.group(0) for match in FOREIGN_MARK.finditer(text)]
    lowered = text.lower()
    found += [s for s in extra if s.lower() in lowered]
    return found


def own_fields_in(text: str) -> set[str]:
    """The fields whose acme marker shows in ``text`` (``OKAPI-team-name-…`` -> team-name)."""
    return {match.group(1).lower() for match in OWN_MARK.finditer(text)}


@dataclass
class Tally:
    """What a crawl read: answers by kind, the fields of acme seen, and every leak."""

    answers: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    own_fields: set[str] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)

    def read(
        self,
        what: str,
        response: Any,
        *,
        extra: tuple[str, ...],
        allowed: AbstractSet[str] = frozenset(),
    ) -> str:
        kind, text = text_of(response)
        self.answers += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.own_fields |= own_fields_in(text)
        leaked = [s for s in foreign_in(text, extra) if s.lower() not in allowed]
        if leaked:
            self.leaks.append(f"{what}: {sorted(set(leaked))[:8]}")
        return text

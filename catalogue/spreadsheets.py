"""Enablers and usages as spreadsheets: the columns, reading a CSV or XLSX file into rows of
text, writing rows out, and reading one cell's value.

No database here: ``spreadsheet_import.py`` holds the lookups, the preview and the writes.
A spreadsheet program runs a cell that starts with ``= + - @``, tab or carriage return as a
formula, so such cells get a leading apostrophe on the way out and lose exactly that
apostrophe on the way in: an exported file imports back unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError

from .models import KEY_MAX_LENGTH, key_validator

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
# An XLSX file is a zip: refuse one that would unpack to far more than any real sheet.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
# Rows read from a workbook, blank ones included, before giving up (formatted empty rows).
MAX_PHYSICAL_ROWS = MAX_ROWS * 4
# How long a preview may be confirmed.
PREVIEW_MAX_AGE = 60 * 60
TOKEN_SALT = "catalogue.spreadsheet-import"

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ENABLERS, USAGES = "enablers", "usages"


class SpreadsheetError(ValueError):
    """The file as a whole cannot be used; the message says why, in plain words."""


class CellError(ValueError):
    """One cell's value is not acceptable; the message says what is wrong with it."""


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as exported
    aliases: tuple[str, ...] = ()


ENABLER_COLUMNS = (
    Column("key", "key"),
    Column("name", "name"),
    Column("kind", "kind"),
    Column("capability", "capability", ("capability label",)),
    Column("classification", "classification", ("declared classification",)),
    Column("lifecycle", "lifecycle"),
    Column("owner_team", "owning team", ("owner team", "owning team key", "team")),
    Column("tags", "tags"),
    Column("description", "description"),
)
USAGE_COLUMNS = (
    Column("enabler", "enabler key"),
    Column("enabler_name", "enabler name"),
    Column("offering", "offering key"),
    Column("offering_name", "offering name"),
    Column("criticality", "criticality"),
)
COLUMNS = {ENABLERS: ENABLER_COLUMNS, USAGES: USAGE_COLUMNS}


def normalise(text: str) -> str:
    """Headers and choices compare without case, spaces, underscores or hyphens mattering."""
    return re.sub(r"[\s_\-]+", " ", text).strip().casefold()


def column_letter(index: int) -> str:
    """A spreadsheet's name for the column at ``index`` (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- cells ---------------------------------------------------------------------------------


def escape(value: str) -> str:
    """The text to write so that a spreadsheet shows it and never runs it.

    A value that already starts with an apostrophe gets one more, so that ``unescape``
    (which takes exactly one) gives it back as it was.
    """
    if value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """Undo ``escape``: drop the one apostrophe put before a formula character (or before
    another apostrophe). Any other leading apostrophe is part of the value."""
    if len(text) > 1 and text[0] == "'" and text[1] in (*FORMULA_START, "'"):
        return text[1:]
    return text


def choice_value(text: str, choices: Iterable[tuple[str, str]], what: str) -> str:
    """The stored value of a choice given as its value or its label, in any case
    ("Internal service", "internal_service", "INTERNAL-SERVICE")."""
    pairs = list(choices)
    wanted = normalise(text)
    for value, label in pairs:
        if wanted in (normalise(value), normalise(label)):
            return value
    allowed = ", ".join(str(label) for _, label in pairs)
    raise CellError(f"“{text}” is not a {what}. Use one of: {allowed}.")


def parse_tags(text: str) -> list[str]:
    """Tags separated by semicolons or commas, lowercased, each once, in the order given
    (the same rules as the enabler form)."""
    tags: list[str] = []
    for raw in re.split(r"[;,]", text):
        tag = raw.strip().lower()
        if tag and tag not in tags:
            if len(tag) > 40:
                raise CellError(f"The tag “{tag[:40]}…” is longer than 40 characters.")
            tags.append(tag)
    if len(tags) > 20:
        raise CellError("Use at most 20 tags.")
    return tags


def check_key(key: str) -> str:
    if len(key) > KEY_MAX_LENGTH:
        raise CellError(f"A key has at most {KEY_MAX_LENGTH} characters.")
    try:
        key_validator(key)
    except ValidationError as error:
        raise CellError(f"“{key}” is not a key. {error.messages[0]}") from error
    return key


def check_length(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(f"This cell has {len(text):,} characters; at most {limit:,} fit.")
    return text


def same_text(a: str, b: str) -> bool:
    """Equal once line endings and surrounding spaces are set aside: an XLSX round trip
    turns CRLF into LF, and a spreadsheet program may trim a cell."""
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawTable:
    """A file's first row and its other non-blank rows, as text, with the row numbers a
    spreadsheet program shows (the header is row 1 when the file starts with it)."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def read_file(content: bytes) -> RawTable:
    """Read an uploaded CSV or XLSX file (told apart by its content, not its name)."""
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. "
            "Split it into smaller files and import them one after the other."
        )
    if not content.strip():
        raise SpreadsheetError("The file is empty.")
    if content.startswith(b"PK\x03\x04"):
        return _table(_xlsx_rows(content))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetError(
            "This is an old-style Excel file (.xls). Save it as an Excel workbook (.xlsx) "
            "or as CSV UTF-8, then upload that."
        )
    return _table(_csv_rows(content))


def _table(rows: Iterator[tuple[int, list[str]]]) -> RawTable:
    header: tuple[str, ...] | None = None
    body: list[tuple[int, tuple[str, ...]]] = []
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue  # blank rows (often at the end of a sheet) are not rows of data
        kept = cells[:MAX_COLUMNS]
        while kept and not kept[-1]:
            kept = kept[:-1]  # a workbook pads rows with empty cells
        trimmed = tuple(kept)
        if header is None:
            header = trimmed
            continue
        if len(body) == MAX_ROWS:
            raise SpreadsheetError(
                f"The file has more than {MAX_ROWS:,} rows. "
                "Split it into smaller files and import them one after the other."
            )
        body.append((number, trimmed))
    if header is None:
        raise SpreadsheetError("The file is empty.")
    return RawTable(header, tuple(body))


def _decode(content: bytes) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = content.decode("utf-16")  # Excel's "Unicode text"
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                # Excel on Windows saves plain "CSV" in this encoding.
                text = content.decode("cp1252")
            except UnicodeDecodeError:
                text = "\x00"
    if "\x00" in text:
        raise SpreadsheetError(
            "The file is neither an Excel workbook (.xlsx) nor a CSV file. "
            "Save it as CSV UTF-8 or as an Excel workbook and upload it again."
        )
    return text


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    # Excel writes semicolons where the comma is the decimal mark, and tabs as "text".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        # Row numbers count records, as a spreadsheet program numbers them (a quoted cell
        # may hold line breaks and still be one row).
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        raise SpreadsheetError(f"Row {number + 1} could not be read as CSV: {error}.") from error


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise SpreadsheetError(_UNREADABLE_WORKBOOK) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            "The workbook holds far more data than a sheet of enablers or usages. "
            "Save the one sheet as CSV UTF-8 and upload that."
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds of error on a damaged file
        raise SpreadsheetError(_UNREADABLE_WORKBOOK) from error
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("The workbook has no sheet.")
        sheet: Any = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a file declares may be wrong; read every row
        for number, row in enumerate(sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS), start=1):
            if number > MAX_PHYSICAL_ROWS:
                raise SpreadsheetError(
                    f"The first sheet has more than {MAX_PHYSICAL_ROWS:,} rows, counting "
                    f"empty ones. Import at most {MAX_ROWS:,} rows at a time."
                )
            # A sheet may declare that it starts below row 1: trust the cells' own numbers.
            found = next((cell.row for cell in row if getattr(cell, "row", None)), number)
            yield found, [_xlsx_cell(cell) for cell in row]
    except SpreadsheetError:
        raise
    except Exception as error:  # read-only mode parses the sheet's XML only now, lazily
        raise SpreadsheetError(_UNREADABLE_WORKBOOK) from error
    finally:
        workbook.close()


_UNREADABLE_WORKBOOK = (
    "The file looks like an Excel workbook but could not be read. "
    "Open it in your spreadsheet program, save it as .xlsx or as CSV UTF-8, and try again."
)


def _xlsx_cell(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if getattr(cell, "data_type", None) == "f":
        where = f"{column_letter(cell.column - 1)}{cell.row}"
        raise SpreadsheetError(
            f"Cell {where} holds a formula ({str(value)[:40]}). "
            "Replace formulas by their values (copy, then paste values) and upload again."
        )
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- recognising the kind of file ----------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """A table read as enablers or usages: which column holds which field."""

    kind: str
    headers: tuple[str, ...]
    positions: dict[str, int]  # field -> index of its column in the file
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    def has(self, field: str) -> bool:
        return field in self.positions

    def values(self, cells: Sequence[str]) -> dict[str, str]:
        """The row's value of each column the file has, apostrophe escape undone, trimmed."""
        return {
            field: unescape(cells[index]).strip() if index < len(cells) else ""
            for field, index in self.positions.items()
        }

    def label(self, field: str) -> str:
        """How the report names a column: as the file heads it, and its letter."""
        index = self.positions.get(field)
        column = next(c for c in COLUMNS[self.kind] if c.field == field)
        if index is None:
            return f"{column.header} (no such column)"
        return f"{self.headers[index].strip()} ({column_letter(index)})"


def expected_columns(kind: str) -> str:
    return ", ".join(column.header for column in COLUMNS[kind])


def recognise(table: RawTable) -> Sheet:
    """Tell enablers from usages by the header row; refuse unknown or repeated columns."""
    names = [normalise(cell) for cell in table.header]
    present = set(names)
    if {"enabler key", "offering key"} <= present:
        kind = USAGES
    elif {"key", "name"} <= present:
        kind = ENABLERS
    else:
        found = ", ".join(cell.strip() for cell in table.header if cell.strip())
        raise SpreadsheetError(
            "The first row must name the columns, and these are neither enablers nor usages. "
            f"For enablers: {expected_columns(ENABLERS)} (key and name are needed). "
            f"For usages: {expected_columns(USAGES)} (enabler key and offering key are "
            f"needed). The file's first row has: {found}."
        )
    lookup: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in (column.header, column.field, *column.aliases):
            lookup[normalise(name)] = column.field
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        field = lookup.get(name)
        where = f"“{table.header[index].strip()}” (column {column_letter(index)})"
        if field is None:
            raise SpreadsheetError(
                f"The column {where} is not one of the {kind} columns. "
                f"The columns are: {expected_columns(kind)}."
            )
        if field in positions:
            raise SpreadsheetError(
                f"The column {where} repeats column {column_letter(positions[field])}."
            )
        positions[field] = index
    return Sheet(kind, table.header, positions, table.rows)


# --- carrying a preview to its confirmation --------------------------------------------------


def seal(*, organisation_id: int, table: RawTable, fingerprint: str) -> str:
    """The rows of a previewed file, signed and compressed for a hidden field: the
    confirmation reads them back without trusting the browser, and checks again."""
    return signing.dumps(
        {
            "org": organisation_id,
            "header": list(table.header),
            "rows": [[number, list(cells)] for number, cells in table.rows],
            "fp": fingerprint,
        },
        salt=TOKEN_SALT,
        compress=True,
    )


def unseal(token: str, *, organisation_id: int) -> tuple[RawTable, str]:
    """The table and preview fingerprint sealed by ``seal`` for this organisation."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.SignatureExpired as error:
        raise SpreadsheetError(
            "The preview is more than an hour old. Upload the file again."
        ) from error
    except signing.BadSignature as error:
        raise SpreadsheetError("The preview could not be read. Upload the file again.") from error
    if not isinstance(data, dict) or data.get("org") != organisation_id:
        raise SpreadsheetError("The preview is for another organisation. Upload the file again.")
    table = RawTable(
        tuple(data["header"]),
        tuple((int(number), tuple(cells)) for number, cells in data["rows"]),
    )
    return table, str(data["fp"])


# --- writing -------------------------------------------------------------------------------


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """CSV as Excel reads it: UTF-8 with a byte order mark, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape(value) for value in row])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """One sheet, a bold frozen header row, every value as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header):
        width = 40 if name in ("description", "name", "enabler name", "offering name") else 18
        sheet.column_dimensions[column_letter(index)].width = width
    bold = Font(bold=True)
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        # Control characters cannot be stored in XLSX at all; they are dropped.
        sheet.append([escape(ILLEGAL_CHARACTERS_RE.sub("", value)) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

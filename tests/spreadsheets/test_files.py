"""Reading and writing spreadsheet files, without the database."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from catalogue import spreadsheets as s
from catalogue.models import EnablerKind

HEADER = ["key", "name", "kind"]


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "value", ["=SUM(A1:A3)", "+1", "-2", "@cmd", "\tx", "\rx", "'=quoted", "'plain", "plain"]
)
def test_escape_then_unescape_gives_the_value_back(value: str) -> None:
    escaped = s.escape(value)

    assert s.unescape(escaped) == value
    if value[0] in "=+-@\t\r'":
        assert escaped == "'" + value


def test_an_apostrophe_before_ordinary_text_is_kept() -> None:
    assert s.unescape("'tis") == "'tis"


def test_csv_export_escapes_formula_cells_and_is_excel_shaped() -> None:
    content = s.csv_bytes(HEADER, [["a", "=HYPERLINK(1)", "platform"]])

    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content and b"\n" not in content.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows == [HEADER, ["a", "'=HYPERLINK(1)", "platform"]]


def test_xlsx_export_stores_formula_like_text_as_text() -> None:
    content = s.xlsx_bytes("Enablers", HEADER, [["a", "=1+1", "platform"]])

    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "Enablers"
    assert sheet["B2"].value == "'=1+1"
    assert sheet["B2"].data_type == "s"


@pytest.mark.parametrize(
    "text", ["Internal service", "internal_service", "INTERNAL-SERVICE", " internal  service "]
)
def test_a_choice_is_read_from_its_value_or_label_in_any_case(text: str) -> None:
    assert s.choice_value(text, EnablerKind.choices, "kind") == "internal_service"


def test_an_unknown_choice_lists_the_allowed_labels() -> None:
    with pytest.raises(s.CellError, match="Internal service, Platform, Capability"):
        s.choice_value("gadget", EnablerKind.choices, "kind of enabler")


def test_tags_split_on_semicolons_and_commas_once_each_in_lowercase() -> None:
    assert s.parse_tags("Cards; payments, cards ;;") == ["cards", "payments"]


def test_more_than_twenty_tags_are_refused() -> None:
    with pytest.raises(s.CellError, match="at most 20"):
        s.parse_tags(";".join(f"t{n}" for n in range(21)))


def test_csv_rows_are_numbered_as_a_spreadsheet_numbers_them() -> None:
    content = b'key,name,kind\r\na,"two\r\nlines",platform\r\n,,\r\nb,B,data\r\n'

    table = s.read_file(content)

    assert table.header == ("key", "name", "kind")
    assert table.rows == ((2, ("a", "two\r\nlines", "platform")), (4, ("b", "B", "data")))


def test_semicolon_csv_with_a_byte_order_mark_is_read() -> None:
    table = s.read_file("\ufeffkey;name;kind\na;Café;data\n".encode())

    assert table.rows == ((2, ("a", "Café", "data")),)


def test_windows_encoded_csv_is_read() -> None:
    table = s.read_file("key,name\na,Café\n".encode("cp1252"))

    assert table.rows[0][1] == ("a", "Café")


def test_xlsx_rows_keep_their_row_numbers_and_numbers_become_text() -> None:
    content = xlsx([["key", "name"], [None, None], ["a", 2024], ["b", 1.5]])

    table = s.read_file(content)

    assert table.rows == ((3, ("a", "2024")), (4, ("b", "1.5")))


def test_a_formula_in_a_workbook_is_refused_with_its_cell() -> None:
    content = xlsx([["key", "name"], ["a", "=UPPER(A2)"]])

    with pytest.raises(s.SpreadsheetError, match=r"Cell B2 holds a formula"):
        s.read_file(content)


def test_an_old_excel_file_is_refused_plainly() -> None:
    with pytest.raises(s.SpreadsheetError, match=r"\.xls"):
        s.read_file(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)


def test_a_damaged_workbook_is_refused_plainly() -> None:
    with pytest.raises(s.SpreadsheetError, match="could not be read"):
        s.read_file(b"PK\x03\x04 not really a zip")


def test_a_binary_file_is_refused() -> None:
    with pytest.raises(s.SpreadsheetError, match="neither an Excel workbook"):
        s.read_file(b"key,name\n\x00\x01\x02")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(s.SpreadsheetError, match="empty"):
        s.read_file(b"\r\n ,\r\n")


def test_more_rows_than_the_limit_are_refused() -> None:
    body = "".join(f"k{n},N{n}\n" for n in range(s.MAX_ROWS + 1))

    with pytest.raises(s.SpreadsheetError, match="more than 5,000 rows"):
        s.read_file(("key,name\n" + body).encode())


def test_exactly_the_limit_is_accepted() -> None:
    body = "".join(f"k{n},N{n}\n" for n in range(s.MAX_ROWS))

    assert len(s.read_file(("key,name\n" + body).encode()).rows) == s.MAX_ROWS


def test_a_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(s.SpreadsheetError, match="larger than 2 MB"):
        s.read_file(b"key,name\n" + b"x" * s.MAX_BYTES)


def test_headers_tell_enablers_from_usages() -> None:
    enablers = s.recognise(s.RawTable(("Key", "Name", "Owning team"), ()))
    usages = s.recognise(s.RawTable(("enabler key", "offering_key", "Criticality"), ()))

    assert enablers.kind == s.ENABLERS and enablers.positions == {
        "key": 0,
        "name": 1,
        "owner_team": 2,
    }
    assert usages.kind == s.USAGES and set(usages.positions) == {
        "enabler",
        "offering",
        "criticality",
    }


def test_a_header_of_neither_kind_lists_the_expected_columns() -> None:
    with pytest.raises(s.SpreadsheetError) as error:
        s.recognise(s.RawTable(("title", "owner"), ()))

    message = str(error.value)
    assert "key, name, kind, capability, classification, lifecycle, owning team" in message
    assert "enabler key, enabler name, offering key, offering name, criticality" in message
    assert "title, owner" in message


def test_an_unknown_column_is_named_with_its_letter() -> None:
    with pytest.raises(s.SpreadsheetError, match=r"“clasification” \(column C\)"):
        s.recognise(s.RawTable(("key", "name", "clasification"), ()))


def test_a_repeated_column_is_refused() -> None:
    with pytest.raises(s.SpreadsheetError, match="repeats column A"):
        s.recognise(s.RawTable(("key", "name", "Key"), ()))


def test_cells_lose_the_export_apostrophe_and_surrounding_spaces() -> None:
    sheet = s.recognise(s.RawTable(("key", "name"), ()))

    assert sheet.values(["  a ", "'=x"]) == {"key": "a", "name": "=x"}
    assert sheet.values(["a"]) == {"key": "a", "name": ""}


def test_a_sealed_preview_opens_only_for_its_organisation() -> None:
    table = s.RawTable(("key", "name"), ((2, ("a", "A")),))
    token = s.seal(organisation_id=7, table=table, fingerprint="abc")

    assert s.unseal(token, organisation_id=7) == (table, "abc")
    with pytest.raises(s.SpreadsheetError, match="another organisation"):
        s.unseal(token, organisation_id=8)
    with pytest.raises(s.SpreadsheetError, match="could not be read"):
        s.unseal(token[:-2] + "xx", organisation_id=7)


def test_column_letters_go_past_z() -> None:
    assert [s.column_letter(i) for i in (0, 25, 26, 27, 51, 52)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]


def test_a_workbook_whose_sheet_is_damaged_is_refused_plainly() -> None:
    # Read-only openpyxl parses the sheet's XML only while rows are read: still a clear refusal.
    book = openpyxl.Workbook()
    book.active.append(["key", "name"])
    good = io.BytesIO()
    book.save(good)
    damaged = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<x></sheetData>")
            target.writestr(info, data)

    with pytest.raises(s.SpreadsheetError, match="could not be read"):
        s.read_file(damaged.getvalue())

"""Exporting enablers and usages with the enabler list's filters."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, client_for

from .helpers import ENABLER_HEADER, USAGE_HEADER, csv_rows, export, xlsx_rows


@pytest.fixture
def catalogue(cast: Cast) -> Cast:
    """search becomes a data enabler with tags, used by the warehouse too."""
    search = cast.world.search
    search.kind = m.EnablerKind.DATA
    search.capability = "findability"
    search.tags = ["index", "catalogue"]
    search.description = "Finds things.\r\nFast."
    search.save()
    m.EnablerUsage.objects.create(
        organisation=cast.world.org,
        enabler=search,
        offering=cast.world.warehouse,
        criticality=m.Criticality.HIGH,
    )
    return cast


def test_viewer_exports_every_enabler_as_csv_with_stored_values(catalogue: Cast) -> None:
    response = export(client_for(catalogue.viewer), "enablers", "?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-enablers.csv"'
    assert csv_rows(response.content) == [
        ENABLER_HEADER,
        ["payments", "Payments", "platform", "", "common", "active", "platform", "", ""],
        [
            "search",
            "Search",
            "data",
            "findability",
            "common",
            "active",
            "delivery",
            "index; catalogue",
            "Finds things.\r\nFast.",
        ],
    ]


def test_csv_lines_end_with_crlf(catalogue: Cast) -> None:
    content = export(client_for(catalogue.viewer), "enablers").content

    assert content.count(b"\r\n") == 4  # header, two rows, and the line break in a description
    assert b"\n" not in content.replace(b"\r\n", b"")


def test_viewer_exports_enablers_as_a_workbook(catalogue: Cast) -> None:
    response = export(client_for(catalogue.viewer), "enablers", "?format=xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="acme-enablers.xlsx"'
    rows = xlsx_rows(response.content)
    assert rows[0] == ENABLER_HEADER
    assert [row[0] for row in rows[1:]] == ["payments", "search"]
    assert rows[2][7] == "index; catalogue"


FILTERS = [
    "kind=platform",
    "q=find",
    "classification=common&lifecycle=active",
    "owner_team=delivery",
    "area=food",  # enablers used by an offering of the area: payments (shop)
    "kind=skillset",
]


@pytest.mark.parametrize("query", FILTERS)
def test_the_export_holds_exactly_what_the_list_shows(catalogue: Cast, query: str) -> None:
    client = client_for(catalogue.viewer)
    listed = client.get(reverse("catalogue:enabler_list", args=["acme"]) + "?" + query)
    shown = [e.key for e in listed.context["page"].object_list]

    exported = csv_rows(export(client, "enablers", f"?format=csv&{query}").content)

    assert [row[0] for row in exported[1:]] == shown


def test_a_filter_narrows_the_export(catalogue: Cast) -> None:
    rows = csv_rows(export(client_for(catalogue.viewer), "enablers", "?kind=data&q=find").content)

    assert [row[0] for row in rows] == ["key", "search"]


def test_usages_export_follows_the_same_filters(catalogue: Cast) -> None:
    client = client_for(catalogue.viewer)

    everything = csv_rows(export(client, "usages", "?format=csv").content)
    data_only = xlsx_rows(export(client, "usages", "?format=xlsx&kind=data").content)

    assert everything == [
        USAGE_HEADER,
        ["payments", "Payments", "shop", "Shop", "medium"],
        ["search", "Search", "warehouse", "Warehouse", "high"],
    ]
    assert data_only == [USAGE_HEADER, ["search", "Search", "warehouse", "Warehouse", "high"]]


def test_formula_cells_are_defused_in_both_formats(catalogue: Cast) -> None:
    payments = catalogue.world.payments
    payments.description = '=HYPERLINK("http://evil.example","click")'
    payments.capability = "@SUM(1)"
    payments.save()
    client = client_for(catalogue.viewer)

    as_csv = csv_rows(export(client, "enablers", "?format=csv&q=pay").content)[1]
    workbook = openpyxl.load_workbook(
        io.BytesIO(export(client, "enablers", "?format=xlsx&q=pay").content)
    )
    sheet = workbook.worksheets[0]

    assert as_csv[3] == "'@SUM(1)"
    assert as_csv[8] == '\'=HYPERLINK("http://evil.example","click")'
    assert sheet["D2"].value == "'@SUM(1)" and sheet["D2"].data_type == "s"
    assert sheet["I2"].data_type == "s"


def test_nothing_of_another_organisation_is_exported(catalogue: Cast) -> None:
    f.EnablerFactory(organisation=catalogue.other.org, key="globex-only", name="Globex only")

    rows = csv_rows(export(client_for(catalogue.viewer), "enablers").content)
    usages = csv_rows(export(client_for(catalogue.viewer), "usages").content)

    assert [row[0] for row in rows[1:]] == ["payments", "search"]
    assert len(usages) == 3


@pytest.mark.parametrize("what", ["enablers", "usages"])
def test_an_outsider_gets_404(cast: Cast, what: str) -> None:
    assert export(client_for(cast.outsider), what).status_code == 404


@pytest.mark.parametrize("what", ["enablers", "usages"])
def test_anonymous_is_sent_to_sign_in(cast: Cast, what: str) -> None:
    response = export(client_for(None), what)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_format_is_a_bad_request(cast: Cast) -> None:
    response = export(client_for(cast.viewer), "enablers", "?format=pdf")

    assert response.status_code == 400
    assert "format=csv or format=xlsx" in response.content.decode()


def test_the_list_offers_exports_that_carry_its_filters(cast: Cast) -> None:
    url = reverse("catalogue:enabler_list", args=["acme"])

    html = client_for(cast.viewer).get(url + "?kind=platform&q=pay").content.decode()

    export_url = reverse("catalogue:enabler_export", args=["acme"])
    usage_url = reverse("catalogue:usage_export", args=["acme"])
    assert f'href="{export_url}?format=csv&amp;kind=platform&amp;q=pay"' in html
    assert f'href="{usage_url}?format=xlsx&amp;kind=platform&amp;q=pay"' in html


@pytest.mark.parametrize(("actor", "shown"), [("leader", True), ("admin", True), ("owner", False)])
def test_the_list_offers_the_import_only_to_those_who_may(
    cast: Cast, actor: str, shown: bool
) -> None:
    html = (
        client_for(getattr(cast, actor))
        .get(reverse("catalogue:enabler_list", args=["acme"]))
        .content.decode()
    )

    assert (f'href="{reverse("catalogue:enabler_import", args=["acme"])}"' in html) is shown

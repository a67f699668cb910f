"""Importing enablers and usages: who may, the preview, and writing exactly the preview."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue import models as m
from catalogue import services, spreadsheets
from tests import factories as f
from tests.conftest import Cast, client_for

from .helpers import (
    ENABLER_HEADER,
    USAGE_HEADER,
    confirm,
    csv_file,
    export,
    import_url,
    snapshot,
    upload,
    xlsx_file,
)


def enablers(cast: Cast) -> Any:
    return m.Enabler.objects.for_org(cast.world.org)


def row(key: str = "", name: str = "", kind: str = "platform", **cells: str) -> list[str]:
    """A row of an enablers file in the export's column order."""
    values = {"key": key, "name": name, "kind": kind, **cells}
    return [values.get(h.replace(" ", "_"), "") for h in ENABLER_HEADER]


def owner_team(cast: Cast, key: str) -> int:
    return getattr(cast.world, key).pk


@pytest.fixture
def rich(cast: Cast) -> Cast:
    """Values that a careless round trip would change: line breaks, formula-like text,
    tags in capitals, an apostrophe, no owning team."""
    payments = cast.world.payments
    payments.description = "Takes money.\r\n\r\nAlso refunds."
    payments.capability = "-payments"
    payments.tags = ["Cards", "PCI"]
    payments.name = "'Payments'"
    payments.save()
    f.EnablerFactory(
        organisation=cast.world.org,
        key="formulas",
        name="=Formulas",
        kind=m.EnablerKind.SKILLSET,
        lifecycle=m.Lifecycle.DEPRECATED,
        description="@everyone\tplease",
    )
    m.EnablerUsage.objects.create(
        organisation=cast.world.org,
        enabler=cast.world.search,
        offering=cast.world.warehouse,
        criticality=m.Criticality.LOW,
    )
    return cast


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["viewer", "member", "owner"])
def test_below_leadership_cannot_import(cast: Cast, actor: str) -> None:
    client = client_for(getattr(cast, actor))
    before = snapshot(cast.world.org)

    page = client.get(import_url())
    posted = upload(client, csv_file(ENABLER_HEADER, row("", "Sneaky")))

    assert page.status_code == 403
    assert posted.status_code == 403
    assert snapshot(cast.world.org) == before


def test_an_outsider_gets_404_and_writes_nothing(cast: Cast) -> None:
    client = client_for(cast.outsider)
    before = snapshot(cast.world.org)

    assert client.get(import_url()).status_code == 404
    assert upload(client, csv_file(ENABLER_HEADER, row("", "Sneaky"))).status_code == 404
    assert snapshot(cast.world.org) == before


@pytest.mark.parametrize("actor", ["leader", "admin"])
def test_leadership_sees_the_upload_page(cast: Cast, actor: str) -> None:
    response = client_for(getattr(cast, actor)).get(import_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Import enablers or usages</h1>" in html
    assert 'for="id_file"' in html and 'id="id_file"' in html
    assert response.context["crumbs"][-1] == ("Import a spreadsheet", "")


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("what", ["enablers", "usages"])
def test_export_then_import_changes_nothing(rich: Cast, fmt: str, what: str) -> None:
    client = client_for(rich.leader)
    content = export(client, what, f"?format={fmt}").content
    before = snapshot(rich.world.org)

    response = upload(client, content, name=f"{what}.{fmt}")

    preview = response.context["preview"]
    assert response.status_code == 200
    assert preview.errors == [] and preview.creates == [] and preview.updates == []
    assert len(preview.unchanged) == (3 if what == "enablers" else 2)
    assert response.context["token"] == ""
    assert "Nothing to import" in response.content.decode()
    assert snapshot(rich.world.org) == before


# --- preview and confirm ---------------------------------------------------------------------


def a_change_and_a_new_enabler(cast: Cast) -> bytes:
    return csv_file(
        ENABLER_HEADER,
        row("payments", "Payments", classification="Repeatable", owning_team="platform"),
        row("", "Identity", kind="Internal service", tags="auth; SSO", owning_team="Platform"),
    )


def test_the_preview_lists_the_changes_and_writes_nothing(cast: Cast) -> None:
    client = client_for(cast.leader)
    before = snapshot(cast.world.org)

    response = upload(client, a_change_and_a_new_enabler(cast))

    preview = response.context["preview"]
    html = response.content.decode()
    assert response.status_code == 200
    assert [(p.row, p.key, p.name) for p in preview.creates] == [(3, "identity", "Identity")]
    assert [(p.row, p.key) for p in preview.updates] == [(2, "payments")]
    assert [(c.field, c.old, c.new) for c in preview.updates[0].changes] == [
        ("classification", "Common", "Repeatable")
    ]
    assert "1 to add, 1 to change, 0 unchanged" in html
    assert "Import 2 changes" in html
    assert snapshot(cast.world.org) == before


def test_confirming_writes_the_preview_with_who_did_it(cast: Cast) -> None:
    client = client_for(cast.leader)
    generation = snapshot(cast.world.org)["generation"]

    response = confirm(client, upload(client, a_change_and_a_new_enabler(cast)))

    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:enabler_list", args=["acme"])
    payments = enablers(cast).get(key="payments")
    assert payments.classification == "repeatable"
    assert payments.version == 2
    latest = payments.history.order_by("-history_id").first()
    assert latest.history_user == cast.leader.user
    assert latest.history_change_reason == "Spreadsheet import"
    identity = enablers(cast).get(key="identity")
    assert (identity.kind, identity.tags, identity.owner_team_id) == (
        "internal_service",
        ["auth", "sso"],
        cast.world.platform.pk,
    )
    assert (identity.version, identity.created_by, identity.lifecycle) == (
        1,
        cast.leader.user,
        "active",
    )
    assert identity.history.get().history_user == cast.leader.user
    changes = list(m.ChangeRecord.objects.for_org(cast.world.org))
    assert [c.summary for c in changes] == ["Spreadsheet import: 1 enabler added, 1 changed"]
    assert changes[0].actor == cast.leader.user
    assert snapshot(cast.world.org)["generation"] == generation + 1
    page = client.get(response["Location"])
    assert "Spreadsheet imported: 1 enabler added, 1 changed." in page.content.decode()


def test_an_update_touches_only_the_cells_that_differ(cast: Cast) -> None:
    payments = cast.world.payments
    payments.description = "Kept as it is"
    payments.save()
    client = client_for(cast.leader)
    # Only some columns; an empty lifecycle cell leaves the lifecycle as it is.
    content = csv_file(
        ["key", "name", "lifecycle", "capability"],
        ["payments", "Payments", "", "money"],
        ["search", "Search", "", ""],
    )

    preview = upload(client, content)
    assert [(c.field, c.old, c.new) for c in preview.context["preview"].updates[0].changes] == [
        ("capability label", "—", "money")
    ]
    confirm(client, preview)

    payments.refresh_from_db()
    assert (payments.capability, payments.description, payments.lifecycle) == (
        "money",
        "Kept as it is",
        "active",
    )
    assert enablers(cast).get(key="search").version == 1


def test_new_rows_get_distinct_keys_made_from_their_names(cast: Cast) -> None:
    client = client_for(cast.leader)
    content = csv_file(
        ENABLER_HEADER,
        row("", "Data lake"),
        row("", "Data_lake v2"),
        row("", "Billing"),
        row("billing", "Billing engine"),
        row("", "Payments platform"),
        row("", "New"),
    )

    response = upload(client, content)

    keys = [p.key for p in response.context["preview"].creates]
    assert keys == [
        "data-lake",
        "data-lake-v2",
        "billing-2",
        "billing",
        "payments-platform",
        "new-2",
    ]
    confirm(client, response)
    assert set(keys) <= set(enablers(cast).values_list("key", flat=True))


# --- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    (
        "unknown team",
        [row("payments", "Payments", owning_team="nobody")],
        2,
        "owning team (G)",
        "There is no team with the key “nobody” in this organisation.",
    ),
    (
        "bad classification",
        [row("payments", "Payments"), row("", "Ledger", classification="shared")],
        3,
        "classification (E)",
        "“shared” is not a classification. Use one of: Repeatable, Common, Independent.",
    ),
    (
        "duplicate key",
        [row("ledger", "Ledger"), row("payments", "Payments"), row("ledger", "Ledger two")],
        4,
        "key (A)",
        "The key “ledger” is also on row 2.",
    ),
    (
        "bad key",
        [row("Not a key!", "Ledger")],
        2,
        "key (A)",
        "“not a key!” is not a key. Use lowercase letters, digits and single hyphens "
        "(for example food-digital).",
    ),
    (
        "no name",
        [row("payments", "")],
        2,
        "name (B)",
        "Give the enabler a name.",
    ),
    (
        "new enabler without a kind",
        [row("", "Ledger", kind="")],
        2,
        "kind (C)",
        "A new enabler needs a kind: one of Internal service, Platform, Capability, Data, "
        "Skillset.",
    ),
    (
        "a name another enabler has",
        [row("", "SEARCH")],
        2,
        "name (B)",
        "Another enabler, key “search”, is already called “Search”.",
    ),
    (
        "the same name twice",
        [row("", "Ledger"), row("", "ledger")],
        3,
        "name (B)",
        "The name “ledger” is also on row 2.",
    ),
]


@pytest.mark.parametrize(
    ("rows", "at_row", "column", "message"),
    [case[1:] for case in BAD_ROWS],
    ids=[case[0] for case in BAD_ROWS],
)
def test_a_bad_row_writes_nothing_and_the_report_names_row_and_column(
    cast: Cast, rows: list[list[str]], at_row: int, column: str, message: str
) -> None:
    client = client_for(cast.leader)
    # A good change after the bad rows: it must not be written either.
    content = csv_file(ENABLER_HEADER, *rows, row("search", "Search renamed"))
    before = snapshot(cast.world.org)

    response = upload(client, content)

    errors = response.context["preview"].errors
    html = response.content.decode()
    assert response.status_code == 400
    assert [(e.row, e.column, e.message) for e in errors] == [(at_row, column, message)]
    assert "Fix these rows and upload again." in html
    assert 'name="token"' not in html and response.context["token"] == ""
    assert snapshot(cast.world.org) == before


def test_a_confirmation_of_a_file_with_errors_is_refused(cast: Cast) -> None:
    # A token can only come from a clean preview; this one is made by hand to prove that the
    # confirmation checks again rather than trusting it.
    table = spreadsheets.RawTable(tuple(ENABLER_HEADER), ((2, tuple(row("", "X", kind="gadget"))),))
    token = spreadsheets.seal(organisation_id=cast.world.org.pk, table=table, fingerprint="")
    before = snapshot(cast.world.org)

    response = client_for(cast.leader).post(import_url(), {"token": token})

    assert response.status_code == 400
    assert response.context["preview"].errors[0].column == "kind (C)"
    assert snapshot(cast.world.org) == before


def test_a_header_of_neither_kind_lists_the_expected_columns(cast: Cast) -> None:
    response = upload(client_for(cast.leader), csv_file(["title", "owner"], ["a", "b"]))

    html = response.content.decode()
    assert response.status_code == 400
    assert "key, name, kind, capability, classification, lifecycle, owning team" in html
    assert "enabler key, enabler name, offering key, offering name, criticality" in html


def test_an_upload_without_a_file_is_a_bad_request(cast: Cast) -> None:
    response = client_for(cast.leader).post(import_url(), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


# --- carrying the preview --------------------------------------------------------------------


def test_a_tampered_preview_is_refused(cast: Cast) -> None:
    client = client_for(cast.leader)
    preview = upload(client, a_change_and_a_new_enabler(cast))
    before = snapshot(cast.world.org)

    response = client.post(import_url(), {"token": preview.context["token"][:-3] + "abc"})

    assert response.status_code == 400
    assert "The preview could not be read. Upload the file again." in response.content.decode()
    assert snapshot(cast.world.org) == before


def test_a_preview_of_another_organisation_is_refused(cast: Cast) -> None:
    table = spreadsheets.RawTable(tuple(ENABLER_HEADER), ((2, tuple(row("", "Ledger"))),))
    token = spreadsheets.seal(organisation_id=cast.other.org.pk, table=table, fingerprint="x")
    before = snapshot(cast.world.org)

    response = client_for(cast.leader).post(import_url(), {"token": token})

    assert response.status_code == 400
    assert "another organisation" in response.content.decode()
    assert snapshot(cast.world.org) == before


def test_a_change_since_the_preview_is_shown_again_and_nothing_is_written(cast: Cast) -> None:
    client = client_for(cast.leader)
    preview = upload(client, a_change_and_a_new_enabler(cast))
    services.enabler_update(
        enabler=cast.world.payments,
        fields={"classification": "independent"},
        base_version=1,
        actor=cast.admin.user,
    )
    before = snapshot(cast.world.org)

    response = confirm(client, preview)

    assert response.status_code == 409
    assert "The catalogue changed since the preview" in response.content.decode()
    changes = response.context["preview"].updates[0].changes
    assert [(c.old, c.new) for c in changes] == [("Independent", "Repeatable")]
    assert snapshot(cast.world.org) == before
    # The new preview can be confirmed.
    assert confirm(client, response).status_code == 302
    assert enablers(cast).get(key="payments").classification == "repeatable"


def test_a_preview_too_large_to_carry_says_so_and_offers_no_import(
    cast: Cast, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 12_000
    # Text that does not compress: the signed preview outgrows what a request may carry.
    noise = [row("", f"Noise {i}", description=os.urandom(300).hex()) for i in range(10)]

    response = upload(client_for(cast.leader), csv_file(ENABLER_HEADER, *noise))

    html = response.content.decode()
    assert response.status_code == 400
    assert "too much text to import in one go" in html
    assert 'name="token"' not in html


# --- usages ----------------------------------------------------------------------------------


def test_usages_are_added_and_their_criticality_changed(cast: Cast) -> None:
    client = client_for(cast.leader)
    content = csv_file(
        USAGE_HEADER,
        ["payments", "Payments", "shop", "Shop", "High"],  # exists as medium
        ["search", "", "warehouse", "", ""],  # new, medium
        ["PAYMENTS", "", "warehouse", "", "low"],  # new, low
        ["search", "", "shop", "", ""],  # new, medium
    )

    preview = upload(client, content)
    assert preview.status_code == 200
    assert [(p.row, p.key, p.offering_key) for p in preview.context["preview"].creates] == [
        (3, "search", "warehouse"),
        (4, "payments", "warehouse"),
        (5, "search", "shop"),
    ]
    response = confirm(client, preview)

    assert response.status_code == 302
    assert sorted(
        m.EnablerUsage.objects.for_org(cast.world.org).values_list(
            "enabler__key", "offering__key", "criticality"
        )
    ) == [
        ("payments", "shop", "high"),
        ("payments", "warehouse", "low"),
        ("search", "shop", "medium"),
        ("search", "warehouse", "medium"),
    ]
    assert [c.summary for c in m.ChangeRecord.objects.for_org(cast.world.org)] == [
        "Spreadsheet import: 3 usages added, 1 changed"
    ]


def test_a_usage_of_an_unknown_offering_or_a_repeated_pair_writes_nothing(cast: Cast) -> None:
    client = client_for(cast.leader)
    content = csv_file(
        USAGE_HEADER,
        ["search", "", "warehouse", "", ""],
        ["search", "", "nowhere", "", ""],
        ["search", "", "warehouse", "", "high"],
        ["ghost", "", "shop", "", "urgent"],
    )
    before = snapshot(cast.world.org)

    response = upload(client, content)

    errors = [(e.row, e.column, e.message) for e in response.context["preview"].errors]
    assert response.status_code == 400
    assert errors == [
        (
            3,
            "offering key (C)",
            "There is no offering with the key “nowhere” in this organisation.",
        ),
        (4, "offering key (C)", "Row 2 already says that “warehouse” uses “search”."),
        (5, "enabler key (A)", "There is no enabler with the key “ghost” in this organisation."),
        (5, "criticality (E)", "“urgent” is not a criticality. Use one of: Low, Medium, High."),
    ]
    assert snapshot(cast.world.org) == before


# --- workbooks and formulas ------------------------------------------------------------------


def test_a_workbook_is_imported(cast: Cast) -> None:
    client = client_for(cast.leader)
    content = xlsx_file(
        ["Key", "Name", "Kind", "Classification", "Owning team", "Tags"],
        [None, "Ledger", "Data", "COMMON", "delivery", "money, books"],
        ["payments", "Payments", "platform", "common", "platform", None],
    )

    preview = upload(client, content, name="enablers.xlsx")
    assert [p.key for p in preview.context["preview"].unchanged] == ["payments"]
    confirm(client, preview)

    ledger = enablers(cast).get(key="ledger")
    assert (ledger.kind, ledger.classification, ledger.owner_team_id, ledger.tags) == (
        "data",
        "common",
        cast.world.delivery.pk,
        ["money", "books"],
    )


def test_escaped_formula_text_is_imported_as_text(cast: Cast) -> None:
    client = client_for(cast.leader)
    content = csv_file(ENABLER_HEADER, row("", "'=Sum of things", description="'+44 20 7946 0000"))

    confirm(client, upload(client, content))

    created = enablers(cast).get(key="sum-of-things")
    assert (created.name, created.description) == ("=Sum of things", "+44 20 7946 0000")
    exported = export(client, "enablers", "?q=sum").content.decode("utf-8-sig")
    assert "'=Sum of things" in exported and "'+44 20 7946 0000" in exported


def test_a_workbook_with_a_formula_is_refused_with_its_cell(cast: Cast) -> None:
    content = xlsx_file(["key", "name", "kind"], ["", "=A1&B1", "platform"])
    before = snapshot(cast.world.org)

    response = upload(client_for(cast.leader), content, name="enablers.xlsx")

    assert response.status_code == 400
    assert "Cell B2 holds a formula" in response.content.decode()
    assert snapshot(cast.world.org) == before


# --- queries ---------------------------------------------------------------------------------


def queries_for(cast: Cast, n: int) -> tuple[int, int]:
    """Queries to preview and to confirm a file of ``n`` rows: half update existing enablers,
    half add new ones."""
    org = cast.world.org
    for i in range(n // 2):
        f.EnablerFactory(organisation=org, key=f"old-{n}-{i}", name=f"Old {n} {i}")
    rows = [row(f"old-{n}-{i}", f"Old {n} {i}", classification="repeatable") for i in range(n // 2)]
    rows += [row("", f"New {n} {i}", owning_team="platform") for i in range(n - n // 2)]
    client = client_for(cast.leader)
    content = csv_file(ENABLER_HEADER, *rows)
    with CaptureQueriesContext(connection) as previewing:
        preview = upload(client, content)
    assert len(preview.context["preview"].creates) == n - n // 2
    with CaptureQueriesContext(connection) as confirming:
        assert confirm(client, preview).status_code == 302
    return len(previewing), len(confirming)


def test_queries_do_not_grow_with_the_number_of_rows(cast: Cast) -> None:
    assert queries_for(cast, 5) == queries_for(cast, 50)


def test_usage_queries_do_not_grow_with_the_number_of_rows(cast: Cast) -> None:
    org = cast.world.org
    counts = []
    for n in (5, 50):
        offerings = [
            f.OfferingFactory(organisation=org, key=f"o-{n}-{i}", name=f"O {n} {i}")
            for i in range(n)
        ]
        rows = [["payments", "", o.key, "", "high"] for o in offerings]
        client = client_for(cast.leader)
        with CaptureQueriesContext(connection) as previewing:
            preview = upload(client, csv_file(USAGE_HEADER, *rows))
        with CaptureQueriesContext(connection) as confirming:
            assert confirm(client, preview).status_code == 302
        counts.append((len(previewing), len(confirming)))
    assert counts[0] == counts[1]

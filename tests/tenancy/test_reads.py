"""No answer to acme shows anything of globex: every page, htmx partial, export and API read.

The canary (tests/tenancy/planting.py) fills both organisations with markers in every text
that can be shown. Each person of acme (every role, and ``both``, who is also globex's
admin) then reads every GET row of the permission matrix (tests/catalogue/test_permission_
matrix.py, which has a row for every URL pattern: pages, partials, CSV, XLSX, PDF, ZIP and
YAML downloads, report tables) and every read of the API matrix (tests/api/test_permissions
.py: report JSON included), each on a fresh canary (a rolled-back savepoint), and gets the
status the matrix says. No answer may hold a ZEBRA marker, globex's slug or one of its
tokens' prefixes; workbooks, PDFs and archives are read as text first (reading.py). The
canary's own flag, round, decisions and reports are read too: globex's have the same keys.

acme's own markers (OKAPI) must show: for the admin, every planted field at least once, so a
field the pages stopped showing (or a canary that stopped working) fails here instead of
passing quietly.

Then the same reads with globex's ids and keys in the address and the query string: the
answer is "not found" (or the role's refusal), or the page with nothing of globex in it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from assessments.models import BalanceReport
from catalogue import models as m
from tests.api.conftest import ApiClient, token_for
from tests.api.test_permissions import MATRIX as API_MATRIX
from tests.api.test_permissions import url_of
from tests.catalogue.test_permission_matrix import (
    GET,
    MATRIX,
    READ,
    Entry,
    Row,
    check_status,
    request,
)
from tests.conftest import client_for

from .conftest import rolled_back
from .planting import FIELDS, FLAG_KEY, ROLES, ROUND_KEY, Canary, foreign_values, key_map, mirror
from .reading import FOREIGN_MARK, PDF, XLSX, ZIP, Tally


def reports(c: Any) -> list[int]:
    """acme's planted reports, oldest first (the matrix's rows make their own)."""
    return list(
        BalanceReport.objects.for_org(c.world.org).order_by("pk").values_list("pk", flat=True)
    )


def latest(c: Any) -> list[int]:
    return reports(c)[-1:]


def compared(c: Any) -> list[Any]:
    c.query_args = reports(c)
    return []


# The pages of what the canary planted in acme (the matrix's rows make objects of their
# own): its flag, round, decisions and reports, whose keys globex's have too.
# fmt: off
CANARY_PAGES = [
    Row("assessments:flag_detail",       GET, "canary", READ, args=lambda c: [FLAG_KEY]),
    Row("assessments:round_detail",      GET, "canary", READ, args=lambda c: [ROUND_KEY]),
    Row("assessments:round_team",        GET, "canary-delivery", READ,
        args=lambda c: [ROUND_KEY, "delivery"]),
    Row("assessments:decision_detail",   GET, "accepted", READ, args=lambda c: ["dec-001"]),
    Row("assessments:decision_detail",   GET, "proposed", READ, args=lambda c: ["dec-002"]),
    Row("assessments:decision_markdown", GET, "accepted", READ, args=lambda c: ["dec-001"]),
    Row("assessments:report",            GET, "canary", READ, args=latest),
    Row("assessments:report_csv",        GET, "canary-enablers", READ,
        args=lambda c: [*latest(c), "enablers"]),
    Row("assessments:report_csv",        GET, "canary-findings", READ,
        args=lambda c: [*latest(c), "findings"]),
    Row("assessments:portfolio_report",  GET, "canary", READ, args=latest),
    Row("assessments:report_compare",    GET, "canary", READ, args=compared, query="?a={0}&b={1}"),
]
# fmt: on
PAGES = [entry for entry in MATRIX if entry.method == "GET"] + CANARY_PAGES
API_READS = [op for op in API_MATRIX if op.method == "GET"]
ACTORS = (*ROLES, "both")
# ``both`` sees globex in the organisation switcher of every page: their own membership.
ALLOWED = {"both": {"zebra-org-name", "globex"}}


def column(actor: str) -> str:
    """The matrix column an actor's statuses are read from (``both`` leads in acme)."""
    return "leader" if actor == "both" else actor


def membership(canary: Canary, actor: str) -> m.Membership:
    return canary.both if actor == "both" else getattr(canary.cast, actor)


def page_url(canary: Canary, entry: Entry, args: list[Any]) -> str:
    prefix = [canary.acme.org.slug] if entry.in_org else []
    query = entry.query.format(*getattr(canary.cast, "query_args", []))
    return reverse(entry.url_name, args=[*prefix, *args]) + query


# The PDF is the same stored report whoever asks, and the slowest answer by far (about a
# second): read by the admin and by ``both`` (whose other organisation could leak into it).
PDF_READERS = {"admin", "both"}


def expected(entry: Entry, actor: str) -> str:
    if actor == "both" and entry.url_name == "home":
        return "200"  # someone in two organisations picks one; others are sent to theirs
    return entry.expect[column(actor)]


def read_pages(canary: Canary, actor: str, tally: Tally) -> None:
    client = client_for(membership(canary, actor))
    for entry in PAGES:
        if entry.url_name == "assessments:portfolio_pdf" and actor not in PDF_READERS:
            continue
        with rolled_back():
            url = page_url(canary, entry, entry.args(canary.cast))
            response = request(client, entry, url, {})
            check_status(response, expected(entry, actor), in_org=entry.in_org)
            tally.read(
                url, response, extra=canary.foreign_strings, allowed=ALLOWED.get(actor, set())
            )


def read_api(canary: Canary, actor: str, tally: Tally) -> None:
    api = ApiClient(token_for(membership(canary, actor)))
    for op in API_READS:
        with rolled_back():
            if op.target == "none-yet":  # the row of an organisation with no report yet
                BalanceReport.objects.for_org(canary.acme.org).delete()
            url = url_of(op, canary.acme.org.slug, op.params(canary.cast))
            response = api.get(url, **op.query)
            assert response.status_code == op.expect[column(actor)], (url, response.content[:500])
            tally.read(
                url, response, extra=canary.foreign_strings, allowed=ALLOWED.get(actor, set())
            )


@pytest.mark.parametrize("actor", ACTORS)
def test_nothing_of_globex_shows_to_acme(canary: Canary, actor: str) -> None:
    tally = Tally()

    read_pages(canary, actor, tally)
    read_api(canary, actor, tally)

    assert tally.leaks == []
    pdfs = 1 if actor in PDF_READERS else 0
    assert tally.answers == len(PAGES) - 1 + pdfs + len(API_READS)
    # Every kind of answer was read: pages, partials, JSON, CSV, YAML, Markdown, workbooks,
    # archives (and the PDF).
    kinds = {"text/html", "application/json", "text/csv", "application/yaml", "text/markdown"}
    kinds |= {XLSX, ZIP} | ({PDF} if pdfs else set())
    assert kinds <= set(tally.kinds)
    if actor == "admin":
        # The canary works: every field planted in acme shows somewhere to its admin.
        assert sorted(set(FIELDS) - tally.own_fields) == []


# --- globex's ids and keys sent to acme ---------------------------------------------------------

FOREIGN_READERS = ("member", "admin")
REFUSALS = {"403", "405"}  # the role is checked before anything is looked up


def read_foreign_addresses(canary: Canary, actor: str, tally: Tally) -> list[str]:
    """Every page and API read whose address names something, built for globex (its ids,
    and keys only globex has) and sent to acme. Returns the answers that were not "not
    found" (or the role's refusal, which the matrix gives this actor for acme's own)."""
    client = client_for(membership(canary, actor))
    api = ApiClient(token_for(membership(canary, actor)))
    keys = key_map(canary)
    found = []
    for entry in MATRIX:
        if entry.method != GET or not entry.in_org:
            continue
        with rolled_back():
            args = foreign_values(entry.args(mirror(canary, canary.keyed)), keys)
            if not args:
                continue
            url = page_url(canary, entry, args)
            response = request(client, entry, url, {})
            expected = entry.expect[column(actor)]
            if response.status_code != 404 and not (
                expected in REFUSALS and str(response.status_code) == expected
            ):
                found.append(f"{url}: {response.status_code}")
            tally.read(url, response, extra=canary.foreign_strings)
    for op in API_READS:
        if "{" not in op.path.removeprefix("/o/{org}"):
            continue  # a list: nothing in its address
        with rolled_back():
            params = foreign_values(op.params(mirror(canary, canary.keyed)), keys)
            url = url_of(op, canary.acme.org.slug, params)
            response = api.get(url, **op.query)
            if response.status_code != 404:
                found.append(f"{url}: {response.status_code}")
            tally.read(url, response, extra=canary.foreign_strings)
    return found


@pytest.mark.parametrize("actor", FOREIGN_READERS)
def test_globex_ids_and_keys_in_acme_addresses_are_not_found(canary: Canary, actor: str) -> None:
    tally = Tally()

    found = read_foreign_addresses(canary, actor, tally)

    assert found == []
    assert tally.leaks == []
    assert tally.answers > 60


def foreign_queries(canary: Canary) -> list[tuple[str, dict[str, str]]]:
    """acme's searches, filters, exports, prefilled forms and comparisons asked about
    globex's things: by the keys only globex has, and by report ids."""
    globex = canary.globex.org
    theirs = list(BalanceReport.objects.for_org(globex).values_list("pk", flat=True))
    ours = list(BalanceReport.objects.for_org(canary.acme.org).values_list("pk", flat=True))
    enabler = {"enabler": "zebra-payments"}
    pages: dict[str, dict[str, Any]] = {
        "catalogue:enabler_list": {"q": "zebra", "owner_team": "zebra-platform"},
        "catalogue:enabler_export": {"format": "csv", "area": "zebra-food"},
        "catalogue:usage_export": {"format": "xlsx", "q": "zebra-payments"},
        "assessments:flag_list": {
            **enabler,
            "team": "zebra-delivery",
            "area": "zebra-food",
            "owner": "zebra-platform",
            "offering": "zebra-shop",
        },
        "assessments:flag_raise": {
            **enabler,
            "offering": "zebra-shop",
            "journey": "zebra-weekly-shop",
            "team": "zebra-delivery",
        },
        "assessments:decision_list": {**enabler, "q": "zebra", "area": "zebra-food"},
        "assessments:decision_new": {
            **enabler,
            "title": "Asked",
            "change": "zebra-payments:repeatable",
            "report": theirs[0],
            "merge_into": "zebra-search",
            "merge_from": "zebra-payments",
        },
        "assessments:report_compare": {"a": theirs[0], "b": ours[-1]},
        "assessments:what_if": {"enabler_1": "zebra-payments", "to_1": "independent"},
        "assessments:portfolio": {"shape": "zebra-weekly-shop"},
    }
    api: dict[str, dict[str, Any]] = {
        "/enablers": {"owner_team": "zebra-platform", "area": "zebra-food", "q": "zebra"},
        "/usages": {**enabler, "offering": "zebra-shop"},
        "/teams": {"business_area": "zebra-food"},
        "/offerings": {"business_area": "zebra-food", "team": "zebra-delivery"},
        "/journeys": {"offering": "zebra-shop", "segment": "zebra"},
        "/flags": {**enabler, "team": "zebra-delivery", "owner": "zebra-platform"},
        "/assessments": {**enabler, "round": "zebra-round", "team": "zebra-delivery"},
        "/decisions": {**enabler, "area": "zebra-food", "q": "zebra"},
    }
    slug = canary.acme.org.slug
    return [(reverse(name, args=[slug]), query) for name, query in pages.items()] + [
        (f"/api/o/{slug}{path}", query) for path, query in api.items()
    ]


@pytest.mark.parametrize("actor", FOREIGN_READERS)
def test_globex_keys_and_ids_in_acme_queries_find_nothing_of_globex(
    canary: Canary, actor: str
) -> None:
    client = client_for(membership(canary, actor))
    api = ApiClient(token_for(membership(canary, actor)))
    tally = Tally()
    queries = foreign_queries(canary)

    for url, query in queries:
        # What the person typed is shown back to them (the search box, the filters).
        typed = {word.lower() for v in query.values() for word in FOREIGN_MARK.findall(str(v))}
        response = api.get(url, **query) if url.startswith("/api/") else client.get(url, query)
        assert response.status_code < 500, url
        tally.read(f"{url}?{query}", response, extra=canary.foreign_strings, allowed=typed)

    assert tally.leaks == []
    assert tally.answers == len(queries)

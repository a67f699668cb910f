"""The GET forms (list filters, the what-if, the comparison, a prefilled decision) with hostile
query strings: never a server error, and a GET writes nothing, whatever it is asked.

The pages are the GET rows of the permission matrix that carry a query string, read by the
lowest role allowed (the viewer, mostly), their parameters mutated as the forms' fields are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalogue.test_permission_matrix import GET, MATRIX, Entry
from tests.conftest import Cast, client_for

from .conftest import Tally
from .fingerprint import differences, fingerprint
from .helpers import SUPPRESSED, acme_values, actors_for, foreign_items
from .values import Pools, mutated

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = max(1, round(25 * SCALE))
# Parameters every list page reads besides its filters.
COMMON = {"page": ["1", "2", "0", "-1", "last"], "format": ["csv", "xlsx", "json"]}
# A request line longer than a server takes never reaches Django (gunicorn refuses one over
# 4094 bytes; nginx, 8 KB): each value is cut to this many characters. Encoding the drawn
# megabyte-long values for a URL took seconds per example and tested nothing a server sends.
LONGEST_VALUE = 4096


def _as_a_server_takes(query: dict[str, Any]) -> dict[str, Any]:
    def cut(value: Any) -> Any:
        return value[:LONGEST_VALUE] if isinstance(value, str) else value

    return {
        name: [cut(v) for v in value] if isinstance(value, list) else cut(value)
        for name, value in query.items()
    }


@dataclass(frozen=True)
class QueryCase:
    entry: Entry
    actor: str

    @property
    def id(self) -> str:
        return self.entry.id_for(self.actor)


CASES = [
    QueryCase(entry, actors_for(entry.expect)[0])
    for entry in MATRIX
    if entry.method == GET and entry.query and entry.in_org and actors_for(entry.expect)
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_get_form_never_fails_and_never_writes(
    fuzz_clock: None, fuzz_tally: Tally, cast: Cast, case: QueryCase
) -> None:
    foreign = foreign_items(cast)
    client: Client = client_for(getattr(cast, case.actor))
    entry = case.entry

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=SUPPRESSED,
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        with transaction.atomic():
            args = entry.args(cast)
            query = entry.query.format(*getattr(cast, "query_args", []))
            valid: dict[str, Any] = {}
            for name, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
                valid.setdefault(name, []).append(value)
            pools = Pools(
                plausible=sorted({v for vs in valid.values() for v in vs} | set(acme_values(cast))),
                foreign=foreign,
                extra=COMMON,
            )
            asked = _as_a_server_takes(data.draw(mutated(valid, pools), label="query"))
            url = reverse(entry.url_name, args=[cast.world.org.slug, *args])
            headers = {"HX-Request": "true"} if entry.htmx else {}

            before = fingerprint()
            response = client.get(url, asked, headers=headers)
            assert response.status_code < 500, f"{case.id}: {response.status_code}"
            assert differences(before, fingerprint()) == [], f"{case.id}: a GET wrote"
            fuzz_tally.example(f"queries[{case.id}]", response.status_code)
            transaction.set_rollback(True)

    example()

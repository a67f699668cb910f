"""The API's writes with hostile JSON: never a server error, a refusal writes nothing, and every
refusal is the API's JSON error.

Schemathesis (tests/api/test_schema.py) already sends generated requests to every operation and
checks the answers against the document; what it does not check is the database. Here the
write operations of the API's permission matrix (tests/api/test_permissions.py), one row each,
are sent by the lowest role allowed, their valid bodies mutated: fields of
another JSON type, fields gone, unknown fields, bodies that are not objects or not JSON at all.
Each example runs in a rolled-back savepoint and compares the database fingerprint on refusal.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.conftest import token_for
from tests.api.test_permissions import MATRIX, Op, url_of
from tests.conftest import Cast

from .conftest import Tally
from .helpers import SUPPRESSED, Check, acme_values, actors_for, foreign_items
from .values import Pools, controls, huge, mutated_json, texts

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
EXAMPLES = max(1, round(10 * SCALE))
NOT_JSON = ["", "{", "[", '{"name": ', "\x00", "null", "[]", '"text"', "1e999", "{" * 5000]


@dataclass(frozen=True)
class ApiCase:
    op: Op
    actor: str

    @property
    def id(self) -> str:
        return self.op.id_for(self.actor)


def _cases() -> list[ApiCase]:
    """One row per write operation with a body, sent by the lowest role allowed (the forms
    are the focus; this is the database check schemathesis does not make)."""
    cases: dict[tuple[str, str], ApiCase] = {}
    for op in MATRIX:
        actors = actors_for(op.expect)
        if op.method in {"POST", "PATCH"} and op.body is not None and actors:
            cases.setdefault((op.method, op.path), ApiCase(op, actors[0]))
    return list(cases.values())


CASES = _cases()


def _flat_json(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _flat_json(v)]
    if isinstance(value, list):
        return [s for v in value for s in _flat_json(v)]
    return [str(value)] if isinstance(value, str | int) else []


def _send(client: Client, case: ApiCase, url: str, body: str, token: str) -> Any:
    call = client.patch if case.op.method == "PATCH" else client.post
    return call(
        url, body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


def _assert_json_error(response: Any, what: str) -> None:
    if response.status_code < 400:
        return
    assert response["Content-Type"].startswith("application/json"), (
        f"{what}: {response.status_code} is not the API's JSON error: {response.content[:300]!r}"
    )
    assert isinstance(response.json().get("detail"), str), what


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_api_write_never_fails_and_a_refusal_writes_nothing(
    fuzz_clock: None, fuzz_tally: Tally, cast: Cast, case: ApiCase
) -> None:
    foreign = foreign_items(cast)
    token = token_for(getattr(cast, case.actor))
    client = Client()

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
            params = case.op.params(cast)
            valid = case.op.body(cast) if case.op.body is not None else {}
            pools = Pools(
                plausible=sorted(set(_flat_json(valid)) | set(acme_values(cast))),
                foreign=foreign,
            )
            if data.draw(st.integers(0, 9), label="not JSON") == 0:
                body = data.draw(
                    st.one_of(st.sampled_from(NOT_JSON), texts, controls, huge), label="body"
                )
            else:
                body = json.dumps(data.draw(mutated_json(valid, pools), label="body"))
            url = url_of(case.op, cast.world.org.slug, params)
            what = f"{case.id} {case.op.method} {url}"

            check = Check.start()
            response = _send(client, case, url, body, token)
            check.after(response, what)
            _assert_json_error(response, what)
            fuzz_tally.example(f"api[{case.id}]", response.status_code)
            transaction.set_rollback(True)

    example()

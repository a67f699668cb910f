"""Every form of the site, driven by hypothesis with hostile input: never a server error, and a
refusal writes nothing.

The forms are the POST rows of the permission matrix (tests/catalogue/test_permission_matrix.py),
with its URL arguments and valid data builders: a URL added there is fuzzed here too. Each is
posted by the lowest role allowed to use it (and by leadership as well when that role acts
for its own teams only); the sign-in and invitation pages by an anonymous visitor, the staff
page by a staff user.

Each example runs in a savepoint that is rolled back, so every example starts from the same
cast. The builders run, a fingerprint of the database is taken (tests/fuzz/fingerprint.py), the
mutated form is posted (multipart, or urlencoded as a browser sends a form without files),
sometimes to a URL naming another organisation's item or an id no database holds. Then:
no 5xx; and when the answer is a refusal (4xx, or a redirect with an error message) the
fingerprint is unchanged. A success (2xx, 3xx) is not compared: the form legitimately saved.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalogue.test_permission_matrix import MATRIX, POST, Entry
from tests.conftest import Cast

from .conftest import Tally
from .helpers import (
    ALLOWED,
    RANKS,
    SUPPRESSED,
    Check,
    acme_values,
    actors_for,
    client_as,
    flat,
    foreign_items,
)
from .values import Pools, is_file, mutated, path_values

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
FORM_EXAMPLES = max(1, round(16 * SCALE))  # forms with fields
ACTION_EXAMPLES = max(1, round(6 * SCALE))  # buttons: delete, move, close, accept, ...

# Optional fields the valid builders leave out, with likely values.
DECISION_EXTRA = {
    "context": ["Why it matters.", ""],
    "options": ["Keep it; split it.", ""],
    "decision": ["Make it repeatable.", ""],
    "consequences": ["Fewer copies.", ""],
    "review_on": ["2030-01-01", "2020-01-01", ""],
    "flags": [""],
    "supersedes": ["dec-001", ""],
    "merge_into": ["search", "payments", ""],
    "merge_from": ["search", "payments"],
    "enabler_1": ["Payments", "payments", "search"],
    "to_1": ["repeatable", "common", "independent"],
    "enabler_2": ["Search", "Payments"],
    "to_2": ["repeatable", "independent"],
    "report": ["1", ""],
}
NEXT = ["/o/acme/", "//evil.example/", "https://evil.example/x", "javascript:alert(1)"]
EXTRA: dict[str, dict[str, list[str]]] = {
    "assessments:decision_new": DECISION_EXTRA,
    "assessments:decision_edit": DECISION_EXTRA,
    "assessments:import_file": {"replace": ["on", "true", "", "off"]},
    "catalogue:usage_remove": {"next": NEXT},
    "catalogue:enabler_create": {"version": ["1", "0"]},
    "catalogue:backstage_import": {"step": ["upload", "preview", "import"], "digest": [""]},
    "catalogue:enabler_import": {"token": [""]},
    "accept_invitation": {"first_name": ["Ann"], "last_name": ["Lee"]},
    "login": {"next": NEXT},
}
# Site pages: who fills them in.
SITE_ACTORS = {
    "login": ["anonymous"],
    "logout": ["admin"],
    "accept_invitation": ["anonymous"],
    "staff_organisations": ["staff"],
}


@dataclass(frozen=True)
class Case:
    entry: Entry
    actor: str

    @property
    def id(self) -> str:
        return self.entry.id_for(self.actor)

    @property
    def examples(self) -> int:
        return FORM_EXAMPLES if self.entry.data is not None else ACTION_EXAMPLES


def _first_allowed(expect: dict[str, str]) -> list[str]:
    """A site page no one is named for: the first visitor it answers."""
    for actor in ("anonymous", *RANKS):
        if expect[actor] in ALLOWED:
            return [actor]
    return []


def _cases() -> list[Case]:
    cases = []
    for entry in MATRIX:
        if entry.method != POST:
            continue
        if entry.in_org:
            actors = actors_for(entry.expect)
        else:
            actors = SITE_ACTORS.get(entry.name) or _first_allowed(entry.expect)
        cases += [Case(entry, actor) for actor in actors or []]
    return cases


CASES = _cases()


def _url(entry: Entry, cast: Cast, args: list[Any]) -> str:
    prefix = [cast.world.org.slug] if entry.in_org else []
    return reverse(entry.url_name, args=[*prefix, *args])


def _post(client: Client, url: str, data: dict[str, Any], *, urlencoded: bool, htmx: bool) -> Any:
    headers = {"HX-Request": "true"} if htmx else {}
    if urlencoded:
        body = urlencode(data, doseq=True)
        return client.post(
            url, body, content_type="application/x-www-form-urlencoded", headers=headers
        )
    return client.post(url, data, headers=headers)


def _one_example(
    case: Case, cast: Cast, client: Client, foreign: list[str], data: st.DataObject
) -> int:
    """Build, mutate, post and check once; the caller rolls it all back."""
    entry = case.entry
    args = list(entry.args(cast))
    valid = dict(entry.data(cast)) if entry.data is not None else {}
    pools = Pools(
        plausible=sorted(set(flat(valid)) | set(acme_values(cast))),
        foreign=foreign,
        extra=EXTRA.get(entry.url_name, {}),
    )
    url = _url(entry, cast, args)
    if args and data.draw(st.integers(0, 7), label="other URL") == 0:
        at = data.draw(st.integers(0, len(args) - 1), label="argument")
        args[at] = data.draw(path_values(args[at], pools), label="URL argument")
        # A value the URL pattern cannot hold keeps the real address.
        with contextlib.suppress(NoReverseMatch):
            url = _url(entry, cast, args)
    form = data.draw(mutated(valid, pools), label="form")
    has_files = any(is_file(v) for v in form.values())
    urlencoded = not has_files and data.draw(st.booleans(), label="urlencoded")

    check = Check.start()
    response = _post(client, url, form, urlencoded=urlencoded, htmx=entry.htmx)
    check.after(response, f"{case.id} POST {url}")
    return response.status_code


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_form_never_fails_and_a_refusal_writes_nothing(
    fuzz_clock: None, fuzz_tally: Tally, cast: Cast, case: Case
) -> None:
    foreign = foreign_items(cast)
    # Signed in once: a session ended by an example (logout, removal) comes back with the
    # rollback, and a session started by one (sign-in) is rolled back to none.
    client = client_as(cast, case.actor)

    @settings(
        max_examples=case.examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=SUPPRESSED,
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        with transaction.atomic():
            status = _one_example(case, cast, client, foreign, data)
            fuzz_tally.example(f"forms[{case.id}]", status)
            transaction.set_rollback(True)

    example()


def test_every_form_of_the_matrix_is_fuzzed() -> None:
    # Every POST row that anyone may use has someone to post it (an unknown flag action,
    # 404 for everyone, has not); a row added to the matrix is fuzzed without more ado.
    posted = {(case.entry.name, case.entry.target, case.entry.htmx) for case in CASES}
    usable = {
        (e.name, e.target, e.htmx)
        for e in MATRIX
        if e.method == POST and any(status in ALLOWED for status in e.expect.values())
    }
    assert usable - posted == set()
    assert len(posted) >= 75

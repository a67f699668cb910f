"""The Content-Security-Policy is on every page, and no page carries code it would block.

The policy (config/settings.py) allows scripts and styles from our own origin only, so any
inline ``<script>``, ``<style>`` or ``style="..."`` left in a template would be silently
dropped by the browser. These tests fetch every page the permission matrix knows (each as a
role that may see it) and every page of the smoke list, and parse the HTML for such code.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse

from tests.catalogue import test_permission_matrix as matrix
from tests.catalogue.test_smoke_pages import test_admin_sees_every_page
from tests.conftest import Cast, client_for
from tests.production.inline import inline_code, links_in

EXPECTED_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy_of(response: Any) -> dict[str, str]:
    """The response's Content-Security-Policy header as {directive: sources}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_clean_page(response: Any, where: str) -> None:
    assert policy_of(response) == EXPECTED_POLICY, where
    if "text/html" in response.headers.get("Content-Type", ""):
        found = inline_code(response.content.decode())
        assert found == [], f"{where}: inline code the policy blocks: {found}"


# --- the pages ---------------------------------------------------------------------------


def _seen_by(entry: matrix.Entry) -> str:
    """The first role, from the most powerful down, that gets the page itself (200)."""
    for actor in reversed(matrix.ACTORS):
        if entry.expect[actor] == "200":
            return actor
    return "admin"


PAGES = [entry for entry in matrix.MATRIX if entry.method == matrix.GET]
SMOKE = next(m for m in test_admin_sees_every_page.pytestmark if m.name == "parametrize").args[1]


def test_the_lists_of_pages_are_not_empty() -> None:
    # Guards the two imports above: an empty list would make the tests below pass vacuously.
    assert len(PAGES) > 50
    assert len(SMOKE) >= 10


def test_every_page_has_the_policy_and_no_inline_code(cast: Cast) -> None:
    # One cast for all pages, every problem listed at once. Each page runs in a savepoint
    # rolled back after it: the argument builders make objects (a second step, a spare team).
    problems: list[str] = []
    for entry in PAGES:
        with transaction.atomic():
            problems += _problems_of(cast, entry)
            transaction.set_rollback(True)
    assert problems == []


def _problems_of(cast: Cast, entry: matrix.Entry) -> list[str]:
    """What is wrong with one matrix page fetched as the role that may see it."""
    actor = _seen_by(entry)
    prefix = [cast.world.org.slug] if entry.in_org else []
    url = reverse(entry.url_name, args=[*prefix, *entry.args(cast)])
    url += entry.query.format(*getattr(cast, "query_args", []))
    client = client_for(None if actor == "anonymous" else getattr(cast, actor))
    response = matrix.request(client, entry, url, {})
    where = f"{entry.id_for(actor)} ({url})"
    problems = []
    if entry.expect[actor] == "200" and response.status_code != 200:
        problems.append(f"{where}: status {response.status_code}")
    try:
        assert_clean_page(response, where)
    except AssertionError as error:
        problems.append(str(error))
    return problems


# The cast's organisation is small: a timeline with no decision never draws a decision's dot.
# The demo organisations have some of everything, so a crawl of one shows every kind of row.
CRAWL_PAGES_PER_URL_NAME = 2
CRAWL_SKIP = ("/accounts/logout/", "/admin/")


def test_every_page_of_a_demo_organisation_is_clean(db: None, eager_tasks: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    client = Client()
    client.force_login(get_user_model().objects.get(username="northfield-admin"))
    start = "/o/northfield/"
    queue, seen, per_name = [start], {start}, Counter[str]()
    problems: list[str] = []
    fetched = 0
    while queue:
        url = queue.pop(0)
        name = resolve(urlsplit(url).path).view_name
        if per_name[name] >= CRAWL_PAGES_PER_URL_NAME:
            continue
        per_name[name] += 1
        response = client.get(url)
        fetched += 1
        if response.status_code != 200:
            problems.append(f"{url}: status {response.status_code}")
            continue
        try:
            assert_clean_page(response, url)
        except AssertionError as error:
            problems.append(str(error))
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        for href in links_in(response.content.decode()):
            link = urlsplit(href)
            if link.scheme or link.netloc or not link.path.startswith("/"):
                continue  # another site, or a fragment of this page
            target = link.path + (f"?{link.query}" if link.query else "")
            if target not in seen and not target.startswith(CRAWL_SKIP):
                seen.add(target)
                queue.append(target)
    assert problems == []
    # The crawl reached the pages whose rows carry the most markup.
    for name in ("assessments:decision_timeline", "assessments:portfolio", "assessments:balance"):
        assert per_name[name] >= 1, sorted(per_name)
    assert fetched > 40


@pytest.mark.parametrize(("name", "args"), SMOKE)
def test_every_smoke_page_has_the_policy_and_no_inline_code(
    cast: Cast, name: str, args: list[str]
) -> None:
    response = client_for(cast.admin).get(reverse(name, args=["acme", *args]))
    assert response.status_code == 200
    assert_clean_page(response, name)


def test_a_form_refused_with_errors_is_clean_too(cast: Cast) -> None:
    # The 400 answer re-renders the form with its errors: the same rule applies.
    url = reverse("catalogue:enabler_create", args=["acme"])
    response = client_for(cast.admin).post(url, {"name": ""})
    assert response.status_code == 400
    assert_clean_page(response, "enabler_create refused")


@pytest.mark.parametrize("path", ["/accounts/login/", "/o/acme/no-such-page/", "/admin/login/"])
def test_sign_in_error_and_admin_pages_carry_the_policy(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code in {200, 404}
    assert_clean_page(response, path)


def test_the_api_sends_the_policy_on_its_json(cast: Cast) -> None:
    response = client_for(cast.admin).get("/api/openapi.json")
    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_POLICY


# --- the checker itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<style>p { color: red }</style>",
        '<p style="color: red">x</p>',
        '<button onclick="go()">x</button>',
        '<a href="javascript:go()">x</a>',
        '<div hx-on:click="go()">x</div>',
    ],
)
def test_the_checker_finds_inline_code(html: str) -> None:
    assert inline_code(f"<!doctype html><html><body>{html}</body></html>") != []


@pytest.mark.parametrize(
    "html",
    [
        '<script src="/static/app.js" defer></script>',
        '<script type="application/json" id="settings">{"a": 1}</script>',
        '<link rel="stylesheet" href="/static/app.css">',
        '<p class="styled" data-style="x">style="not an attribute"</p>',
    ],
)
def test_the_checker_allows_what_the_policy_allows(html: str) -> None:
    assert inline_code(f"<!doctype html><html><body>{html}</body></html>") == []

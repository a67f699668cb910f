"""In Chromium, the main pages and the API docs run under the Content-Security-Policy with no
violation: the browser reports none in the console, and no ``securitypolicyviolation``
event fires (htmx swaps and Bootstrap's menus included).

Uses the browser set-up of tests/e2e (Debian's Chromium, never a downloaded one).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from assessments.management.commands.seed_demo import DEMO_PASSWORD
from assessments.services import report_compute_now
from catalogue import models as m
from tests.e2e import test_browser as browser
from tests.e2e.conftest import browser_context_args, browser_type_launch_args, page

__all__ = ["browser_context_args", "browser_type_launch_args", "page"]  # fixtures used here

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages of a demo organisation with the most varied markup: lists, details, forms, charts.
MAIN_PAGES = [
    "/o/northfield/",
    "/o/northfield/enablers/",
    "/o/northfield/flags/",
    "/o/northfield/flags/new/",
    "/o/northfield/rounds/",
    "/o/northfield/balance/",
    "/o/northfield/portfolio/",
    "/o/northfield/decisions/",
    "/o/northfield/decisions/timeline/",
    "/o/northfield/journeys/",
    "/o/northfield/members/",
    "/o/northfield/tokens/",
]

# Catches violations the console might word differently: the DOM event carries the directive.
LISTEN = """() => {
  window.__cspViolations = window.__cspViolations || [];
  document.addEventListener('securitypolicyviolation', e =>
    window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
}"""


@pytest.fixture
def demo(transactional_db: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    report_compute_now(organisation=m.Organisation.objects.get(slug="northfield"))


@pytest.fixture
def csp_console(page: Page) -> Iterator[list[str]]:
    """Every console message about the Content Security Policy, collected while the test runs;
    the test fails at the end if there is one."""
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: (
            messages.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None
        ),
    )
    page.add_init_script(f"({LISTEN})()")
    yield messages
    assert messages == [], f"the browser reported CSP violations: {messages}"


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations || []")
    return found


def test_the_main_pages_run_with_no_csp_violation(
    page: Page, live_server: Any, demo: None, csp_console: list[str]
) -> None:
    browser.sign_in(page, "northfield-admin", MAIN_PAGES[0], password=DEMO_PASSWORD)
    for path in MAIN_PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # Bootstrap's script runs (a dropdown opens), which it would not if it were blocked.
        page.get_by_test_id("signed-in-as").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.keyboard.press("Escape")
        assert violations(page) == [], path

    # An htmx swap: the enabler list filters itself without a reload.
    page.goto("/o/northfield/enablers/")
    count = page.get_by_test_id("result-count")
    before = count.inner_text()
    page.get_by_role("searchbox", name="Search").press_sequentially("pay", delay=30)
    expect(page).to_have_url(re.compile(r"q=pay"))
    expect(count).not_to_have_text(before)
    assert violations(page) == []
    assert csp_console == []


def test_the_api_docs_render_under_the_policy(
    page: Page, live_server: Any, demo: None, csp_console: list[str]
) -> None:
    browser.sign_in(page, "northfield-admin", "/o/northfield/", password=DEMO_PASSWORD)
    response = page.goto("/api/docs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI drew the operations from /api/openapi.json, and can expand one.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Enabling Model API")
    operation = page.locator(".opblock").filter(has_text="Who the token acts as")
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    # "Try it out" runs a real request (signed in by the session) and highlights the answer.
    operation.get_by_role("button", name="Try it out").click()
    operation.locator("input[placeholder='org']").fill("northfield")
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".responses-wrapper .live-responses-table")).to_contain_text(
        "northfield-admin"
    )
    assert violations(page) == []

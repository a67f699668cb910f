"""Leadership turns a report finding into a decision, accepts it, and sees the enabler's
classification and the next report change (Chromium, on the demo organisations)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from assessments.selectors import latest_ready_report
from catalogue import models as m
from tests.e2e.test_portfolio import Shot, demo, sign_in  # noqa: F401 - demo is a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("demo")
def test_leadership_turns_a_finding_into_a_decision_and_accepts_it(
    page: Page,
    live_server: Any,
    shot: Shot,
    settings: Any,
) -> None:
    settings.BALANCE_RECOMPUTE_INTERVAL = 0  # the next report at once, not after the interval
    org = m.Organisation.objects.get(slug="kingsbridge")
    report = latest_ready_report(organisation=org)
    assert report is not None
    mismatch = next(f for f in report.result["findings"] if f["kind"] == "classification_mismatch")
    key, suggested = mismatch["enablers"][0], mismatch["evidence"]["suggested"]
    enabler = m.Enabler.objects.for_org(org).get(key=key)
    assert enabler.classification != suggested

    sign_in(page, "kingsbridge-leader", "/o/kingsbridge/portfolio/")
    page.get_by_test_id("decide-classification_mismatch").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("decision")
    expect(page.get_by_label("Title")).to_have_value(re.compile(re.escape(enabler.name)))
    shot(page, "decision-from-finding")
    page.get_by_role("button", name="Propose the decision").click()

    expect(page.get_by_test_id("accept")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DEC-")
    shot(page, "decision-proposed")
    page.get_by_test_id("accept").click()
    expect(page.get_by_text("Accepted").first).to_be_visible()
    shot(page, "decision-accepted")

    enabler.refresh_from_db()
    assert enabler.classification == suggested

    # The enabler's page lists the decision; the next report counts the new classification.
    page.goto(f"/o/kingsbridge/enablers/{key}/")
    expect(page.get_by_text("DEC-").first).to_be_visible()
    shot(page, "enabler-with-decision")
    page.goto("/o/kingsbridge/balance/")
    expect(page.get_by_test_id(f"enabler-{key}")).to_contain_text(suggested, timeout=15_000)
    shot(page, "next-report")
    latest = latest_ready_report(organisation=org)
    assert latest is not None and latest.result["enablers"][key]["declared"] == suggested

"""A flag raised in the browser reaches the balance report, in this tab and in another.

Runs twice in .ci/run: on SQLite with tasks eager (the embedded default: the recompute runs
right after the flag's commit), and on PostgreSQL with Redis and a real worker process,
where the report page also says "Recomputing…" while no worker has taken the task, then
shows the new figures by itself once one does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from assessments.services import report_compute_now
from catalogue import models as m
from tests import worker as w
from tests.conftest import add_member, build_world
from tests.e2e.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Any, str], Path]


def raise_flag(page: Page, summary: str) -> None:
    page.goto("/o/acme/flags/new/?enabler=payments")
    page.get_by_label("Raised by team").select_option("delivery")
    page.get_by_label("Severity").select_option("blocking")
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name=re.compile("^Raise (the )?flag", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(summary)


def test_a_flag_raised_in_one_tab_shows_in_the_report_open_in_another(
    transactional_db: None, page: Page, context: Any, shot: Shot, tmp_path: Path
) -> None:
    world = build_world("acme")
    add_member(world.org, "member", m.Role.TEAM_MEMBER, world.delivery)
    report_compute_now(organisation=world.org)
    with_worker = w.available()
    worker = w.worker_process(tmp_path, "browser") if with_worker else nullcontext()
    with worker:
        sign_in(page, "member", "/o/acme/balance/")
        expect(page.get_by_test_id("report-status")).to_contain_text("Up to date")
        expect(page.get_by_test_id("pressure-payments")).to_have_text("0")

        other = context.new_page()
        started = time.monotonic()
        raise_flag(other, "Refunds take a week")

        # The report tab follows by itself: no reload, no button.
        expect(page.get_by_test_id("pressure-payments")).to_have_text("5", timeout=5_000)
        followed = time.monotonic() - started
        expect(page.get_by_test_id("report-status")).to_contain_text("Up to date")
        shot(page, "report-followed")
        w.record_figure(f"the other tab showed the flag {followed:.2f}s after it was raised")
    if not with_worker:
        return

    # With no worker running, a new flag leaves the report recomputing, and says so...
    raise_flag(other, "Chargebacks stuck")
    other.goto("/o/acme/balance/")
    expect(other.get_by_test_id("report-status")).to_contain_text("Recomputing")
    expect(other.get_by_test_id("pressure-payments")).to_have_text("5")
    shot(other, "recomputing")
    # ...until a worker picks the task up: the page then shows the new figures by itself.
    with w.worker_process(tmp_path, "browser-again"):
        expect(other.get_by_test_id("pressure-payments")).to_have_text("10", timeout=10_000)
        expect(other.get_by_test_id("report-status")).to_contain_text("Up to date")
        shot(other, "new-figures")

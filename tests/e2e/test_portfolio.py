"""Leadership's path through the portfolio in Chromium, on the demo organisations: the
pictures of each delivery model, comparing two reports, a what-if, and the PDF.

Screenshots of every page visited land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from assessments.management.commands.seed_demo import DEMO_PASSWORD
from assessments.selectors import latest_ready_report_id
from assessments.services import flag_raise, report_compute_now
from catalogue import models as m
from tests.e2e import test_browser as browser
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Any, str], Path]


@pytest.fixture
def demo(transactional_db: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    for org in m.Organisation.objects.all():
        report_compute_now(organisation=org, reason="Demo data loaded")


def sign_in(page: Page, username: str, path: str) -> None:
    browser.sign_in(page, username, path, password=DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("slug", "model"), [("northfield", "group"), ("harbour", "track"), ("kingsbridge", "stage")]
)
def test_each_demo_portfolio_draws_its_delivery_model(
    page: Page, live_server: Any, demo: None, shot: Shot, slug: str, model: str
) -> None:
    sign_in(page, f"{slug}-viewer", f"/o/{slug}/portfolio/")

    expect(page.get_by_role("heading", name="Portfolio", level=1)).to_be_visible()
    expect(page.get_by_test_id("inferred-model")).to_have_text(model)
    expect(page.get_by_role("link", name=f"Drawn as {model} (inferred)")).to_have_attribute(
        "aria-current", "true"
    )
    journeys = page.get_by_test_id("chart-journeys")
    expect(journeys.locator("svg[role=img]")).to_be_visible()
    shot(page, f"portfolio-{model}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    journeys.screenshot(path=str(SCREENSHOTS / f"portfolio-journeys-{model}.png"))
    # The text alternative opens from the keyboard.
    journeys.get_by_text("Show the figures as a table").focus()
    page.keyboard.press("Enter")
    expect(journeys.locator("table")).to_be_visible()


def test_leadership_compares_runs_a_what_if_and_downloads_the_pdf(
    page: Page, live_server: Any, demo: None, shot: Shot
) -> None:
    org = m.Organisation.objects.get(slug="harbour")
    before_flag = latest_ready_report_id(organisation=org)
    enabler = m.Enabler.objects.for_org(org).filter(lifecycle="active").order_by("key").first()
    team = m.Team.objects.for_org(org).get(key="clubs-fitness")
    assert enabler is not None
    flag_raise(
        organisation=org,
        team=team,
        enabler=enabler,
        offering=None,
        journey=None,
        severity="blocking",
        summary="Cannot release",
        details="",
        actor=m.Membership.objects.for_org(org).get(user__username="harbour-member").user,
    )
    report_compute_now(organisation=org, reason="Flag raised")

    sign_in(page, "harbour-leader", "/o/harbour/portfolio/")
    shot(page, "portfolio")

    # Compare: the reports list picks the two newest by default.
    page.get_by_role("link", name="All reports and compare").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    page.get_by_label(re.compile("^Compare from the report of")).nth(0).wait_for()
    page.locator(f"#a-{before_flag}").check()  # from the report before the flag
    shot(page, "reports")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare reports", level=1)).to_be_visible()
    expect(page.get_by_test_id("row-score")).to_be_visible()
    # The new blocking flag: one more open flag.
    expect(page.get_by_test_id("row-open-flags")).to_contain_text("+1")
    shot(page, "compare")

    # What if: one enabler made independent, chosen by name from the list.
    page.get_by_role("link", name="Portfolio", exact=True).first.click()
    page.get_by_role("link", name="What if…").click()
    expect(page.get_by_role("heading", name="What if…", level=1)).to_be_visible()
    page.get_by_label("Enabler 1").fill(enabler.name)
    target = "independent" if enabler.classification != "independent" else "repeatable"
    page.get_by_label("Would become (1)").select_option(target)
    page.get_by_role("button", name="Show what would change").click()
    outcome = page.get_by_test_id("what-if-outcome")
    expect(outcome).to_contain_text(enabler.name)
    expect(outcome.get_by_test_id("comparison-mix")).to_be_visible()
    shot(page, "what-if")
    enabler.refresh_from_db()
    assert enabler.classification != target  # nothing was changed

    # A row that cannot be tried says why, next to it.
    page.get_by_label("Enabler 2").fill("No such enabler")
    page.get_by_label("Would become (2)").select_option("common")
    page.get_by_role("button", name="Show what would change").click()
    expect(page.locator("#id_enabler_2-error")).to_contain_text("No proposed or active enabler")
    expect(page.get_by_label("Enabler 2")).to_have_attribute("aria-invalid", "true")
    shot(page, "what-if-error")

    # The PDF, from the portfolio's download menu.
    page.goto("/o/harbour/portfolio/")
    page.get_by_role("button", name="Download").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = PdfReader(download.path())
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Harbour Health & Leisure: portfolio report" in text
    assert "Journeys" in text and enabler.name in text
    assert len(pdf.pages) >= 2


def test_the_portfolio_fits_a_phone(page: Page, live_server: Any, demo: None, shot: Shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "kingsbridge-viewer", "/o/kingsbridge/portfolio/")
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    shot(page, "phone")
    assert sizes["scroll"] <= sizes["client"], sizes

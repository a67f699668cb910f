"""The Backstage import in Chromium, on a phone: upload, preview, change a choice, import."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from catalogue import models as m
from tests.conftest import PASSWORD, add_member, build_world
from tests.e2e import conftest as e2e

# The browser fixtures of tests/e2e (system Chromium, live server, screenshots).
browser_type_launch_args = e2e.browser_type_launch_args
browser_context_args = e2e.browser_context_args
page = e2e.page
shot = e2e.shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILES = Path(__file__).parent / "files"
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_leader_previews_and_imports_on_a_phone(
    page: Page, shot: Callable[[Any, str], Path], transactional_db: None
) -> None:
    world = build_world("acme")
    add_member(world.org, "leader", m.Role.LEADERSHIP)
    page.set_viewport_size(PHONE)
    path = "/o/acme/import/backstage/"
    page.goto(path)
    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Import from Backstage")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "upload")

    page.get_by_label("Descriptor files").set_input_files(
        [str(FILES / name) for name in ("org.yaml", "catalog-info.yaml", "ops.yaml")]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Nothing has been written yet.")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "preview")

    page.get_by_label("Components become").select_option("offering")
    page.get_by_role("button", name="Preview again").click()
    expect(page.get_by_label("Components become")).to_have_value("offering")
    expect(page.get_by_test_id("rows-offering")).to_contain_text("checkout-service")

    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("status")).to_contain_text("Backstage import done")
    shot(page, "done")
    assert m.Offering.objects.for_org(world.org).filter(key="checkout-service").exists()

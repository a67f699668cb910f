"""A real user's path through the catalogue in Chromium: sign in, filter, edit in place, reorder.

Each test builds its own organisation with ``build_world`` (plus a second organisation whose
records must never show) and signs in through the login form. Screenshots of every page
visited land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from catalogue import models as m
from tests import factories as f
from tests.conftest import PASSWORD, World, add_member, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Shot = Callable[[Any, str], Path]


@dataclass
class Scene:
    world: World
    leader: m.Membership
    viewer: m.Membership


@pytest.fixture
def scene(transactional_db: None) -> Scene:
    world = build_world("acme")
    build_world("globex")  # its Payments and Search must never appear in acme's pages
    org = world.org
    f.EnablerFactory(
        organisation=org,
        key="payments-analytics",
        name="Payments analytics",
        capability="payments",
        classification=m.Classification.INDEPENDENT,
        kind=m.EnablerKind.DATA,
    )
    f.EnablerFactory(
        organisation=org,
        key="identity",
        name="Identity",
        capability="sign-in",
        classification=m.Classification.REPEATABLE,
    )
    f.EnablerFactory(
        organisation=org,
        key="booking",
        name="Booking platform",
        capability="booking",
        classification=m.Classification.INDEPENDENT,
    )
    return Scene(
        world=world,
        leader=add_member(org, "leader", m.Role.LEADERSHIP),
        viewer=add_member(org, "viewer", m.Role.VIEWER),
    )


def sign_in(page: Page, username: str, path: str, password: str = PASSWORD) -> None:
    """Open ``path``, get sent to the login form, sign in and land back on ``path``."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def mark_document(page: Page) -> None:
    """Tag the loaded document; a full reload would lose the tag."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was fully reloaded"


def tab_to(page: Page, label: str, limit: int = 60) -> None:
    """Press Tab until the focused element is the one named ``label`` (by aria-label)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? (e.getAttribute('aria-label') || e.textContent.trim()) : null }"
        )
        if focused == label:
            return
        seen.append(focused)
    raise AssertionError(f"Tab never reached {label!r}; focus went through {seen}")


def step_names(page: Page) -> list[str]:
    return page.locator("#steps tr[data-step]").evaluate_all(
        "rows => rows.map(r => r.dataset.step)"
    )


def test_sign_in_through_the_login_form(
    page: Page, live_server: Any, scene: Scene, shot: Shot
) -> None:
    page.goto("/o/acme/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/o/acme/"))
    expect(page.get_by_role("heading", name="Sign in to Enabling Model")).to_be_visible()
    shot(page, "login")

    page.get_by_label("Username").fill("leader")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form")).to_contain_text("correct username and password")
    shot(page, "login-refused")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_test_id("signed-in-as")).to_have_text(re.compile(r"leader\W+Leadership"))
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Acme Ltd")
    shot(page, "home")


def test_find_an_enabler_with_the_filters(
    page: Page, live_server: Any, scene: Scene, shot: Shot
) -> None:
    sign_in(page, "viewer", "/o/acme/enablers/")
    count = page.get_by_test_id("result-count")
    rows = page.locator("#results tbody tr")
    expect(count).to_have_text("5 enablers.")
    expect(rows).to_have_count(5)
    shot(page, "enablers-all")
    mark_document(page)

    # Typing in the search box asks htmx for the results (debounced) and pushes the URL.
    page.get_by_role("searchbox", name="Search").press_sequentially("pay", delay=40)
    expect(page).to_have_url(re.compile(r"/o/acme/enablers/\?(.*&)?q=pay(&|$)"))
    expect(count).to_have_text("2 enablers match the filters.")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Payments")
    expect(rows.nth(1)).to_contain_text("Payments analytics")
    shot(page, "enablers-search")

    # A select narrows it further, again without a reload.
    page.get_by_label("Classification", exact=True).select_option("independent")
    expect(page).to_have_url(re.compile(r"classification=independent"))
    expect(page).to_have_url(re.compile(r"q=pay"))
    expect(count).to_have_text("1 enabler matches the filters.")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Payments analytics")
    assert_same_document(page)
    shot(page, "enablers-search-and-select")

    # Back restores the previous results; the pushed URL works as a link of its own.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"classification=independent"))
    expect(count).to_have_text("2 enablers match the filters.")
    page.goto("/o/acme/enablers/?q=pay&classification=independent")
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Classification", exact=True)).to_have_value("independent")

    rows.first.get_by_role("link", name="Payments analytics").click()
    expect(page).to_have_url(re.compile(r"/o/acme/enablers/payments-analytics/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payments analytics")
    shot(page, "enabler-detail-viewer")


def test_edit_the_classification_in_place(
    page: Page, live_server: Any, scene: Scene, shot: Shot
) -> None:
    sign_in(page, "leader", "/o/acme/enablers/payments/")
    field = page.locator("#classification-field")
    select = page.get_by_label("Classification", exact=True)
    expect(select).to_have_value("common")
    shot(page, "enabler-before")
    mark_document(page)

    select.select_option("repeatable")
    field.get_by_role("button", name="Save").click()
    expect(field.get_by_role("status")).to_have_text("Saved")
    expect(select).to_have_value("repeatable")
    assert_same_document(page)
    shot(page, "enabler-saved")

    payments = m.Enabler.objects.for_org(scene.world.org).get(key="payments")
    assert payments.classification == m.Classification.REPEATABLE
    assert payments.version == 2

    page.reload()
    expect(select).to_have_value("repeatable")
    expect(field.get_by_role("status")).to_have_count(0)  # the note is for the save only
    expect(page.get_by_role("list").filter(has_text="changed classification")).to_contain_text(
        "leader"
    )
    shot(page, "enabler-reloaded")


def test_edit_two_fields_in_place_one_after_the_other(
    page: Page, live_server: Any, scene: Scene, shot: Shot
) -> None:
    sign_in(page, "leader", "/o/acme/enablers/search/")
    page.get_by_label("Classification", exact=True).select_option("repeatable")
    page.locator("#classification-field").get_by_role("button", name="Save").click()
    expect(page.locator("#classification-field").get_by_role("status")).to_have_text("Saved")

    page.get_by_label("Lifecycle", exact=True).select_option("deprecated")
    page.locator("#lifecycle-field").get_by_role("button", name="Save").click()
    try:
        expect(page.locator("#lifecycle-field").get_by_role("status")).to_have_text("Saved")
    finally:
        shot(page, "enabler-two-fields")
    search = m.Enabler.objects.for_org(scene.world.org).get(key="search")
    assert (search.classification, search.lifecycle) == ("repeatable", "deprecated")


def test_add_a_journey_step_and_reorder_with_the_keyboard(
    page: Page, live_server: Any, scene: Scene, shot: Shot
) -> None:
    sign_in(page, "leader", "/o/acme/journeys/weekly-shop/")
    steps = page.locator("#steps")
    assert step_names(page) == ["Browse"]
    shot(page, "journey-before")
    mark_document(page)

    # Add a step (htmx swaps the steps section in place).
    steps.get_by_label("Name").fill("Pay")
    steps.get_by_label("Offering").select_option(label="Shop")
    steps.get_by_label("Checkout").check()
    steps.get_by_role("button", name="Add step").click()
    expect(steps.locator("tr[data-step]")).to_have_count(2)
    expect(page.locator("#steps-status")).to_have_text("Step added.")
    assert step_names(page) == ["Browse", "Pay"]
    expect(steps.get_by_label("Name")).to_have_value("")  # a fresh form for the next step
    assert_same_document(page)
    shot(page, "journey-step-added")

    # Move "Pay" up: Tab to its button from the section heading and press Enter.
    page.get_by_role("heading", name="Steps", exact=True).click()
    tab_to(page, "Move “Pay” up")
    page.keyboard.press("Enter")
    expect(page.locator("#steps-status")).to_have_text("Steps updated.")
    expect(steps.locator("tr[data-step]").first).to_have_attribute("data-step", "Pay")
    assert step_names(page) == ["Pay", "Browse"]
    expect(steps.locator(".journey-line li").first).to_contain_text("Pay")
    shot(page, "journey-moved-up")

    # And back down with Space.
    page.get_by_role("heading", name="Steps", exact=True).click()
    tab_to(page, "Move “Pay” down")
    page.keyboard.press("Space")
    expect(steps.locator("tr[data-step]").first).to_have_attribute("data-step", "Browse")
    assert step_names(page) == ["Browse", "Pay"]
    assert_same_document(page)
    shot(page, "journey-moved-down")

    journey = scene.world.journey
    stored = list(journey.steps.order_by("position").values_list("name", "position"))
    assert stored == [("Browse", 1), ("Pay", 2)]

    page.reload()
    assert step_names(page) == ["Browse", "Pay"]


def test_keyboard_focus_stays_in_the_steps_after_a_move(
    page: Page, live_server: Any, scene: Scene
) -> None:
    journey = scene.world.journey
    m.JourneyStep.objects.create(
        organisation=scene.world.org,
        journey=journey,
        position=2,
        name="Pay",
        offering=scene.world.shop,
    )
    sign_in(page, "leader", "/o/acme/journeys/weekly-shop/")
    page.get_by_role("heading", name="Steps", exact=True).click()
    tab_to(page, "Move “Browse” down")
    page.keyboard.press("Enter")
    expect(page.locator("#steps-status")).to_have_text("Steps updated.")
    assert step_names(page) == ["Pay", "Browse"]
    focused_in_steps = page.evaluate("document.activeElement.closest('#steps') !== null")
    assert focused_in_steps, "focus left the steps after moving one"


@pytest.mark.parametrize(
    "path",
    [
        "/o/acme/enablers/",
        "/o/acme/enablers/payments/",
        "/o/acme/journeys/weekly-shop/",
        "/o/acme/",
    ],
)
def test_no_horizontal_overflow_at_phone_width(
    page: Page, live_server: Any, scene: Scene, shot: Shot, path: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "leader", path)
    expect(page.locator("h1")).to_be_visible()
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1"
        " && !e.closest('.table-responsive, .visually-hidden, .visually-hidden-focusable'))"
        ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"
    )
    shot(page, "phone")
    assert sizes["scroll"] <= sizes["client"], f"overflows sideways: {sizes}, widest: {wide}"

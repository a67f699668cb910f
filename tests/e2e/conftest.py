"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

We never download a browser (no ``playwright install``): pytest-playwright's own fixtures are
kept, but ``browser_type_launch_args`` points them at ``/usr/bin/chromium`` (or
``$CHROMIUM_PATH``). Where that binary is missing every browser test is skipped with a
message saying how to install it; ``.ci/run`` fails the build if that happens.

Works under pytest-xdist: each worker process has its own live server, test database and
browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an asyncio loop in the test thread, which Django's async-safety
# check would take for an async context: allow the ORM there (test code only).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    f"Chromium not found at {CHROMIUM}; install Debian's package with "
    "`apt-get install -y chromium` (never `playwright install`)"
)
TIMEOUT_MS = 10_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def chromium_available() -> bool:
    return bool(shutil.which(CHROMIUM))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, pointed at the system Chromium."""
    if not chromium_available():
        pytest.skip(INSTALL_HINT)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
        "chromium_sandbox": False,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], live_server: Any) -> dict[str, Any]:
    """Relative URLs in ``page.goto`` resolve against this worker's live server."""
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "locale": "en-GB",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page with a 10 s default timeout for actions and for ``expect``."""
    from playwright.sync_api import expect

    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    new_page = context.new_page()
    new_page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    new_page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} from {r.request.method} {r.url}")
            if r.status >= 500
            else None
        ),
    )
    yield new_page
    assert not errors, f"the browser saw errors: {errors}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "step")`` saves a full-page PNG to test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")

    def take(target_page: Any, step: str) -> Path:
        path = SCREENSHOTS / f"{test}--{step}.png"
        target_page.screenshot(path=str(path), full_page=True)
        return path

    return take

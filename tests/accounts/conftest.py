"""Accounts tests run with the sign-in lockout on (the suite's conftest turns it off)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _lockout_on(settings):  # type: ignore[no-untyped-def]
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = 15 / 60  # hours
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]

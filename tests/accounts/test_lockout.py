"""Sign-in lockout: five failures for one username from one address pause that pair."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from catalogue.models import AuditEvent, AuditKind
from tests.conftest import PASSWORD, Cast

from .helpers import ADDRESS, is_signed_in, sign_in


def lock_out(client: Client, username: str = "member", address: str = ADDRESS) -> None:
    for _ in range(5):
        sign_in(client, username, "not-the-password", address)


def test_four_failures_leave_the_form_and_the_fifth_locks_out(cast: Cast) -> None:
    client = Client()
    for _ in range(4):
        response = sign_in(client, "member", "not-the-password")
        assert response.status_code == 200
        assert b"Please enter a correct username and password" in response.content
    response = sign_in(client, "member", "not-the-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Too many failed sign-ins</h1>" in page
    assert "Try again in 15 minutes." in page


def test_a_locked_out_pair_is_refused_even_with_the_right_password(cast: Cast) -> None:
    client = Client()
    lock_out(client)
    response = sign_in(client, "member", PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)


def test_the_lockout_is_keyed_on_username_and_address_together(cast: Cast) -> None:
    lock_out(Client())
    elsewhere = Client()
    assert sign_in(elsewhere, "member", PASSWORD, address="198.51.100.9").status_code == 302
    assert is_signed_in(elsewhere)
    someone_else = Client()
    assert sign_in(someone_else, "viewer", PASSWORD).status_code == 302
    assert is_signed_in(someone_else)


def test_the_lockout_ends_after_the_cool_off(cast: Cast) -> None:
    client = Client()
    lock_out(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "member", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_the_page_says_how_long_the_configured_lockout_lasts(cast: Cast, settings) -> None:
    settings.AXES_COOLOFF_TIME = 30 / 60
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        assert sign_in(client, "member", "nope").status_code == 200
    response = sign_in(client, "member", "nope")
    assert response.status_code == 429
    assert "Try again in 30 minutes." in response.content.decode()


def test_a_successful_sign_in_starts_the_count_again(cast: Cast) -> None:
    client = Client()
    for _ in range(4):
        sign_in(client, "member", "not-the-password")
    assert sign_in(client, "member", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert sign_in(client, "member", "not-the-password").status_code == 200


def test_failures_and_the_lockout_are_in_the_audit_log(cast: Cast) -> None:
    lock_out(Client())
    failed = AuditEvent.objects.unscoped().filter(kind=AuditKind.LOGIN_FAILED)
    assert failed.count() == 5
    assert {(e.user_id, e.username, e.address) for e in failed} == {
        (cast.member.user_id, "member", ADDRESS)
    }
    locked = AuditEvent.objects.unscoped().get(kind=AuditKind.LOCKED_OUT)
    assert (locked.user_id, locked.address, locked.organisation_id) == (
        cast.member.user_id,
        ADDRESS,
        None,
    )


def test_a_failed_sign_in_for_no_such_account_names_no_one(cast: Cast) -> None:
    sign_in(Client(), "nobody-here", "whatever")
    event = AuditEvent.objects.unscoped().get(kind=AuditKind.LOGIN_FAILED)
    assert (event.user_id, event.username) == (None, "nobody-here")


def _settings_under(env: dict[str, str]) -> list[str]:
    """Settings as a fresh process reads them with ``env`` (the module reads env at import)."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; "
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, round(s.AXES_COOLOFF_TIME * 60), s.SESSION_COOKIE_AGE, "
        "s.AXES_LOCKOUT_PARAMETERS == [['username', 'ip_address']], s.AXES_ENABLED)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in env}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_lockout_and_idle_timeout_come_from_the_environment() -> None:
    assert _settings_under(
        {"LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "30", "SESSION_COOKIE_AGE": "600"}
    ) == ["3", "30", "600", "True", "True"]
    assert _settings_under(
        {"LOGIN_FAILURE_LIMIT": "", "LOGIN_LOCKOUT_MINUTES": "", "SESSION_COOKIE_AGE": ""}
    ) == ["5", "15", str(8 * 3600), "True", "True"]


def test_the_lockout_is_recorded_after_the_failure_that_caused_it(cast: Cast) -> None:
    lock_out(Client())
    kinds = list(AuditEvent.objects.unscoped().order_by("id").values_list("kind", flat=True))
    assert kinds == [AuditKind.LOGIN_FAILED] * 5 + [AuditKind.LOCKED_OUT]


def test_each_attempt_during_the_lockout_is_recorded_as_failed_and_locked_out(cast: Cast) -> None:
    client = Client()
    lock_out(client)
    sign_in(client, "member", PASSWORD)
    kinds = list(AuditEvent.objects.unscoped().order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [AuditKind.LOGIN_FAILED, AuditKind.LOCKED_OUT]

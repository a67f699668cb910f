"""Production settings, read from the environment as `make serve` and a real deployment set it.

Settings are read once per process, so each case runs Django in a child process with the
environment under test (the test process itself runs with the development defaults).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = secrets.token_urlsafe(50)

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": "enabling.example.org",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SITE_URL": "https://enabling.example.org",
}

# Prints the settings and the headers of real requests, as JSON, from inside the child.
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client

def headers(response):
    return {k.lower(): v for k, v in response.headers.items()} | {"status": response.status_code}

client = Client(HTTP_HOST="enabling.example.org")
print(json.dumps({
    "settings": {name: getattr(settings, name, None) for name in [
        "DEBUG", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
        "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
        "MIDDLEWARE", "STORAGES",
    ]},
    "http": headers(client.get("/api/openapi.json")),
    "https": headers(client.get("/api/openapi.json", secure=True)),
    "proxied": headers(client.get("/api/openapi.json", HTTP_X_FORWARDED_PROTO="https")),
}, default=list))
"""


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``args`` in a child Python with the test's environment overlaid by ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def probe(env: dict[str, str]) -> dict[str, Any]:
    result = run(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    return probe(PRODUCTION_ENV)


def test_check_deploy_is_clean_in_production() -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_check_deploy_warns_with_development_settings() -> None:
    # The check above can fail: with DEBUG on it finds the missing headers and cookies.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on
    assert "security.W004" in result.stderr  # no HSTS
    assert "enabling.W001" in result.stderr  # emails written to the console
    assert "enabling.W002" in result.stderr  # links in emails to 127.0.0.1


@pytest.mark.parametrize(
    ("name", "value", "warning"),
    [
        ("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend", "enabling.W001"),
        ("SITE_URL", "http://enabling.example.org", "enabling.W002"),
        ("SITE_URL", "https://localhost:8000", "enabling.W002"),
    ],
)
def test_check_deploy_warns_of_emails_that_cannot_reach_anyone(
    name: str, value: str, warning: str
) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION_ENV, name: value},
    )
    assert result.returncode != 0
    assert warning in result.stderr


def test_production_refuses_to_start_with_the_default_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_turns_on_https_and_secure_cookies(production: dict[str, Any]) -> None:
    found = production["settings"]
    assert found["DEBUG"] is False
    assert found["SECURE_HSTS_SECONDS"] == 31_536_000
    assert found["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert found["SECURE_HSTS_PRELOAD"] is True
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert found["SECURE_REFERRER_POLICY"] == "same-origin"


def test_production_serves_static_files_with_whitenoise(production: dict[str, Any]) -> None:
    found = production["settings"]
    middleware = found["MIDDLEWARE"]
    # Right after the security middleware, before anything that would touch the session.
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == security + 1
    storage = found["STORAGES"]["staticfiles"]["BACKEND"]
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_development_keeps_plain_static_files() -> None:
    # The manifest exists only after collectstatic: tests and `make run` must not need it.
    # This test process runs with the development settings.
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in settings.MIDDLEWARE
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert settings.SESSION_COOKIE_SECURE is False


def test_plain_http_is_sent_to_https(production: dict[str, Any]) -> None:
    answer = production["http"]
    assert answer["status"] == 301
    assert answer["location"] == "https://enabling.example.org/api/openapi.json"


def test_https_answers_carry_the_security_headers(production: dict[str, Any]) -> None:
    answer = production["https"]
    assert answer["status"] == 200
    assert answer["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert answer["x-content-type-options"] == "nosniff"
    assert answer["referrer-policy"] == "same-origin"
    assert answer["x-frame-options"] == "DENY"
    assert answer["cross-origin-opener-policy"] == "same-origin"
    assert "script-src 'self'" in answer["content-security-policy"]
    assert "frame-ancestors 'none'" in answer["content-security-policy"]


def test_a_request_the_tls_proxy_marks_as_https_is_taken_as_https(
    production: dict[str, Any],
) -> None:
    answer = production["proxied"]
    assert answer["status"] == 200
    assert "strict-transport-security" in answer


def test_the_smoke_run_can_turn_the_redirect_off() -> None:
    found = probe({**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": "0"})
    assert found["settings"]["SECURE_SSL_REDIRECT"] is False
    assert found["http"]["status"] == 200
    assert "strict-transport-security" not in found["http"]  # HSTS is for HTTPS answers only

"""What the accounts tests share: signing in through the real login page, from an address."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse

ADDRESS = "203.0.113.5"


def sign_in(client: Client, username: str, password: str, address: str = ADDRESS) -> Any:
    """POST the login form as a browser at ``address`` would."""
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_signed_in(client: Client) -> bool:
    """The site's home answers a signed-in person; anyone else is sent to the login page."""
    response = client.get(reverse("home"))
    return not (response.status_code == 302 and response["Location"].startswith(reverse("login")))

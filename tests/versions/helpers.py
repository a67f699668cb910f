"""What two people do in these tests: read a page's form, change it, send it back."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.conftest import Cast, client_for


def url(name: str, *args: Any) -> str:
    app = (
        "catalogue"
        if name.split("_")[0] in {"offering", "journey", "step", "enabler"}
        else "assessments"
    )
    return reverse(f"{app}:{name}", args=["acme", *args])


def values(form: Any) -> dict[str, Any]:
    """The form as the page shows it, as a browser would send it back unchanged."""
    sent: dict[str, Any] = {}
    for field in form:
        value = field.value()
        if value is None:
            value = ""
        elif isinstance(value, (list, tuple)):
            value = [str(v) for v in value]
        sent[field.name] = value
    return sent


def open_form(client: Client, path: str) -> dict[str, Any]:
    """GET the edit page: its form's values, the version among them."""
    response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    return values(response.context["form"])


def two_editors(cast: Cast) -> tuple[Client, Client]:
    """Leadership and the admin: both may edit every kind under test."""
    return client_for(cast.leader), client_for(cast.admin)

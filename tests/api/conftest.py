"""API tests: a client that sends a personal token of one member of the cast."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from catalogue import models as m
from catalogue import services


class ApiClient:
    """Django's test client speaking JSON with ``Authorization: Bearer <token>``."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _send(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        call = getattr(self.client, method)
        if method in {"get", "delete"} and body is None:
            return call(path, query or None, headers=self.headers)
        return call(path, json.dumps(body), content_type="application/json", headers=self.headers)

    def get(self, path: str, **query: Any) -> Any:
        return self._send("get", path, **query)

    def post(self, path: str, body: Any = None) -> Any:
        return self._send("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self._send("delete", path)


def token_for(membership: m.Membership, name: str = "tests") -> str:
    return services.token_create(membership=membership, name=name, valid_days=30)[1]


@pytest.fixture
def api_as():  # type: ignore[no-untyped-def]
    """``api_as(cast.viewer)``: a JSON client acting with that member's token."""

    def make(membership: m.Membership | None) -> ApiClient:
        return ApiClient(token_for(membership) if membership is not None else None)

    return make

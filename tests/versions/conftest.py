"""Concurrent edits: the API client of tests/api, shared here."""

from tests.api.conftest import api_as  # noqa: F401  (a fixture, used by name)

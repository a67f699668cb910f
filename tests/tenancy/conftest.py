from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction

from tests.conftest import Cast

from .planting import Canary, plant


@pytest.fixture
def canary(cast: Cast) -> Canary:
    return plant(cast)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a step and undo what it wrote, so every step starts from the planted canary."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)

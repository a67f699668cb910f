"""Listeners for what catalogue announces."""

from __future__ import annotations

import logging
from typing import Any

from . import services

log = logging.getLogger(__name__)


def queue_recompute(sender: Any, *, organisation_id: int, reason: str = "", **kwargs: Any) -> None:
    """An input of the balance method changed and committed: make sure a recompute comes.

    Runs after commit. If queuing fails (the broker is down), the change is already safe in
    the database and the sweeper queues the recompute later.
    """
    try:
        services.recompute_if_stale(organisation_id=organisation_id, reason=reason.capitalize())
    except Exception:
        log.exception("Could not queue a recompute for organisation %s", organisation_id)

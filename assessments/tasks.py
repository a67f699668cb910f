"""Celery entry points: take ids, load, call one service, own retries and logging.

The database, not the broker, is the truth of what needs recomputing: a lost task is
found again by ``sweep_stale_reports`` (Celery beat, every BALANCE_SWEEP_SECONDS).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from . import services

log = logging.getLogger(__name__)


def keep_worker_alive_on_broker_loss() -> None:
    """Work around Celery 5.7.0 / kombu 5.7.0 killing the worker when the Redis connection
    drops while the worker holds an unacknowledged message (a task running, or waiting out
    its countdown: the recompute interval makes that common). The consumer closes the
    connection it has just collected, and a channel of it then asks its transport, which no
    longer has a client, where Redis is: to hand the message back, or later to acknowledge a
    task that finished meanwhile. That AttributeError is "unrecoverable": the worker exits
    and no report is recomputed until someone restarts it (found by .ci/faults.py).

    Raising a connection error there instead lets every caller do what it does when Redis
    is away (the consumer reconnects; a lost acknowledgement is logged). The message stays
    the broker's to redeliver; lost with a restarted Redis, its pending report is queued
    again by the sweeper.
    """
    try:
        import redis
    except ImportError:  # no Redis client, so no Redis broker
        return
    from kombu.transport.redis import Channel

    original = Channel._connparams  # type: ignore[attr-defined]
    if getattr(original, "keeps_worker_alive", False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was closed")
        return original(self, asynchronous)

    _connparams.keeps_worker_alive = True  # type: ignore[attr-defined]
    Channel._connparams = _connparams  # type: ignore[attr-defined]


keep_worker_alive_on_broker_loss()

# Errors worth trying again: the database went away or was locked for a moment.
DATABASE_ERRORS = services.DATABASE_ERRORS


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
)
def compute_balance_report(self: Any, report_id: int) -> str:
    """Compute one pending balance report, unless a stored one already covers its inputs.

    Running it twice, or two at once, stores at most one report per generation.
    """
    try:
        outcome = services.report_run(report_id=report_id, task_id=self.request.id or "")
    except DATABASE_ERRORS as error:
        # Back off 1, 2, 4 … 32 seconds; the sweeper covers a task that gives up.
        countdown = min(2**self.request.retries, 32)
        log.warning("Balance report %s: database error, retrying in %ss", report_id, countdown)
        raise self.retry(exc=error, countdown=countdown) from error
    except Exception:
        # report_run stored the failure on the report and logged it; the page says so.
        return "failed"
    return outcome


@shared_task(acks_late=True)
def sweep_stale_reports() -> list[int]:
    """Queue a recompute for every organisation whose balance report is stale."""
    return services.reports_sweep()


@shared_task(acks_late=True)
def send_notification_digests() -> int:
    """Email each person one digest of their new notifications."""
    return services.digests_send()


@shared_task(acks_late=True)
def send_round_reminders() -> int:
    """Remind teams with enablers left to assess when a round's due date is near."""
    return services.round_reminders_send()


@shared_task(acks_late=True)
def send_decision_review_reminders() -> int:
    """Tell proposers and leadership about decisions whose review date has passed."""
    return services.decision_reviews_remind()


@shared_task(acks_late=True)
def prune_old_reports() -> int:
    """Delete balance reports older than BALANCE_REPORT_RETENTION_DAYS (0: keep all), keeping
    one per month, the latest and any a decision links to. Returns how many went."""
    from django.conf import settings

    days = settings.BALANCE_REPORT_RETENTION_DAYS
    if days <= 0:
        return 0
    result = services.reports_prune(older_than_days=days)
    log.info("Pruned %s balance reports older than %s days", len(result.deleted), days)
    return len(result.deleted)

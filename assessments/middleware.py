"""Periodic jobs for the embedded default, where no Celery beat runs.

With a broker, Celery beat runs the jobs of CELERY_BEAT_SCHEDULE. Without one (``make run``
on SQLite, tasks eager), this middleware runs the same jobs after a web request when they
are due, at most one request at a time, so digests go out, reminders are sent and stale
reports are found without a second process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

_lock = threading.Lock()
_last_run: dict[str, float] = {}


def run_due_jobs(now: float | None = None) -> list[str]:
    """Run each periodic job whose interval has passed since it last ran here."""
    from celery.utils.imports import symbol_by_name

    now = time.monotonic() if now is None else now
    ran: list[str] = []
    if not _lock.acquire(blocking=False):
        return ran  # another request is running them
    try:
        schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE
        for name, entry in schedule.items():
            last = _last_run.get(name)
            if last is not None and now - last < float(entry["schedule"]):
                continue
            _last_run[name] = now
            try:
                # By dotted path: the web process may not have imported the tasks module yet.
                symbol_by_name(entry["task"]).apply()
            except Exception:
                log.exception("Periodic job %s failed", name)
            ran.append(name)
    finally:
        _lock.release()
    return ran


class PeriodicJobsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        if settings.RUN_PERIODIC_JOBS_IN_WEB:
            run_due_jobs()
        return response

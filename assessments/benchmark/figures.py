"""From measurements to the figures of bench-results.json: page latencies as ratios to the
floor, the time from a flag to its fresh report, the issue's targets, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from ..models import BalanceReport, ReportStatus
from ..selectors import latest_ready_generation, organisation_generation
from .load import Session, percentile
from .scene import FLOOR, Scene

FRESH_TIMEOUT_S = 120.0
POLL_S = 0.02


def page_rows(
    scene: Scene,
    latencies_ms: dict[str, list[float]],
    *,
    page_size: str,
    queries_by_size: dict[str, dict[str, int]],
) -> list[dict[str, Any]]:
    """One row per main page: its queries, median and 95th percentile latency, and the
    median as a ratio to the floor's, measured in the same run."""
    floor_median = statistics.median(latencies_ms[FLOOR])
    rows = []
    for page in scene.pages:
        if page.name == FLOOR:
            continue
        values = latencies_ms[page.name]
        median = statistics.median(values)
        rows.append(
            {
                "name": page.name,
                "path": page.path,
                "queries": queries_by_size[page_size][page.name],
                "queries_by_size": {
                    size: counts[page.name] for size, counts in queries_by_size.items()
                },
                "requests": len(values),
                "median_ms": round(median, 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "floor_median_ms": round(floor_median, 1),
                "ratio": round(median / floor_median, 2),
            }
        )
    return rows


def _wait_fresh(scene: Scene, generation: int, deadline: float) -> bool:
    organisation = scene.organisation
    while time.perf_counter() < deadline:
        latest = latest_ready_generation(organisation)
        if latest is not None and latest >= generation:
            return True
        time.sleep(POLL_S)
    return False


def flag_to_report(scene: Scene, base: str, runs: int) -> list[float]:
    """Seconds from sending a flag (the form, over HTTP) to a ready report that includes it,
    ``runs`` times. The flags go out after pauses spread evenly from none to the recompute
    interval, so some meet a quiet pipeline and some one that has just recomputed (and must
    wait out the interval). A run that times out counts as FRESH_TIMEOUT_S."""
    session = Session(base)
    session.sign_in(scene.username, scene.password)
    organisation = scene.organisation
    if not _wait_fresh(
        scene, organisation_generation(organisation), time.perf_counter() + FRESH_TIMEOUT_S
    ):
        raise RuntimeError("the scene's report is not fresh")
    interval = settings.BALANCE_RECOMPUTE_INTERVAL
    seconds = []
    for run in range(runs):
        time.sleep(interval * run / max(1, runs - 1))
        started = time.perf_counter()
        status = session.post_form(
            scene.flag_path,
            {
                "team": scene.team.key,
                "enabler": scene.flag_enabler.key,
                "severity": "high",
                "summary": f"Benchmark flag {run + 1}: releases wait on this",
            },
        )
        if status != 302:
            raise RuntimeError(f"raising a flag: {status}")
        generation = organisation_generation(organisation)
        _wait_fresh(scene, generation, started + FRESH_TIMEOUT_S)
        seconds.append(round(time.perf_counter() - started, 3))
    session.close()
    # A recompute queued after the last fresh report (it finds nothing to do) is let run, so
    # no task is left waiting in the queue, nor a pending report in the database.
    deadline = time.perf_counter() + interval + FRESH_TIMEOUT_S
    unfinished = BalanceReport.objects.for_org(organisation).filter(
        status__in=(ReportStatus.PENDING, ReportStatus.RUNNING)
    )
    while unfinished.exists() and time.perf_counter() < deadline:
        time.sleep(POLL_S * 10)
    return seconds


def targets(
    recompute: list[dict[str, Any]], pages: list[dict[str, Any]], flag_p95_s: float | None
) -> list[dict[str, Any]]:
    """The issue's targets, each with its figure and PASS or MISS."""
    rows = []

    def add(target: str, figure: str, met: bool) -> None:
        rows.append({"target": target, "figure": figure, "result": "PASS" if met else "MISS"})

    by_size = {figure["size"]: figure for figure in recompute}
    reference = by_size.get("reference")
    if reference is not None:
        add(
            "recompute at the reference size under 2 s",
            f"{reference['total_s']:.3f} s",
            reference["total_s"] < 2,
        )
        large = by_size.get("4x")
        if large is not None:
            growth = large["total_s"] / reference["total_s"]
            add(
                "recompute at 4x under 5x the reference time",
                f"{growth:.2f}x ({large['total_s']:.3f} s)",
                growth < 5,
            )
    for page in pages:
        limit = 6 if page["name"] == "portfolio" else 4
        add(
            f"{page['name']}: median within {limit}x the floor",
            f"{page['ratio']:.2f}x ({page['median_ms']:.1f} / {page['floor_median_ms']:.1f} ms)",
            page["ratio"] <= limit,
        )
    if flag_p95_s is not None:
        add(
            "flag to fresh report under 5 s (95th percentile)",
            f"{flag_p95_s:.2f} s",
            flag_p95_s < 5,
        )
    return rows


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def broker() -> str:
    """The broker without credentials, or how tasks run without one."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "none: tasks run in the web process (the embedded default)"
    url = urlsplit(settings.CELERY_BROKER_URL)
    return f"{url.scheme}://{url.hostname}:{url.port}{url.path}"


def machine() -> dict[str, Any]:
    version = ".".join(str(part) for part in connection.get_database_version())
    return {
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "system": platform.platform(),
        "python": platform.python_version(),
        "database": f"{connection.vendor} {version}",
        "broker": broker(),
    }

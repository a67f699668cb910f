"""The generated organisations, one per size, and the time of a recompute of each."""

from __future__ import annotations

import statistics
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Enabler, EnablerUsage, JourneyStep, Offering, Organisation

from ..balance.bench import generate
from ..generate import SIZES, organisation_write, sized
from ..models import BottleneckFlag
from ..services import report_compute_now
from .scene import statistics_refresh


def bench_slug(size: str) -> str:
    return f"bench-{size}"


def organisation_for_size(*, size: str, seed: int = 1, regenerate: bool = False) -> Organisation:
    """The generated organisation ``bench-<size>``; made (or, with ``regenerate``, made
    again) when missing. Same seed and size, same organisation."""
    slug = bench_slug(size)
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None or regenerate:
        data = generate(seed, **sized(SIZES[size]))
        organisation = organisation_write(slug=slug, name=f"Benchmark {size}", data=data)
    return organisation


def organisation_counts(organisation: Organisation) -> dict[str, int]:
    """What the organisation holds, counted in the database (not what was asked for)."""
    return {
        "offerings": Offering.objects.for_org(organisation).count(),
        "enablers": Enabler.objects.for_org(organisation).count(),
        "usages": EnablerUsage.objects.for_org(organisation).count(),
        "steps": JourneyStep.objects.for_org(organisation).count(),
        "flags": BottleneckFlag.objects.for_org(organisation).count(),
    }


def recompute_figures(
    organisations: dict[str, Organisation], *, repeat: int = 3
) -> list[dict[str, Any]]:
    """Time ``repeat`` recomputes of each organisation (size → organisation), the sizes taking
    turns (small, reference, 4×, then again), so a stretch where the machine runs slower
    falls on every size alike rather than on one: the 4× to reference ratio moved from 4.1×
    to 5.3× between two runs when each size was timed in a block of its own. Per size, in
    the order given: the medians of each part, the queries of one, and what the
    organisation holds. The reports are deleted afterwards.

    The database's statistics are refreshed first (statistics_refresh, as autovacuum does
    soon after a bulk load), so each recompute reads the tables as a live installation
    holds them, not as the generator's bulk load left them."""
    statistics_refresh()
    runs: dict[str, list[tuple[Any, int]]] = {size: [] for size in organisations}
    for _ in range(repeat):
        for size, organisation in organisations.items():
            connection.queries_log.clear()  # the capture counts on a bounded log
            with CaptureQueriesContext(connection) as queries:
                report, timings = report_compute_now(organisation=organisation, reason="benchmark")
            runs[size].append((timings, len(queries)))
            report.delete()  # keep the database small
    return [
        {
            "size": size,
            **organisation_counts(organisation),
            "load_s": round(statistics.median(t.load_s for t, _ in runs[size]), 3),
            "compute_s": round(statistics.median(t.compute_s for t, _ in runs[size]), 3),
            "store_s": round(statistics.median(t.store_s for t, _ in runs[size]), 3),
            "total_s": round(statistics.median(t.total_s for t, _ in runs[size]), 3),
            "queries": runs[size][-1][1],
            "database": connection.vendor,
        }
        for size, organisation in organisations.items()
    ]

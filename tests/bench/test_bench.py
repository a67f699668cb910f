"""`manage.py bench` and `bench_recompute`: they run, and write every figure the issue asks
for. No timing is asserted: the figures are the machine's, not the code's."""

from __future__ import annotations

import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from assessments.benchmark.figures import targets
from assessments.benchmark.load import percentile, schedule

RECOMPUTE_KEYS = {
    "size",
    "offerings",
    "enablers",
    "usages",
    "steps",
    "flags",
    "load_s",
    "compute_s",
    "store_s",
    "total_s",
    "queries",
}
PAGE_KEYS = {"name", "queries", "median_ms", "p95_ms", "floor_median_ms", "ratio"}
MAIN_PAGES = {
    "home",
    "enabler_list",
    "enabler_list_filtered",
    "enabler_detail",
    "journey_detail",
    "team_todo",
    "flag_list",
    "portfolio",
    "decision_list",
}


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(20, 0, -1)]  # 20 … 1, unsorted on purpose
    assert percentile(values, 0.95) == 19
    assert percentile(values, 0.5) == 10
    assert percentile([3.0], 0.95) == 3


def _page(name: str, ratio: float) -> dict[str, object]:
    return {"name": name, "ratio": ratio, "median_ms": ratio * 10, "floor_median_ms": 10.0}


def test_each_round_asks_for_every_page_once_in_a_shuffled_order() -> None:
    pages = [{"name": str(n), "path": f"/{n}/"} for n in range(10)]
    sent = [p["name"] for p in schedule(pages, 50, seed=7)]
    rounds = [sent[i : i + 10] for i in range(0, len(sent), 10)]
    assert len(rounds) == 50 and all(sorted(r) == sorted(map(str, range(10))) for r in rounds)
    assert len({tuple(r) for r in rounds}) > 40  # the order changes from round to round
    # Each page follows each other page about equally often (no fixed neighbours).
    after = {pair for r in rounds for pair in itertools.pairwise(r)}
    assert len(after) == 90
    assert sent == [p["name"] for p in schedule(pages, 50, seed=7)]  # the same for a seed


def test_the_portfolio_may_take_six_times_the_floor_other_pages_four() -> None:
    rows = targets([], [_page("portfolio", 5.5), _page("home", 4.0), _page("flag_list", 4.5)], 4.9)
    assert [row["result"] for row in rows] == ["PASS", "PASS", "MISS", "PASS"]


def test_recompute_targets_compare_4x_with_the_reference() -> None:
    recompute = [{"size": "reference", "total_s": 1.5}, {"size": "4x", "total_s": 7.6}]
    rows = targets(recompute, [], None)
    assert [(row["target"], row["result"]) for row in rows] == [
        ("recompute at the reference size under 2 s", "PASS"),
        ("recompute at 4x under 5x the reference time", "MISS"),
    ]


@pytest.mark.django_db
def test_bench_recompute_prints_counts_and_timings_per_size() -> None:
    out = io.StringIO()
    call_command("bench_recompute", "--sizes", "small", "--repeat", "1", "--json", stdout=out)
    (figure,) = json.loads(out.getvalue())["recompute"]
    assert set(figure) >= RECOMPUTE_KEYS
    assert figure["size"] == "small"
    assert figure["enablers"] == 500 and figure["steps"] == 20 * 8
    assert figure["total_s"] > 0 and figure["queries"] > 0


@pytest.mark.django_db
def test_recomputes_of_the_sizes_take_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each size is timed once a round, in turns, so a slow stretch of the machine falls on
    every size rather than on one; each size's figures are the medians of its own runs."""
    from types import SimpleNamespace

    from assessments.benchmark import recompute
    from tests import factories as f

    first: Any = f.OrganisationFactory(slug="one")
    second: Any = f.OrganisationFactory(slug="two")
    order: list[str] = []
    seconds = itertools.count(1)

    def timed(*, organisation: object, reason: str) -> tuple[object, object]:
        order.append(organisation.slug)  # type: ignore[attr-defined]
        total = float(next(seconds))
        timings = SimpleNamespace(load_s=total, compute_s=0.0, store_s=0.0, total_s=total)
        return SimpleNamespace(delete=lambda: None), timings

    monkeypatch.setattr(recompute, "report_compute_now", timed)
    figures = recompute.recompute_figures({"small": first, "reference": second}, repeat=3)
    assert order == ["one", "two"] * 3
    assert [(fig["size"], fig["total_s"]) for fig in figures] == [
        ("small", 3.0),  # the median of 1, 3, 5
        ("reference", 4.0),  # of 2, 4, 6
    ]


def test_bench_runs_end_to_end_and_writes_every_figure(tmp_path: Path) -> None:
    # A database of its own, in a file: gunicorn, a separate process, must see it.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_", "PYTEST_")) and k != "DATABASE_URL"
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    manage = [sys.executable, "manage.py"]
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True}
    migrated = subprocess.run([*manage, "migrate", "--noinput"], **run)  # type: ignore[call-overload]
    assert migrated.returncode == 0, migrated.stderr
    output = tmp_path / "bench-results.json"
    bench = [
        *manage,
        "bench",
        "--sizes=small",
        "--repeat=1",
        "--rounds=2",
        "--clients=2",
        "--warmup=0",
        "--flag-runs=1",
        f"--output={output}",
    ]
    done = subprocess.run(bench, timeout=300, **run)  # type: ignore[call-overload]
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    results = json.loads(output.read_text())
    (figure,) = results["recompute"]
    assert set(figure) >= RECOMPUTE_KEYS and figure["size"] == "small"
    assert {page["name"] for page in results["pages"]} == MAIN_PAGES
    for page in results["pages"]:
        assert set(page) >= PAGE_KEYS
        assert page["queries"] > 0 and page["median_ms"] > 0 and page["ratio"] > 0
    assert results["flag_to_report_p95_s"] > 0
    assert "PASS" in done.stdout or "MISS" in done.stdout

"""python manage.py bench (make bench): the benchmark of issue 9, written to bench-results.json.

1. Generates an organisation per size (bench-small, bench-reference, bench-4x) and times a
   recompute of each (load, compute, store) with its queries, as bench_recompute does.
2. Adds what the pages need to the page size's organisation (reference by default): an admin
   in the busiest team, decisions, an open round, a fresh report. Counts each main page's
   queries per request here, with django.test.Client, at that size and the smallest.
3. Starts gunicorn in production mode (config/gunicorn.py, DJANGO_DEBUG=0, a fresh secret key)
   on 127.0.0.1 against the same database, and a Celery worker when a broker is configured.
4. A second process (assessments.benchmark.load) signs in and requests every main page and
   the floor (a trivial organisation page) round-robin from several clients; each page's
   median and 95th percentile latency, and its median as a ratio to the floor's.
5. Raises flags through the form and times each until a ready report includes it.

Prints the figures and a PASS or MISS line per target of the issue; fails on none of them.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from assessments.benchmark import figures, servers
from assessments.benchmark.load import percentile
from assessments.benchmark.recompute import organisation_for_size, recompute_figures
from assessments.benchmark.scene import bench_admin, page_queries, scene_prepare
from assessments.generate import SIZES

from .bench_recompute import recompute_line

LOGS = Path(settings.BASE_DIR) / "test-artifacts"


class Command(BaseCommand):
    help = "Benchmark recomputes, the main pages under load and a flag's way to the report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes", default="small,reference,4x", help="from: " + ", ".join(SIZES)
        )
        parser.add_argument(
            "--page-size", help="the size whose pages are measured (reference, else the largest)"
        )
        parser.add_argument("--repeat", type=int, default=3, help="recomputes per size")
        parser.add_argument(
            "--rounds",
            type=int,
            default=200,
            help="requests per page (enough that the medians settle: 80 moved them by a fifth)",
        )
        parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
        parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page")
        parser.add_argument("--flag-runs", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--reuse", action="store_true", help="keep bench organisations already generated"
        )
        parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: any free)")
        parser.add_argument("--output", default="bench-results.json")

    def say(self, started: float, message: str) -> None:
        self.stdout.write(f"[{time.perf_counter() - started:6.1f}s] {message}")
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sizes = options["sizes"].split(",")
        unknown = [size for size in sizes if size not in SIZES]
        if unknown:
            raise CommandError(f"Unknown size {unknown[0]!r}: choose from {', '.join(SIZES)}.")
        page_size = options["page_size"] or (
            "reference" if "reference" in sizes else max(sizes, key=SIZES.__getitem__)
        )
        if page_size not in SIZES:
            raise CommandError(f"Unknown size {page_size!r}: choose from {', '.join(SIZES)}.")
        machine = figures.machine()
        self.say(started, f"database {machine['database']}; broker {machine['broker']}")

        # 1. recompute: every size generated, then timed in turns
        organisations = {}
        for size in sizes:
            organisation = organisation_for_size(
                size=size, seed=options["seed"], regenerate=not options["reuse"]
            )
            organisations[size] = organisation
            self.say(started, f"organisation {organisation.slug} ready")
        recompute = recompute_figures(organisations, repeat=options["repeat"])
        for figure in recompute:
            self.say(started, recompute_line(figure, options["repeat"]))

        # 2. the pages' scene and their queries, at the page size and the smallest
        if page_size not in organisations:
            organisations[page_size] = organisation_for_size(
                size=page_size, seed=options["seed"], regenerate=not options["reuse"]
            )
        user, password = bench_admin()
        scene = scene_prepare(
            organisation=organisations[page_size],
            scale=SIZES[page_size],
            user=user,
            password=password,
        )
        queries_by_size = {page_size: page_queries(scene)}
        smallest = min(sizes, key=SIZES.__getitem__)
        if smallest != page_size:
            small_scene = scene_prepare(
                organisation=organisations[smallest],
                scale=SIZES[smallest],
                user=user,
                password=password,
            )
            queries_by_size[smallest] = page_queries(small_scene)
        self.say(started, f"pages of {scene.organisation.slug}: queries {queries_by_size}")

        # 3-5. the servers, the load, the flags
        connections.close_all()  # the servers get the database to themselves while measured
        port = servers.free_port(options["port"])
        base = f"http://127.0.0.1:{port}"
        env = servers.production_env(port=port, queue=f"bench-{os.getpid()}")
        children = []
        try:
            servers.collectstatic(env)
            children.append(servers.gunicorn_start(env, LOGS / "bench-gunicorn.log"))
            self.say(
                started, f"gunicorn serving on {base} (log: test-artifacts/bench-gunicorn.log)"
            )
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                children.append(servers.worker_start(env, LOGS / "bench-worker.log"))
                self.say(started, "Celery worker ready (log: test-artifacts/bench-worker.log)")
            load = self.load(scene, base, options)
            self.say(
                started,
                f"load: {options['rounds']} requests per page from {options['clients']} clients "
                f"in {load['seconds']} s",
            )
            if load["errors"]:
                raise CommandError(f"Pages that did not answer 200: {load['errors']}")
            pages = figures.page_rows(
                scene, load["latencies_ms"], page_size=page_size, queries_by_size=queries_by_size
            )
            flag_seconds = (
                figures.flag_to_report(scene, base, options["flag_runs"])
                if options["flag_runs"]
                else []
            )
        finally:
            for child in reversed(children):
                child.stop()

        flag_p95 = percentile(flag_seconds, 0.95) if flag_seconds else None
        results = {
            "recompute": recompute,
            "pages": pages,
            "flag_to_report_p95_s": flag_p95,
            "flag_to_report_s": flag_seconds,
            "flag_to_report_median_s": statistics.median(flag_seconds) if flag_seconds else None,
            "page_size": page_size,
            "load": {
                "requests_per_page": options["rounds"],
                "clients": options["clients"],
                "seconds": load["seconds"],
                "server": "gunicorn, config/gunicorn.py (gthread), DJANGO_DEBUG=0",
                "workers": int(env.get("WEB_CONCURRENCY", "2")),
                "threads": int(env.get("GUNICORN_THREADS", "4")),
            },
            "recompute_interval_s": settings.BALANCE_RECOMPUTE_INTERVAL,
            "machine": machine,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
        }
        results["targets"] = figures.targets(recompute, pages, flag_p95)
        Path(options["output"]).write_text(json.dumps(results, indent=2) + "\n")
        self.report(results)
        self.say(started, f"written to {options['output']}")

    def load(self, scene: Any, base: str, options: dict[str, Any]) -> dict[str, Any]:
        """The load generator, in a process of its own; its latencies."""
        plan = {
            "base": base,
            "username": scene.username,
            "password": scene.password,
            "pages": [{"name": p.name, "path": p.path} for p in scene.pages],
            "rounds": options["rounds"],
            "clients": options["clients"],
            "warmup": options["warmup"],
            "seed": options["seed"],
        }
        done = subprocess.run(
            [sys.executable, "-m", "assessments.benchmark.load"],
            cwd=settings.BASE_DIR,
            input=json.dumps(plan).encode(),
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise CommandError(f"The load generator failed:\n{done.stderr.decode()[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def report(self, results: dict[str, Any]) -> None:
        write = self.stdout.write
        write("")
        write(f"Pages of bench-{results['page_size']} ({connection.vendor}):")
        write(f"  {'page':<22} {'queries':>7} {'median':>9} {'p95':>9} {'floor':>7} {'ratio':>6}")
        for page in results["pages"]:
            write(
                f"  {page['name']:<22} {page['queries']:>7} {page['median_ms']:>7.1f}ms "
                f"{page['p95_ms']:>7.1f}ms {page['floor_median_ms']:>5.1f}ms "
                f"{page['ratio']:>5.2f}x"
            )
        if results["flag_to_report_s"]:
            write(
                f"Flag to fresh report: p95 {results['flag_to_report_p95_s']:.2f} s, median "
                f"{results['flag_to_report_median_s']:.2f} s over {len(results['flag_to_report_s'])} "
                f"flags ({results['machine']['broker']})"
            )
        write("")
        for target in results["targets"]:
            write(f"{target['result']}  {target['target']}: {target['figure']}")
        if results["page_size"] != "reference" or connection.vendor != "postgresql":
            write("(the targets are set for the reference size on PostgreSQL)")

"""python manage.py bench_recompute: time a recompute (load, compute, store) of generated
organisations and count its queries. Prints figures; asserts nothing."""

from __future__ import annotations

import json
import statistics
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.balance.bench import generate
from assessments.generate import SIZES, organisation_write, sized
from assessments.models import BalanceReport
from assessments.services import report_compute_now
from catalogue.models import Organisation


class Command(BaseCommand):
    help = "Time balance recomputes of generated organisations (small, reference, 4x)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="small,reference", help="from: " + ", ".join(SIZES))
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--regenerate", action="store_true")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        figures = []
        for size in options["sizes"].split(","):
            counts = sized(SIZES[size])
            slug = f"bench-{size}"
            org = Organisation.objects.filter(slug=slug).first()
            if org is None or options["regenerate"]:
                data = generate(options["seed"], **counts)
                org = organisation_write(slug=slug, name=f"Benchmark {size}", data=data)
            runs = []
            for _ in range(options["repeat"]):
                connection.queries_log.clear()  # the capture counts on a bounded log
                with CaptureQueriesContext(connection) as queries:
                    _, timings = report_compute_now(organisation=org, reason="benchmark")
                runs.append((timings, len(queries)))
            BalanceReport.objects.for_org(org).delete()  # keep the database small
            figure = {
                "size": size,
                **counts,
                "load_s": round(statistics.median(t.load_s for t, _ in runs), 3),
                "compute_s": round(statistics.median(t.compute_s for t, _ in runs), 3),
                "store_s": round(statistics.median(t.store_s for t, _ in runs), 3),
                "total_s": round(statistics.median(t.total_s for t, _ in runs), 3),
                "queries": runs[-1][1],
                "database": connection.vendor,
            }
            figures.append(figure)
            if not options["json"]:
                self.stdout.write(
                    f"{size:<10} offerings {counts['offerings']:>5} enablers {counts['enablers']:>6} "
                    f"usages {counts['usages']:>6}  load {figure['load_s']:.3f}s  "
                    f"compute {figure['compute_s']:.3f}s  store {figure['store_s']:.3f}s  "
                    f"total {figure['total_s']:.3f}s  queries {figure['queries']}  "
                    f"({connection.vendor}, median of {options['repeat']})"
                )
        if options["json"]:
            self.stdout.write(json.dumps({"recompute": figures}, indent=2))

"""python manage.py bench_recompute: time a recompute (load, compute, store) of generated
organisations and count its queries. Prints figures; asserts nothing. `manage.py bench`
(make bench) runs the same and measures the pages too."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from assessments.benchmark.recompute import organisation_for_size, recompute_figures
from assessments.generate import SIZES


def recompute_line(figure: dict[str, Any], repeat: int) -> str:
    return (
        f"{figure['size']:<10} offerings {figure['offerings']:>5} "
        f"enablers {figure['enablers']:>6} usages {figure['usages']:>6} "
        f"steps {figure['steps']:>5} flags {figure['flags']:>5}  "
        f"load {figure['load_s']:.3f}s  compute {figure['compute_s']:.3f}s  "
        f"store {figure['store_s']:.3f}s  total {figure['total_s']:.3f}s  "
        f"queries {figure['queries']}  ({figure['database']}, median of {repeat})"
    )


class Command(BaseCommand):
    help = "Time balance recomputes of generated organisations (small, reference, 4x)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="small,reference", help="from: " + ", ".join(SIZES))
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--regenerate", action="store_true")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = {}
        for size in options["sizes"].split(","):
            if size not in SIZES:
                raise SystemExit(f"Unknown size {size!r}: choose from {', '.join(SIZES)}.")
            organisations[size] = organisation_for_size(
                size=size, seed=options["seed"], regenerate=options["regenerate"]
            )
        figures = recompute_figures(organisations, repeat=options["repeat"])
        if options["json"]:
            self.stdout.write(json.dumps({"recompute": figures, "database": connection.vendor}))
            return
        for figure in figures:
            self.stdout.write(recompute_line(figure, options["repeat"]))

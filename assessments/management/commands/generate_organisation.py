"""python manage.py generate_organisation SLUG [--scale 1.0] [--seed 1]: a large test
organisation, the same for the same seed and scale (reference scale: 1,000 offerings,
200 journeys of 8 steps, 5,000 enablers, 50,000 usages, 20,000 assessments, 5,000 flags)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assessments.balance.bench import generate
from assessments.generate import organisation_write, sized


class Command(BaseCommand):
    help = "Generate a large organisation deterministically (replaces one with that slug)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        sizes = sized(options["scale"])
        data = generate(options["seed"], **sizes)
        organisation_write(slug=options["slug"], name=f"Generated {options['slug']}", data=data)
        self.stdout.write(
            f"Organisation '{options['slug']}' generated in {time.perf_counter() - started:.1f}s: "
            + ", ".join(f"{name} {value}" for name, value in sizes.items())
        )

"""python manage.py export_organisation SLUG [--output FILE] [--format yaml|json]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.orgfile import export_organisation
from catalogue.models import Organisation


class Command(BaseCommand):
    help = "Write an organisation as an organisation file (format enabling-model/1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organisation's slug")
        parser.add_argument("--output", "-o", help="write to this file instead of stdout")
        parser.add_argument(
            "--format",
            choices=["yaml", "json"],
            help="yaml (the default) or json; a --output ending in .json means json",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Admin tooling: the organisation is found by slug, across organisations.
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug '{options['slug']}'.")
        output = options.get("output")
        fmt = options.get("format") or (
            "json" if output and output.lower().endswith(".json") else "yaml"
        )
        text = export_organisation(organisation, fmt=fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {organisation.slug} to {output} ({fmt}).")
        else:
            self.stdout.write(text, ending="")

"""python manage.py import_backstage SLUG FILE [FILE ...] [--dry-run] [--map KIND=TARGET ...]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.backstage import CHOICES, BackstageError, MappingError, parse_map_options
from catalogue.backstage_import import Preview, backstage_import, backstage_preview
from catalogue.models import Organisation


class Command(BaseCommand):
    help = (
        "Import Backstage catalog descriptor files (catalog-info.yaml) into an organisation: "
        "groups become teams, domains business areas, systems offerings, components and "
        "resources enablers. Prints the preview; writes it unless --dry-run. Files with "
        "problems are refused whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organisation's slug")
        parser.add_argument("files", nargs="+", metavar="FILE", help="descriptor files (YAML)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the preview, write nothing"
        )
        choices = "; ".join(
            f"{kind}: {', '.join(t.value for t in targets)}" for kind, targets in CHOICES.items()
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="KIND=TARGET",
            help=f"what a kind becomes, instead of the default ({choices})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug “{options['slug']}”.")
        try:
            mapping = parse_map_options(options["map"])
        except MappingError as error:
            raise CommandError(str(error)) from None
        files = [self.read(path) for path in distinct_paths(options["files"])]
        try:
            if options["dry_run"]:
                preview = backstage_preview(organisation=organisation, files=files, mapping=mapping)
                if preview.problems:
                    raise BackstageError(preview.problems)
            else:
                # No actor: history and recent changes name nobody, as for other commands.
                preview = backstage_import(organisation=organisation, files=files, mapping=mapping)
        except BackstageError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''}; nothing was imported."
            ) from None
        self.report(organisation, preview, dry_run=options["dry_run"])

    def read(self, path: Path) -> tuple[str, str]:
        try:
            return str(path), path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not UTF-8 text.") from None
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None

    def report(self, organisation: Organisation, preview: Preview, *, dry_run: bool) -> None:
        if dry_run:
            head = "Dry run, nothing written"
        elif preview.counts.changed:
            head = "Imported"
        else:
            head = "Nothing to import"
        self.stdout.write(f"{head} ({organisation.slug}): {preview.describe()}.")
        for line in [*preview.tallies(), *preview.lines()]:
            self.stdout.write(f"  {line}")


def distinct_paths(names: list[str]) -> list[Path]:
    """The paths named, each file once: overlapping shell patterns (``*.yaml */*.yaml``
    with ``**``) name a file twice, and every entity in it would then clash with itself."""
    seen: set[Path] = set()
    paths = []
    for name in names:
        path = Path(name)
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            paths.append(path)
    return paths

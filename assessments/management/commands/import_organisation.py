"""python manage.py import_organisation FILE [--replace]: load an organisation file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.orgfile import OrganisationFileError
from assessments.services import organisation_file_import


class Command(BaseCommand):
    help = (
        "Import an organisation file (YAML or JSON, format enabling-model/1): creates the "
        "organisation or updates it by key. A file with problems is refused whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the organisation file (.yaml, .yml or .json)")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="also remove items (flags, assessments and decisions included) that the "
            "file does not list; memberships, history and reports are kept",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
        try:
            summary = organisation_file_import(
                content, filename=path.name, replace=options["replace"]
            )
        except OrganisationFileError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            count = len(error.problems)
            raise CommandError(
                f"{path}: {count} problem{'s' if count != 1 else ''}; nothing was imported."
            ) from None
        org = summary.organisation
        verb = "Created" if summary.organisation_created else "Updated"
        self.stdout.write(f"{verb} {org.name} ({org.slug}): {summary.describe()}.")
        for line in summary.lines():
            self.stdout.write(f"  {line}")

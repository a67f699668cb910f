"""python manage.py prune_reports [--older-than DAYS] [--dry-run] [--organisation SLUG]."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assessments.services import PrunedReport, reports_prune
from catalogue.models import Organisation


def _days(value: str) -> int:
    """A whole number of days, at least 1 (0 would prune everything up to now)."""
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise CommandError(
            f"--older-than must be a whole number of days, at least 1 (got {value!r})."
        )
    return days


def _line(verb: str, report: PrunedReport) -> str:
    when = timezone.localtime(report.when).strftime("%Y-%m-%d %H:%M")
    because = f"  {report.kept_because}" if report.kept_because else ""
    return f"  {verb:<12} {report.organisation}  report {report.id}  {report.status:<6} {when}{because}"


class Command(BaseCommand):
    help = (
        "Delete ready and failed balance reports older than a number of days, keeping per "
        "organisation the last report of each calendar month, the latest ready report and "
        "any report a decision links to. Defaults to BALANCE_REPORT_RETENTION_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="DAYS",
            help="prune reports older than this many days (default: BALANCE_REPORT_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would go, delete nothing"
        )
        parser.add_argument("--organisation", metavar="SLUG", help="only this organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["older_than"] is not None:
            days = _days(str(options["older_than"]))
        elif settings.BALANCE_REPORT_RETENTION_DAYS > 0:
            days = settings.BALANCE_REPORT_RETENTION_DAYS
        else:
            self.stdout.write(
                "Report retention is off (BALANCE_REPORT_RETENTION_DAYS is 0): every report is "
                "kept. Pass --older-than DAYS to prune anyway."
            )
            return
        organisation = None
        if options["organisation"]:
            # Admin tooling: the organisation is found by slug, across organisations.
            organisation = Organisation.objects.filter(slug=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with the slug '{options['organisation']}'.")
        result = reports_prune(
            older_than_days=days, organisation=organisation, dry_run=options["dry_run"]
        )
        cutoff = timezone.localtime(result.cutoff).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            f"Reports before {cutoff} ({days} days ago)"
            + (f" in {organisation.slug}" if organisation else "")
            + (", dry run: nothing is deleted" if result.dry_run else "")
            + ":"
        )
        verb = "would delete" if result.dry_run else "delete"
        for report in sorted(
            [*result.deleted, *result.kept], key=lambda r: (r.organisation, r.when, r.id)
        ):
            self.stdout.write(_line("keep" if report.kept_because else verb, report))
        self.stdout.write(
            f"{'Would delete' if result.dry_run else 'Deleted'} {len(result.deleted)} "
            f"report{'s' if len(result.deleted) != 1 else ''}; kept {len(result.kept)} older "
            f"and {result.newer} newer."
        )

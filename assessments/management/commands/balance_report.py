"""python manage.py balance_report SLUG [--json]: compute a report now and print it."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.services import report_compute_now
from catalogue.models import Organisation


class Command(BaseCommand):
    help = "Compute the organisation's balance report now, store it, and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organisation's slug")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["slug"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug '{options['slug']}'.")
        report, _ = report_compute_now(organisation=organisation, reason="balance_report command")
        if options["json"]:
            self.stdout.write(
                json.dumps(report.result, indent=2, sort_keys=True, ensure_ascii=False)
            )
        else:
            self.stdout.write(render_text(organisation, report.result))


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


def render_text(organisation: Organisation, result: dict[str, Any]) -> str:
    """The report as readable text for a terminal."""
    m = result.get("measures", {})
    lines = [
        f"Balance report: {organisation.name} ({organisation.slug})",
        "",
        f"Delivery model   declared {result.get('declared_model') or 'not declared'}, "
        f"inferred {result.get('inferred_model')}, in force {result.get('model_in_force')}",
        f"Measures         clusters {_num(m.get('clusters'))}, within {_num(m.get('within_overlap'))}, "
        f"across {_num(m.get('across_overlap'))}, mean overlap {_num(m.get('mean_overlap'))}, "
        f"diversity {_num(m.get('diversity'))}, mean length {_num(m.get('mean_length'))}",
        f"Balance score    {_num(result.get('balance_score'))}",
        "",
        "Mix              count  share  expected",
    ]
    ranges = result.get("expected_ranges") or {}
    for name in ("repeatable", "common", "independent"):
        mix = result["mix"][name]
        expected = f"{ranges[name]['low']}–{ranges[name]['high']}" if name in ranges else "—"
        lines.append(f"  {name:<14} {mix['count']:>5}  {_num(mix['share']):>5}  {expected}")
    findings = result.get("findings", [])
    lines += ["", f"Findings ({len(findings)})"]
    for finding in findings:
        enablers = f" [{', '.join(finding['enablers'])}]" if finding["enablers"] else ""
        lines.append(f"  {finding['severity']:<6} {finding['kind']}{enablers}")
        lines.append(f"         {finding['message']}")
    top = sorted(result.get("enablers", {}).items(), key=lambda kv: (-kv[1]["pressure"], kv[0]))[
        :10
    ]
    lines += ["", "Enablers under most pressure"]
    for key, e in top:
        lines.append(
            f"  {key:<32} pressure {e['pressure']:>3}  teams {e['flagging_teams']:>2}  "
            f"reach {e['reach']:>3}  suggested {e['suggested'] or '—'}"
        )
    return "\n".join(lines)

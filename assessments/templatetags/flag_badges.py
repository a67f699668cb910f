"""A flag's severity and status as badges, written in Python: the flags list and panels
show two a row, and a template include each was a good share of those pages' time.
templates/assessments/flags/_severity.html and _status.html say the same, for the pages
that show one flag."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from catalogue.forms import esc

register = template.Library()

SEVERITY_CLASS = {
    "blocking": "text-bg-danger",
    "high": "text-bg-warning",
    "medium": "text-bg-info",
}
STATUS_CLASS = {"open": "text-bg-danger", "acknowledged": "text-bg-primary"}


@register.simple_tag
def severity_badge(flag: Any) -> SafeString:
    css = SEVERITY_CLASS.get(flag.severity, "text-bg-light border")
    return mark_safe(f'<span class="badge {css}">{esc(flag.get_severity_display())}</span>')


@register.simple_tag
def status_badge(flag: Any) -> SafeString:
    css = STATUS_CLASS.get(flag.status, "text-bg-success")
    return mark_safe(f'<span class="badge {css}">{esc(flag.get_status_display())}</span>')


@register.simple_tag
def flag_table_rows(flags: Any) -> SafeString:
    """The flags list's rows (``open_for_text`` set by the view), rendered in Python: a page
    of 25 in the template loop, two dates formatted a row, was most of the list's time."""
    rows = []
    for flag in flags:
        offering = (
            f'<div class="small text-body-secondary">on {esc(flag.offering.name)}</div>'
            if flag.offering
            else ""
        )
        until = (
            ' <span class="small text-body-secondary">(until resolved)</span>'
            if flag.status == "resolved"
            else ""
        )
        raised = localtime(flag.raised_at)
        rows.append(
            '<tr data-testid="flag-row">'
            f'<td><a href="{esc(flag.get_absolute_url())}">{esc(flag.summary)}</a>{offering}</td>'
            f'<td><a href="{esc(flag.enabler.get_absolute_url())}">{esc(flag.enabler.name)}</a></td>'
            f'<td class="d-none d-md-table-cell"><a href="{esc(flag.team.get_absolute_url())}">'
            f"{esc(flag.team.name)}</a></td>"
            f"<td>{severity_badge(flag)}</td><td>{status_badge(flag)}</td>"
            f'<td class="d-none d-md-table-cell">{esc(flag.open_for_text)}{until}</td>'
            f'<td class="d-none d-lg-table-cell"><time datetime="{raised.isoformat()}">'
            f"{esc(date_format(raised, 'j M Y'))}</time></td></tr>"
        )
    return mark_safe("".join(rows))  # every value went through esc() or a badge above

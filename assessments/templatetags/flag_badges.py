"""A flag's severity and status as badges, written in Python: the flags list and panels
show two a row, and a template include each was a good share of those pages' time.
templates/assessments/flags/_severity.html and _status.html say the same, for the pages
that show one flag."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

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

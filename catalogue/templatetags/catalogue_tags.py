from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

from ..forms import esc

register = template.Library()


@register.filter
def attr(obj: Any, name: str) -> Any:
    """An attribute (or a no-argument method such as get_kind_display) for generic tables."""
    value = getattr(obj, name, None)
    return value() if callable(value) and not hasattr(value, "get_absolute_url") else value


@register.filter
def words(value: Any) -> str:
    """snake_case names as plain words: shared_bottleneck → shared bottleneck."""
    return str(value).replace("_", " ")


@register.filter
def percent(value: Any) -> str:
    """A share (0..1) as a whole percentage, rounded half up (as the charts round it)."""
    if value is None or value == "":
        return "—"
    whole = (Decimal(str(value)) * 100).quantize(Decimal("1"), ROUND_HALF_UP)
    return f"{whole}%"


@register.filter
def plain(value: Any) -> str:
    """A value from a report's evidence in plain words: yes/no, lists joined by commas."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if value is None:
        return "—"
    return str(value)


@register.simple_tag(takes_context=True)
def usage_rows(context: template.Context, usages: Any) -> SafeString:
    """An enabler's usage rows (offering, business area, criticality, and Remove where the
    view set ``remove_url``), rendered in Python: a page of 25 rows in the template loop was
    a good share of the enabler page's time."""
    request = context.get("request")
    csrf_input = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(get_token(request))}">'
        if request is not None
        else ""
    )
    rows = []
    for usage in usages:
        offering = usage.offering
        name = esc(offering.name)
        area = offering.business_area
        remove = (
            f'<form method="post" action="{esc(usage.remove_url)}">{csrf_input}'
            '<button class="btn btn-sm btn-outline-danger" type="submit">Remove'
            f'<span class="visually-hidden"> {name}</span></button></form>'
            if usage.remove_url
            else ""
        )
        rows.append(
            f'<tr>\n        <td><a href="{esc(offering.get_absolute_url())}">{name}</a></td>\n'
            f"        <td>{esc(area.name) if area is not None and area.name else '—'}</td>\n"
            f"        <td>{esc(usage.get_criticality_display())}</td>\n"
            f"        <td>{remove}</td>\n      </tr>"
        )
    return mark_safe("".join(rows))  # every value went through esc()


@register.simple_tag
def enabler_rows(enablers: Any) -> SafeString:
    """The enabler list's rows (name and capability, kind, classification, lifecycle, owning
    team, offerings using it: ``usage_count``), rendered in Python: 25 rows in the template
    loop, six display lookups a row, were a good share of the list's time."""
    rows = []
    for enabler in enablers:
        capability = (
            f'<div class="small text-body-secondary">{esc(enabler.capability)}</div>'
            if enabler.capability
            else ""
        )
        team = enabler.owner_team
        owner = (
            f'<a href="{esc(team.get_absolute_url())}">{esc(team.name)}</a>'
            if team
            else '<span class="text-body-secondary">—</span>'
        )
        used = enabler.usage_count
        rows.append(
            "<tr>"
            f'<td><a href="{esc(enabler.get_absolute_url())}">{esc(enabler.name)}</a>'
            f"{capability}</td>"
            f'<td class="d-none d-md-table-cell">{esc(enabler.get_kind_display())}</td>'
            f'<td><span class="badge badge-{esc(enabler.classification)}">'
            f"{esc(enabler.get_classification_display())}</span></td>"
            f'<td><span class="badge badge-lifecycle-{esc(enabler.lifecycle)}">'
            f"{esc(enabler.get_lifecycle_display())}</span></td>"
            f'<td class="d-none d-lg-table-cell">{owner}</td>'
            f'<td class="d-none d-md-table-cell">{esc(used)} offering{"" if used == 1 else "s"}'
            "</td></tr>"
        )
    return mark_safe("".join(rows))  # every value went through esc()

"""A report's findings written in Python: the portfolio page lists up to fifty, each with its
enablers (linked), its evidence and a link to record a decision, and as a template loop they
were most of the page's time."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from catalogue.forms import esc
from catalogue.models import keyed_url
from catalogue.templatetags.catalogue_tags import plain, words

register = template.Library()


@register.simple_tag
def finding_items(
    group: dict[str, Any],
    slug: str,
    links: bool,
    can_propose: bool,
    report: Any,
) -> SafeString:
    """The ``<li>`` of each finding of ``group``, as _findings.html wrote them."""
    decide_url = reverse("assessments:decision_new", args=[slug]) if links and can_propose else ""
    parts = []
    for f in group["items"]:
        html = [f'<li class="py-1 border-top"><span class="badge severity-{esc(f["severity"])}">']
        html.append(f"{esc(f['severity'])}</span> {esc(f['message'])}")
        if f["enablers"]:
            names = ", ".join(
                f'<a href="{esc(keyed_url("catalogue:enabler_detail", slug, key))}">{esc(name)}</a>'
                if links
                else esc(name)
                for key, name in f["enablers"]
            )
            more = f" and {esc(f['more_enablers'])} more" if f["more_enablers"] else ""
            html.append(f'<span class="d-block small">Enablers: {names}{more}</span>')
        if f["evidence"]:
            evidence = " · ".join(f"{esc(words(k))} {esc(plain(v))}" for k, v in f["evidence"])
            html.append(
                f'<span class="d-block small text-body-secondary">Evidence: {evidence}</span>'
            )
        if decide_url:
            html.append(
                f'<a class="small d-print-none" href="{esc(decide_url)}?{esc(f["decide"])}'
                f'&amp;report={esc(report.pk)}" data-testid="decide-{esc(group["kind"])}">'
                "Record a decision about this</a>"
            )
        html.append("</li>")
        parts.append("\n".join(html))
    return mark_safe("\n".join(parts))  # every value went through esc()

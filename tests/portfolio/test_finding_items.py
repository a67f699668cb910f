"""The findings written in Python (finding_items) are what the template loop they replaced
wrote: links on the page, none in the PDF, the decision link only for those who may
propose one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import engines

from tests.catalogue.test_quick_select import _Shape

# The loop as it was in templates/assessments/portfolio/_findings.html.
OLD = """{% load catalogue_tags %}      {% for f in group.items %}
      <li class="py-1 border-top">
        <span class="badge severity-{{ f.severity }}">{{ f.severity }}</span> {{ f.message }}
        {% if f.enablers %}<span class="d-block small">Enablers: {% for key, name in f.enablers %}{% if links %}<a href="{% url 'catalogue:enabler_detail' s key %}">{{ name }}</a>{% else %}{{ name }}{% endif %}{% if not forloop.last %}, {% endif %}{% endfor %}{% if f.more_enablers %} and {{ f.more_enablers }} more{% endif %}</span>{% endif %}
        {% if f.evidence %}<span class="d-block small text-body-secondary">Evidence: {% for k, v in f.evidence %}{{ k|words }} {{ v|plain }}{% if not forloop.last %} · {% endif %}{% endfor %}</span>{% endif %}
        {% if links and can_propose %}<a class="small d-print-none" href="{% url 'assessments:decision_new' s %}?{{ f.decide }}&amp;report={{ report.pk }}" data-testid="decide-{{ group.kind }}">Record a decision about this</a>{% endif %}
      </li>
      {% endfor %}
"""
NEW = "{% load findings %}{% finding_items group s links can_propose report %}"

GROUP = {
    "kind": "shared_bottleneck",
    "items": [
        {
            "severity": "high",
            "message": "Payments <slows> “three” teams & more",
            "enablers": [("payments", "Payments & <Cards>"), ("search", "Search")],
            "more_enablers": 3,
            "decide": "kind=shared_bottleneck&enabler=payments&title=A+%3Cb%3E",
            "evidence": [("flag_count", 4), ("teams", ["A", "B<"]), ("open", True), ("x", None)],
        },
        {
            "severity": "low",
            "message": "Nothing listed",
            "enablers": [],
            "more_enablers": 0,
            "decide": "kind=x",
            "evidence": [],
        },
    ],
}


def _shape(html: str) -> list[object]:
    shape = _Shape()
    shape.feed(html)
    return shape.items


@pytest.mark.parametrize("links, can_propose", [(True, True), (True, False), (False, False)])
def test_the_findings_render_as_the_template_did(links: bool, can_propose: bool) -> None:
    context = {
        "group": GROUP,
        "s": "acme",
        "links": links,
        "can_propose": can_propose,
        "report": SimpleNamespace(pk=42),
    }
    theirs = engines["django"].from_string(OLD).render(context)
    ours = engines["django"].from_string(NEW).render(context)
    assert _shape(ours) == _shape(theirs)
    assert "Payments &lt;slows&gt;" in ours
    assert ("/o/acme/enablers/payments/" in ours) == links
    assert ("report=42" in ours) == (links and can_propose)

"""The flags list's rows, rendered in Python by ``flag_table_rows``: what the template loop
it replaced rendered, for flags on an offering or not, open, acknowledged and resolved."""

from __future__ import annotations

import re

from django.template import engines
from django.test.utils import override_settings
from django.urls import reverse

from assessments import services
from assessments.models import FlagAction
from assessments.templatetags.flag_badges import flag_table_rows
from tests.assessments.test_flags import raise_flag
from tests.conftest import Cast, client_for

# The loop as it was in templates/assessments/flags/flag_list.html.
LOOP = """{% load flag_badges %}{% for flag in flags %}
    <tr data-testid="flag-row">
      <td><a href="{{ flag.get_absolute_url }}">{{ flag.summary }}</a>{% if flag.offering %}<div class="small text-body-secondary">on {{ flag.offering.name }}</div>{% endif %}</td>
      <td><a href="{{ flag.enabler.get_absolute_url }}">{{ flag.enabler.name }}</a></td>
      <td class="d-none d-md-table-cell"><a href="{{ flag.team.get_absolute_url }}">{{ flag.team.name }}</a></td>
      <td>{% severity_badge flag %}</td>
      <td>{% status_badge flag %}</td>
      <td class="d-none d-md-table-cell">{{ flag.open_for_text }}{% if flag.status == "resolved" %} <span class="small text-body-secondary">(until resolved)</span>{% endif %}</td>
      <td class="d-none d-lg-table-cell"><time datetime="{{ flag.raised_at|date:'c' }}">{{ flag.raised_at|date:"j M Y" }}</time></td>
    </tr>
    {% endfor %}"""


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@override_settings(TIME_ZONE="Europe/London")
def test_the_rows_are_the_template_loops(cast: Cast) -> None:
    raise_flag(cast, summary="Checkout <stalls> & “waits”", offering=cast.world.shop)
    acknowledged = raise_flag(cast, summary="Slow", severity="blocking")
    services.flag_transition(
        flag=acknowledged, action=FlagAction.ACKNOWLEDGED, note="", actor=cast.owner.user
    )
    resolved = raise_flag(cast, summary="Old", severity="low")
    services.flag_transition(
        flag=resolved, action=FlagAction.RESOLVED, note="", actor=cast.owner.user
    )

    response = client_for(cast.viewer).get(reverse("assessments:flag_list", args=["acme"]))

    flags = list(response.context["page"].object_list)
    assert len(flags) == 3
    ours = _plain(flag_table_rows(flags))
    theirs = _plain(engines["django"].from_string(LOOP).render({"flags": flags}))
    assert ours == theirs
    assert ours in _plain(response.content.decode())
    assert "&lt;stalls&gt; &amp;" in ours and "(until resolved)" in ours and "on Shop" in ours

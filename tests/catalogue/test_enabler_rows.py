"""The enabler list's rows, rendered in Python by ``enabler_rows``: what the template loop it
replaced rendered, for enablers with and without a capability and an owning team, used by
none, one or more offerings."""

from __future__ import annotations

import re

from django.template import engines
from django.test import Client
from django.urls import reverse

from catalogue.models import Classification, EnablerUsage, Lifecycle
from catalogue.templatetags.catalogue_tags import enabler_rows
from tests import factories as f

# The loop as it was in templates/catalogue/enabler_list.html.
LOOP = """{% for e in enablers %}
    <tr>
      <td><a href="{{ e.get_absolute_url }}">{{ e.name }}</a>{% if e.capability %}<div class="small text-body-secondary">{{ e.capability }}</div>{% endif %}</td>
      <td class="d-none d-md-table-cell">{{ e.get_kind_display }}</td>
      <td><span class="badge badge-{{ e.classification }}">{{ e.get_classification_display }}</span></td>
      <td><span class="badge badge-lifecycle-{{ e.lifecycle }}">{{ e.get_lifecycle_display }}</span></td>
      <td class="d-none d-lg-table-cell">{% if e.owner_team %}<a href="{{ e.owner_team.get_absolute_url }}">{{ e.owner_team.name }}</a>{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td class="d-none d-md-table-cell">{{ e.usage_count }} offering{{ e.usage_count|pluralize }}</td>
    </tr>
    {% endfor %}"""


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def test_the_rows_are_the_template_loops(cast) -> None:  # type: ignore[no-untyped-def]
    world = cast.world
    odd = f.EnablerFactory(
        organisation=world.org,
        name="Ledger <b>&</b>",
        capability="Books “and” <records>",
        owner_team=None,
        classification=Classification.INDEPENDENT,
        lifecycle=Lifecycle.RETIRED,
    )
    for offering in (world.shop, world.warehouse):
        EnablerUsage.objects.create(organisation=world.org, enabler=odd, offering=offering)
    client = Client()
    client.force_login(cast.viewer.user)

    response = client.get(reverse("catalogue:enabler_list", args=["acme"]))

    enablers = list(response.context["page"].object_list)
    assert [e.usage_count for e in enablers] == [2, 1, 0]  # Ledger, Payments, Search
    ours = _plain(enabler_rows(enablers))
    assert ours == _plain(engines["django"].from_string(LOOP).render({"enablers": enablers}))
    assert ours in _plain(response.content.decode())
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in ours and "2 offerings" in ours and "1 offering<" in ours

"""An enabler's usage rows, rendered in Python by ``usage_rows``: the HTML the template loop
it replaced rendered, for rows a member may remove and rows they may not."""

from __future__ import annotations

import re

from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from catalogue.models import EnablerUsage
from tests import factories as f

LOOP = Template(
    """{% for u in usages %}<tr>
        <td><a href="{{ u.offering.get_absolute_url }}">{{ u.offering.name }}</a></td>
        <td>{{ u.offering.business_area.name|default:"—" }}</td>
        <td>{{ u.get_criticality_display }}</td>
        <td>{% if u.remove_url %}<form method="post" action="{{ u.remove_url }}">{% csrf_token %}<button class="btn btn-sm btn-outline-danger" type="submit">Remove<span class="visually-hidden"> {{ u.offering.name }}</span></button></form>{% endif %}</td>
      </tr>{% endfor %}"""
)


def _unmasked(html: str) -> str:
    """The CSRF token is masked afresh each time it is written."""
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+"', r'\1…"', html)


def _tbody(html: str) -> str:
    found = re.search(r'<table class="table align-middle">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert found is not None
    return _unmasked(found[1])


def test_the_rows_are_the_template_loops(cast) -> None:  # type: ignore[no-untyped-def]
    world = cast.world
    # Another team's offering (not the member's to remove), a name to escape, no area.
    odd = f.OfferingFactory(
        organisation=world.org, key="odd", name='<b>A & "B"</b>', team=world.platform
    )
    EnablerUsage.objects.create(
        organisation=world.org, enabler=world.payments, offering=odd, criticality="critical"
    )
    client = Client()
    client.force_login(cast.member.user)
    response = client.get(reverse("catalogue:enabler_detail", args=["acme", "payments"]))
    assert response.status_code == 200
    rows = response.context["usages"].object_list
    assert [bool(u.remove_url) for u in rows] == [False, True]  # the odd one first, by name
    request = response.wsgi_request
    token = request.META["CSRF_COOKIE"]
    expected = _unmasked(LOOP.render(Context({"usages": rows, "csrf_token": token})))
    assert "…" in expected
    html = response.content.decode()
    assert _tbody(html) == expected
    assert "&lt;b&gt;A &amp; &quot;B&quot;&lt;/b&gt;" in html and "<b>A" not in html
    assert html.count(">Remove<") == 1


def _shown(page) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    return [
        (
            u.pk,
            u.criticality,
            u.offering.pk,
            u.offering.key,
            u.offering.name,
            u.offering.team_id,
            u.offering.business_area.name if u.offering.business_area else None,
        )
        for u in page.object_list
    ]


def test_the_first_page_is_the_one_the_orm_gives(cast) -> None:  # type: ignore[no-untyped-def]
    from catalogue.pagination import CountingPaginator
    from catalogue.selectors import enabler_usage_page, enabler_usages

    world = cast.world
    for i in range(30):  # 31 usages of payments: two pages
        offering = f.OfferingFactory(
            organisation=world.org,
            name=f"Offering {i:02d}",
            team=world.delivery if i % 2 else world.platform,
            business_area=world.area if i % 3 else None,
        )
        EnablerUsage.objects.create(
            organisation=world.org, enabler=world.payments, offering=offering
        )
    # The other organisation's payments has a usage of its own; search has none.
    payments = world.payments
    for number in (None, "", "1", "x", "2", "99"):
        ours = enabler_usage_page(enabler=payments, number=number)
        django = CountingPaginator(enabler_usages(enabler=payments), 25).get_page(number)
        assert _shown(ours) == _shown(django)
        assert ours.number == django.number and ours.paginator.count == 31
        assert (ours.has_next(), ours.has_previous()) == (django.has_next(), django.has_previous())
    elsewhere = enabler_usage_page(enabler=cast.other.payments, number=None)
    assert [u.offering.organisation_id for u in elsewhere.object_list] == [cast.other.org.pk]
    unused = enabler_usage_page(enabler=world.search, number="1")
    assert list(unused.object_list) == [] and unused.paginator.count == 0
    assert unused.paginator.num_pages == 1

"""Pages stay small in a large organisation: long lists come a page at a time, and a form that
picks one of a thousand offerings or enablers takes it typed, with suggestions, instead of
listing them all.

``PICK_LIST_LIMIT`` is lowered to 1 so the cast's few offerings already count as many.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from catalogue import forms
from catalogue import models as m
from tests.conftest import Cast, client_for

HTMX = {"HX-Request": "true"}


def url(name: str, *args: object) -> str:
    return reverse(f"catalogue:{name}", args=["acme", *args])


@pytest.fixture
def many(monkeypatch: Any) -> None:
    monkeypatch.setattr(forms, "PICK_LIST_LIMIT", 1)


def usages_of(cast: Cast, enabler: m.Enabler) -> set[str]:
    return set(
        m.EnablerUsage.objects.for_org(cast.world.org)
        .filter(enabler=enabler)
        .values_list("offering__key", flat=True)
    )


def test_few_offerings_are_a_list_to_choose_from(cast: Cast) -> None:
    text = client_for(cast.leader).get(url("journey_detail", "weekly-shop")).content.decode()
    assert '<select name="offering"' in text and '<option value="shop">Shop</option>' in text


def test_many_offerings_are_typed_with_suggestions(cast: Cast, many: None) -> None:
    text = client_for(cast.leader).get(url("journey_detail", "weekly-shop")).content.decode()
    assert '<select name="offering"' not in text
    assert 'list="id_offering-options"' in text and '<datalist id="id_offering-options">' in text
    assert f'hx-get="{url("offering_suggest")}"' in text


@pytest.mark.parametrize("typed", ["Warehouse", "warehouse", " WAREHOUSE "])
def test_a_step_takes_the_offering_typed_by_name_or_key(cast: Cast, many: None, typed: str) -> None:
    response = client_for(cast.leader).post(
        url("step_add", "weekly-shop"), {"name": "Collect", "offering": typed}
    )
    assert response.status_code == 302
    step = m.JourneyStep.objects.for_org(cast.world.org).get(name="Collect")
    assert step.offering == cast.world.warehouse


def test_a_typed_offering_that_does_not_exist_is_named_in_the_error(cast: Cast, many: None) -> None:
    response = client_for(cast.leader).post(
        url("step_add", "weekly-shop"), {"name": "Collect", "offering": "Wearhouse"}
    )
    assert response.status_code == 400
    assert "No offering you can choose here is called “Wearhouse”" in response.content.decode()


def test_a_typed_offering_of_another_organisation_is_not_found(cast: Cast, many: None) -> None:
    other = cast.other.warehouse
    m.Offering.objects.for_org(cast.other.org).filter(pk=other.pk).update(name="Depot", key="depot")
    response = client_for(cast.leader).post(
        url("step_add", "weekly-shop"), {"name": "Collect", "offering": "depot"}
    )
    assert response.status_code == 400
    assert not m.JourneyStep.objects.for_org(cast.world.org).filter(name="Collect").exists()


def test_a_member_adds_a_usage_of_their_own_offering_by_name(cast: Cast, many: None) -> None:
    client = client_for(cast.member)  # delivery owns shop, not warehouse
    own = client.post(url("usage_add", "search"), {"offering": "Shop", "criticality": "high"})
    other = client.post(url("usage_add", "search"), {"offering": "Warehouse"})
    assert own.status_code == 302 and other.status_code == 403
    assert usages_of(cast, cast.world.search) == {"shop"}


def test_an_offering_page_takes_the_enabler_typed(cast: Cast, many: None) -> None:
    response = client_for(cast.leader).post(
        url("offering_usage_add", "warehouse"), {"enabler": "search", "criticality": "low"}
    )
    assert response.status_code == 302
    assert usages_of(cast, cast.world.search) == {"warehouse"}


def test_suggestions_are_the_matching_names(cast: Cast) -> None:
    response = client_for(cast.viewer).get(url("offering_suggest"), {"offering": "O"}, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert '<option value="Shop">shop</option>' in text
    assert "Warehouse" in text  # contains an "o"
    nothing = client_for(cast.viewer).get(url("enabler_suggest"), {"enabler": "zzz"})
    assert "<option" not in nothing.content.decode()


def test_a_member_is_suggested_only_their_teams_offerings_for_a_usage(cast: Cast) -> None:
    query = {"offering": "o", "scope": "own"}
    member = client_for(cast.member).get(url("offering_suggest"), query).content.decode()
    leader = client_for(cast.leader).get(url("offering_suggest"), query).content.decode()
    assert "Shop" in member and "Warehouse" not in member
    assert "Shop" in leader and "Warehouse" in leader


def test_suggestions_show_nothing_of_another_organisation(cast: Cast) -> None:
    m.Offering.objects.for_org(cast.other.org).filter(pk=cast.other.shop.pk).update(name="Gshop")
    text = client_for(cast.admin).get(url("offering_suggest"), {"offering": "gsh"})
    assert "<option" not in text.content.decode()


def test_an_enablers_usages_come_a_page_at_a_time(cast: Cast) -> None:
    org = cast.world.org
    offerings = m.Offering.objects.bulk_create(
        m.Offering(organisation=org, key=f"o-{i:02}", name=f"O {i:02}") for i in range(30)
    )
    m.EnablerUsage.objects.bulk_create(
        m.EnablerUsage(organisation=org, enabler=cast.world.payments, offering=o) for o in offerings
    )
    client = client_for(cast.viewer)

    first = client.get(url("enabler_detail", "payments"))
    second = client.get(url("enabler_detail", "payments"), {"page": "2"})

    assert len(first.context["usages"].object_list) == 25
    assert [u.offering.key for u in second.context["usages"].object_list] == [
        *(f"o-{i}" for i in range(25, 30)),
        "shop",
    ]
    assert "Page 2 of 2 (31 in all)" in second.content.decode()


@pytest.mark.parametrize(("extra", "beyond"), [(0, False), (1, True), (2, True)])
def test_beyond_a_list_says_whether_the_items_outnumber_a_pick_list(
    cast: Cast, monkeypatch: Any, extra: int, beyond: bool
) -> None:
    monkeypatch.setattr(forms, "PICK_LIST_LIMIT", 2)  # acme has two offerings: a list
    org = cast.world.org
    for i in range(extra):
        m.Offering.objects.create(organisation=org, key=f"more-{i}", name=f"More {i}")
    offerings = m.Offering.objects.for_org(org)
    found = (
        m.Organisation.objects.filter(pk=org.pk)
        .annotate(beyond=forms.beyond_a_list(offerings))
        .get()
    )
    assert found.beyond is beyond
    assert (offerings.count() > forms.PICK_LIST_LIMIT) is beyond


@pytest.mark.parametrize(
    ("actor", "name", "key"),
    [
        ("leader", "enabler_detail", "search"),
        ("member", "enabler_detail", "search"),
        ("leader", "journey_detail", "weekly-shop"),
    ],
)
def test_a_page_that_knows_the_offerings_are_many_does_not_read_them(
    cast: Cast, monkeypatch: Any, actor: str, name: str, key: str
) -> None:
    """The enabler's and journey's pages learn whether the offerings outnumber a list with
    the item they read: one query fewer, and the box typed, when they do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(getattr(cast, actor))
    client.get(url(name, key))  # warm the session

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            text = client.get(url(name, key)).content.decode()
        return len(queries), text

    few, listed = page()
    monkeypatch.setattr(forms, "PICK_LIST_LIMIT", 0)  # every organisation has "many"
    many, typed = page()

    assert '<select name="offering"' in listed and '<select name="offering"' not in typed
    assert 'list="id_offering-options"' in typed
    assert many == few - 1

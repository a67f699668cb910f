"""CompiledQuery: the ORM's query compiled once, run with each call's ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef
from django.test.utils import CaptureQueriesContext

from catalogue.compiled import CompiledQuery
from catalogue.expressions import ValuesOf
from catalogue.models import EnablerUsage, Offering, Team
from tests import factories as f


def _offerings(*, organisation: int, team: int) -> Any:
    return (
        Offering.objects.for_org(organisation)
        .filter(team_id=team, name__startswith="O")  # a constant among the parameters
        .annotate(
            area_name=F("business_area__name"),
            steps=Count("journey_steps"),
            # Converted as the ORM converts them: a list (JSON text on SQLite), a boolean.
            enablers=ValuesOf(
                EnablerUsage.objects.filter(offering=OuterRef("pk"))
                .order_by("enabler__name")
                .values_list("enabler__name")
            ),
            used=Exists(EnablerUsage.objects.filter(offering=OuterRef("pk"))),
        )
        .order_by("name")
    )


def _rows(items: Any) -> list[tuple[Any, ...]]:
    return [
        (o.pk, o.name, o.organisation_id, o.area_name, o.steps, o.enablers, o.used) for o in items
    ]


def test_each_call_gives_what_the_orm_gives_for_its_ids(cast) -> None:  # type: ignore[no-untyped-def]
    world, other = cast.world, cast.other
    orders = f.OfferingFactory(organisation=world.org, name="Orders", team=world.delivery)
    for enabler in (world.search, world.payments):
        EnablerUsage.objects.create(organisation=world.org, enabler=enabler, offering=orders)
    f.OfferingFactory(organisation=world.org, name="Outlet", team=world.platform)
    f.OfferingFactory(organisation=other.org, name="Oven", team=other.delivery)
    query = CompiledQuery(Offering, _offerings, ("organisation", "team"))
    cases = [
        (world.org.pk, world.delivery.pk),
        (world.org.pk, world.platform.pk),
        (other.org.pk, other.delivery.pk),
        (world.org.pk, other.delivery.pk),  # another organisation's team: nothing
    ]
    for organisation, team in cases:
        expected = _rows(_offerings(organisation=organisation, team=team))
        with CaptureQueriesContext(connection) as queries:
            found = query(organisation=organisation, team=team)
        assert _rows(found) == expected
        assert len(queries) == 1
        assert all(isinstance(o, Offering) for o in found)
    first = _rows(query(organisation=world.org.pk, team=world.delivery.pk))[0]
    assert first[1] == "Orders" and first[5:] == (["Payments", "Search"], True)
    assert query(organisation=world.org.pk, team=other.delivery.pk) == []


def test_it_refuses_a_value_that_is_not_a_parameter_of_its_own(cast) -> None:  # type: ignore[no-untyped-def]
    unused = CompiledQuery(Team, lambda organisation: Team.objects.all(), ("organisation",))
    with pytest.raises(ImproperlyConfigured, match="organisation"):
        unused(organisation=cast.world.org.pk)
    within_text = CompiledQuery(
        Team,
        lambda organisation: Team.objects.filter(name__contains=str(organisation)),
        ("organisation",),
    )
    with pytest.raises(ImproperlyConfigured, match="organisation"):
        within_text(organisation=cast.world.org.pk)


def test_it_takes_ids_by_name_only(cast) -> None:  # type: ignore[no-untyped-def]
    query = CompiledQuery(Offering, _offerings, ("organisation", "team"))
    with pytest.raises(TypeError):
        query(organisation=cast.world.org.pk)
    with pytest.raises(TypeError):
        query(organisation=cast.world.org, team=cast.world.delivery.pk)  # type: ignore[arg-type]

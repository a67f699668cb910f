"""CountingPaginator: the same pages as Django's Paginator, the count read with the page."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from catalogue.models import Team
from catalogue.pagination import CountingPaginator
from tests import factories as f


@pytest.fixture
def teams(cast):  # type: ignore[no-untyped-def]
    for i in range(23):
        f.TeamFactory(organisation=cast.world.org, key=f"t{i:02d}", name=f"Team {i:02d}")
    return Team.objects.for_org(cast.world.org).order_by("name", "pk")


@pytest.mark.parametrize("number", [None, "x", "0", "-1", "1", "2", "3", "4", "99"])
def test_it_gives_the_page_django_gives(teams, number) -> None:  # type: ignore[no-untyped-def]
    ours = CountingPaginator(teams, 10).get_page(number)
    django = Paginator(teams, 10).get_page(number)
    assert ours.number == django.number
    assert [t.key for t in ours.object_list] == [t.key for t in django.object_list]
    assert ours.paginator.count == django.paginator.count == 25
    assert ours.paginator.num_pages == django.paginator.num_pages == 3
    assert (ours.has_next(), ours.has_previous()) == (django.has_next(), django.has_previous())


def test_a_page_in_range_is_one_query(teams) -> None:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        page = CountingPaginator(teams.filter(name__startswith="Team"), 10).get_page("2")
        assert page.paginator.count == 23 and len(page.object_list) == 10
    assert len(queries) == 1


def test_an_empty_list_has_one_empty_page(cast) -> None:  # type: ignore[no-untyped-def]
    page = CountingPaginator(Team.objects.for_org(cast.world.org).none(), 10).get_page("1")
    assert page.paginator.count == 0 and list(page.object_list) == [] and page.number == 1


def test_a_distinct_list_is_counted_apart(teams) -> None:  # type: ignore[no-untyped-def]
    page = CountingPaginator(teams.distinct(), 10).get_page("1")
    assert page.paginator.count == 25


@pytest.mark.parametrize("number", ["1", "3", "99"])
def test_totals_of_the_whole_list_come_with_any_page(teams, number) -> None:  # type: ignore[no-untyped-def]
    from django.db.models import Case, IntegerField, Sum, When

    paginator = CountingPaginator(
        teams,
        10,
        totals={
            "numbered": Sum(
                Case(When(name__startswith="Team", then=1), default=0, output_field=IntegerField())
            )
        },
    )
    paginator.get_page(number)
    assert paginator.totals == {"numbered": 23}


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(None, id="the model's ordering"),
        pytest.param(("-name",), id="descending"),
        pytest.param((Lower("name").desc(), "pk"), id="an expression"),
    ],
)
def test_the_page_keeps_the_lists_order(teams, order) -> None:  # type: ignore[no-untyped-def]
    # The page query sorts by the list's length first; the list's own order must follow.
    items = Team.objects.for_org(teams[0].organisation) if order is None else teams.order_by(*order)
    ours = CountingPaginator(items, 10).get_page("2")
    django = Paginator(items, 10).get_page("2")
    assert [t.key for t in ours.object_list] == [t.key for t in django.object_list]
    assert ours.paginator.count == 25

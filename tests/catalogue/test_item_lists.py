"""ItemLists and ListedChoiceField: a filter form's lists read in one query, and a choice
checked against the list read, with what a ModelChoiceField would say and show."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.forms import ItemLists, ListedChoiceField, QuickSelect, listed
from catalogue.models import BusinessArea, Team
from tests import factories as f


def test_every_list_comes_in_one_query_by_name(cast) -> None:  # type: ignore[no-untyped-def]
    org = cast.world.org
    f.TeamFactory(organisation=org, key="aardvark", name="Aardvark")
    lists = ItemLists(org, Team, BusinessArea)

    with CaptureQueriesContext(connection) as queries:
        teams, areas = lists.of(Team), lists.of(BusinessArea)
        lists.of(Team)

    assert len(queries) == 1
    assert [t.key for t in teams] == [t.key for t in listed(Team, org)]
    assert teams[0].name == "Aardvark"
    assert [(a.pk, a.key, a.name) for a in areas] == [
        (a.pk, a.key, a.name) for a in listed(BusinessArea, org)
    ]
    assert all(isinstance(t, Team) and t.organisation_id == org.pk for t in teams)
    assert "description" in teams[0].get_deferred_fields()  # only what a list needs
    assert cast.other.delivery.pk not in {t.pk for t in teams}  # this organisation's only


def field(cast, lists: ItemLists) -> ListedChoiceField:  # type: ignore[no-untyped-def]
    return ListedChoiceField(
        queryset=listed(Team, cast.world.org),
        items=lambda: lists.of(Team),
        to_field_name="key",
        empty_label="Any team",
        widget=QuickSelect,
    )


def test_a_choice_is_checked_against_the_list_read(cast) -> None:  # type: ignore[no-untyped-def]
    lists = ItemLists(cast.world.org, Team, BusinessArea)
    lists.of(Team)
    choose = field(cast, lists)

    with CaptureQueriesContext(connection) as queries:
        assert choose.clean("delivery").pk == cast.world.delivery.pk
        assert choose.clean(cast.world.platform).pk == cast.world.platform.pk
    assert len(queries) == 0

    plain = forms.ModelChoiceField(queryset=listed(Team, cast.world.org), to_field_name="key")
    with pytest.raises(forms.ValidationError) as ours:
        choose.clean("no-such-team")
    with pytest.raises(forms.ValidationError) as django:
        plain.clean("no-such-team")
    assert ours.value.code == "invalid_choice"
    assert ours.value.messages == django.value.messages
    with pytest.raises(forms.ValidationError):
        choose.clean("")  # required, as ModelChoiceField is by default
    optional = field(cast, lists)
    optional.required = False
    assert optional.clean("") is None


def test_another_organisations_team_is_not_a_choice(cast) -> None:  # type: ignore[no-untyped-def]
    choose = field(cast, ItemLists(cast.world.org, Team))
    other = f.TeamFactory(organisation=cast.other.org, key="only-there", name="Only there")
    with pytest.raises(forms.ValidationError):
        choose.clean(other.key)


def test_the_options_are_a_model_choice_fields(cast) -> None:  # type: ignore[no-untyped-def]
    ours = field(cast, ItemLists(cast.world.org, Team))
    plain = forms.ModelChoiceField(
        queryset=listed(Team, cast.world.org),
        to_field_name="key",
        empty_label="Any team",
        widget=QuickSelect,
    )
    for value in (None, "delivery"):
        assert ours.widget.render("team", value) == plain.widget.render("team", value)
    assert "Delivery" in ours.widget.render("team", "delivery")

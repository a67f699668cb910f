"""The organisation switcher lists the person's organisations from the query that found the
page's membership."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue import models as m
from catalogue.access import get_membership_for_user, memberships_of
from tests.conftest import add_member, client_for


def test_a_person_in_two_organisations_can_switch_between_them(cast) -> None:  # type: ignore[no-untyped-def]
    both = add_member(cast.other.org, "admin", m.Role.VIEWER)  # acme's admin, also in globex
    page = client_for(cast.admin).get(reverse("catalogue:home", args=["acme"])).content.decode()
    assert 'href="/o/globex/"' in page and 'href="/o/acme/"' in page
    assert both.user_id == cast.admin.user_id


def test_the_switcher_list_comes_with_the_membership(cast) -> None:  # type: ignore[no-untyped-def]
    membership = get_membership_for_user(cast.admin.user, "acme")
    with CaptureQueriesContext(connection) as queries:
        listed = memberships_of(cast.admin.user, membership)
    assert len(queries) == 0
    assert [x.organisation.slug for x in listed] == ["acme"]
    # Another person's membership is not taken for this person's list.
    others = memberships_of(cast.outsider.user, membership)
    assert [x.organisation.slug for x in others] == ["globex"]

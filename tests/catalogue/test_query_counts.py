"""Pages run a fixed number of queries, however much the organisation holds.

Each page is measured on the cast world, then again after ``grow`` adds thirty of everything
it shows (enablers with usages and history, offerings, journey steps with touchpoints, team
members, ...). The count must not change, and at the small size it is pinned in ``PINNED`` so
a regression shows as a number. Pages are requested as the acme admin, who sees the most.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalogue import models as m
from catalogue import services
from tests.conftest import Cast, client_for

GROWTH = 30

# page id: (url name, arguments after the organisation slug, query string)
PAGES: dict[str, tuple[str, list[str], str]] = {
    "home": ("home", [], ""),
    "enabler_list": ("enabler_list", [], ""),
    "enabler_list-filtered": (
        "enabler_list",
        [],
        "?q=e&kind=platform&classification=common&owner_team=platform&area=food",
    ),
    "enabler_detail": ("enabler_detail", ["payments"], ""),
    "offering_list": ("offering_list", [], ""),
    "offering_detail": ("offering_detail", ["shop"], ""),
    "team_list": ("team_list", [], ""),
    "team_detail": ("team_detail", ["delivery"], ""),
    "journey_list": ("journey_list", [], ""),
    "journey_detail": ("journey_detail", ["weekly-shop"], ""),
    "area_list": ("area_list", [], ""),
    "area_detail": ("area_detail", ["food"], ""),
    "touchpoint_list": ("touchpoint_list", [], ""),
    "touchpoint_detail": ("touchpoint_detail", ["checkout"], ""),
    "member_list": ("member_list", [], ""),
}

# Observed on the cast world; includes the session and user lookups of every request.
PINNED: dict[str, int] = {
    "home": 12,
    "enabler_list": 7,  # the team and area lists in one query
    "enabler_list-filtered": 6,  # and the chosen team and area checked against them
    "enabler_detail": 11,
    "offering_list": 6,
    "offering_detail": 9,
    "team_list": 6,
    "team_detail": 12,
    "journey_list": 6,
    "journey_detail": 8,
    "area_list": 6,
    "area_detail": 7,
    "touchpoint_list": 6,
    "touchpoint_detail": 6,
    "member_list": 8,
}


def test_every_page_has_a_pinned_count() -> None:
    assert set(PINNED) == set(PAGES)


def grow(c: Cast, n: int = GROWTH) -> None:
    """Add ``n`` of everything the pages show, linked the way real data is.

    Bulk inserts keep it quick; the enabler history goes through the service so it is real.
    """
    w, org, actor = c.world, c.world.org, c.admin.user

    def keyed(model: Any, prefix: str, **fields: Any) -> list[Any]:
        return model.objects.bulk_create(
            model(
                organisation=org,
                key=f"grown-{prefix}-{i}",
                name=f"Grown {prefix} {i}",
                **{k: v(i) if callable(v) else v for k, v in fields.items()},
            )
            for i in range(n)
        )

    areas = keyed(m.BusinessArea, "area")
    teams = keyed(m.Team, "team", business_area=lambda i: areas[i])
    touchpoints = keyed(m.Touchpoint, "touchpoint")
    journeys = keyed(m.Journey, "journey")
    offerings = keyed(
        m.Offering,
        "offering",
        team=lambda i: w.delivery if i % 2 else teams[i],
        business_area=lambda i: w.area if i % 2 else areas[i],
    )
    enablers = keyed(
        m.Enabler,
        "enabler",
        kind="platform",
        classification="common",
        capability=lambda i: f"cap {i}",
        tags=lambda i: ["grown", f"t{i}"],
        owner_team=lambda i: w.platform if i % 2 else teams[i],
    )
    # Each new enabler is used by shop, warehouse and a new offering; payments by them all.
    m.EnablerUsage.objects.bulk_create(
        [
            m.EnablerUsage(organisation=org, enabler=e, offering=o)
            for i, e in enumerate(enablers)
            for o in (w.shop, w.warehouse, offerings[i])
        ]
        + [m.EnablerUsage(organisation=org, enabler=w.payments, offering=o) for o in offerings]
    )
    # Steps on the measured journey, and a step through shop and checkout in every new one.
    steps = m.JourneyStep.objects.bulk_create(
        [
            m.JourneyStep(
                organisation=org,
                journey=w.journey,
                position=i + 2,
                name=f"Step {i}",
                offering=offerings[i],
            )
            for i in range(n)
        ]
        + [
            m.JourneyStep(
                organisation=org, journey=j, position=1, name="Through shop", offering=w.shop
            )
            for j in journeys
        ]
    )
    through = m.JourneyStep.touchpoints.through
    through.objects.bulk_create(
        [through(journeystep=s, touchpoint=w.checkout) for s in steps]
        + [through(journeystep=s, touchpoint=touchpoints[i]) for i, s in enumerate(steps[:n])]
    )
    # Members, each in the measured team and one other, and invitations waiting.
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"grown{i}",
            email=f"grown{i}@example.org",
            first_name="Grown",
            last_name=str(i),
        )
        for i in range(n)
    )
    memberships = m.Membership.objects.bulk_create(
        m.Membership(organisation=org, user=u, role=m.Role.TEAM_MEMBER) for u in users
    )
    m.TeamMembership.objects.bulk_create(
        m.TeamMembership(organisation=org, team=t, membership=ms)
        for i, ms in enumerate(memberships)
        for t in (w.delivery, teams[i])
    )
    invitations = m.Invitation.objects.bulk_create(
        m.Invitation(
            organisation=org,
            email=f"invited{i}@example.org",
            role="viewer",
            token_hash=f"grown-{i}",
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=7),
        )
        for i in range(n)
    )
    m.Invitation.teams.through.objects.bulk_create(
        m.Invitation.teams.through(invitation=inv, team=t)
        for i, inv in enumerate(invitations)
        for t in (w.delivery, teams[i])
    )
    # A long history on payments, changing its owning team back and forth.
    for i in range(n):
        payments = m.Enabler.objects.for_org(org).get(pk=w.payments.pk)
        services.enabler_update(
            enabler=payments,
            base_version=payments.version,
            actor=actor,
            fields={
                "description": f"v{i}",
                "owner_team": teams[i] if i % 2 else w.platform,
                "tags": [f"tag{i}"],
            },
        )


def count_queries(client: Any, page_id: str) -> tuple[int, list[str]]:
    name, args, query = PAGES[page_id]
    url = reverse(f"catalogue:{name}", args=["acme", *args]) + query
    client.get(url)  # warm up: first-request caches (content types, templates) are not the page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), [q["sql"] for q in captured.captured_queries]


def repeated(queries: list[str]) -> str:
    """The queries that run more than once, with their literals blanked: the N+1 suspects."""
    shapes = Counter(re.sub(r"\b\d+\b|'[^']*'", "?", sql) for sql in queries)
    return "\n".join(f"{n} x {sql}" for sql, n in shapes.most_common() if n > 1)


@pytest.mark.parametrize("page_id", list(PAGES))
def test_query_count_is_pinned(cast: Cast, page_id: str) -> None:
    count, queries = count_queries(client_for(cast.admin), page_id)
    assert count == PINNED[page_id], "\n".join(queries)


@pytest.mark.parametrize("page_id", list(PAGES))
def test_query_count_does_not_grow_with_the_data(cast: Cast, page_id: str) -> None:
    client = client_for(cast.admin)
    small, _ = count_queries(client, page_id)

    grow(cast)
    big, queries = count_queries(client, page_id)

    assert big == small, (
        f"{page_id}: {small} queries on the cast, {big} after growth; repeated:\n"
        + repeated(queries)
    )

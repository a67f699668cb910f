"""The fixed cast: two organisations with the same shape, and one person per role.

In ``org`` (and the same in ``other_org``): teams ``delivery`` (owns offering ``shop``) and
``platform`` (owns enabler ``payments``); offering ``warehouse`` owned by no team of the
member; enabler ``search`` owned by ``delivery``; a journey with one step.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from catalogue import models as m
from tests import factories as f

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    # Hashing strength is not under test; PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Periodic jobs run only when a test runs them, never as a side effect of a request.
    settings.RUN_PERIODIC_JOBS_IN_WEB = False
    # Eager recomputes run at once, never later in a thread the test cannot see.
    settings.BALANCE_EAGER_WAIT_IN_THREAD = False
    # The sign-in lockout needs a request to key on, which ``authenticate()`` and
    # ``client.login()`` outside a request do not have; tests/accounts turns it on and tests it.
    settings.AXES_ENABLED = False
    # A session's expiry moves on at most once an hour here, so a signed-in page never writes
    # its session during a test and query counts do not depend on how fast the machine is.
    settings.SESSION_REFRESH_SECONDS = 3600


@dataclass
class World:
    org: m.Organisation
    area: m.BusinessArea
    delivery: m.Team
    platform: m.Team
    shop: m.Offering
    warehouse: m.Offering
    checkout: m.Touchpoint
    journey: m.Journey
    step: m.JourneyStep
    payments: m.Enabler
    search: m.Enabler
    usage: m.EnablerUsage


def build_world(slug: str) -> World:
    org = f.OrganisationFactory(slug=slug, name=f"{slug.title()} Ltd", delivery_model="track")
    area = f.AreaFactory(organisation=org, key="food", name="Food")
    delivery = f.TeamFactory(organisation=org, key="delivery", name="Delivery", business_area=area)
    platform = f.TeamFactory(
        organisation=org, key="platform", name="Platform", kind=m.TeamKind.PLATFORM
    )
    shop = f.OfferingFactory(
        organisation=org, key="shop", name="Shop", team=delivery, business_area=area
    )
    warehouse = f.OfferingFactory(
        organisation=org, key="warehouse", name="Warehouse", team=platform
    )
    checkout = f.TouchpointFactory(organisation=org, key="checkout", name="Checkout")
    journey = f.JourneyFactory(organisation=org, key="weekly-shop", name="Weekly shop")
    step = m.JourneyStep.objects.create(
        organisation=org, journey=journey, position=1, name="Browse", offering=shop
    )
    step.touchpoints.add(checkout)
    payments = f.EnablerFactory(
        organisation=org, key="payments", name="Payments", owner_team=platform
    )
    search = f.EnablerFactory(organisation=org, key="search", name="Search", owner_team=delivery)
    usage = m.EnablerUsage.objects.create(organisation=org, enabler=payments, offering=shop)
    return World(
        org,
        area,
        delivery,
        platform,
        shop,
        warehouse,
        checkout,
        journey,
        step,
        payments,
        search,
        usage,
    )


def add_member(org: m.Organisation, username: str, role: str, *teams: m.Team) -> m.Membership:
    user = f.UserFactory(username=username)
    membership = m.Membership.objects.create(organisation=org, user=user, role=role)
    for team in teams:
        m.TeamMembership.objects.create(organisation=org, team=team, membership=membership)
    return membership


@dataclass
class Cast:
    world: World
    other: World
    admin: m.Membership
    leader: m.Membership
    owner: m.Membership  # enabler owner in the platform team (owns payments)
    member: m.Membership  # team member in the delivery team (owns shop)
    viewer: m.Membership
    outsider: m.Membership  # admin of the other organisation only


@pytest.fixture
def cast(db: None) -> Cast:
    world, other = build_world("acme"), build_world("globex")
    return Cast(
        world=world,
        other=other,
        admin=add_member(world.org, "admin", m.Role.ADMIN),
        leader=add_member(world.org, "leader", m.Role.LEADERSHIP),
        owner=add_member(world.org, "owner", m.Role.ENABLER_OWNER, world.platform),
        member=add_member(world.org, "member", m.Role.TEAM_MEMBER, world.delivery),
        viewer=add_member(world.org, "viewer", m.Role.VIEWER),
        outsider=add_member(other.org, "outsider", m.Role.ADMIN),
    )


def client_for(membership: m.Membership | None) -> Client:
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    """Run Celery tasks in-process even when a broker is configured (CI's Redis pass).

    Tests that check a task's effect synchronously use this; tests/assessments/test_worker.py
    covers the real worker.
    """
    from config import celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before

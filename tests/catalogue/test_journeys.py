"""Journeys and their ordered steps, edited in place."""

import re

from django.urls import reverse

from catalogue.models import Journey, JourneyStep, Offering
from tests.conftest import client_for


def url(name, *args):
    return reverse(f"catalogue:{name}", args=["acme", *args])


def step_names(cast):
    journey = cast.world.journey
    return list(
        JourneyStep.objects.for_org(cast.world.org)
        .filter(journey=journey)
        .order_by("position")
        .values_list("name", flat=True)
    )


def test_leader_adds_steps_in_place(cast):
    client = client_for(cast.leader)
    response = client.post(
        url("step_add", "weekly-shop"),
        {
            "name": "Pay",
            "offering": cast.world.warehouse.pk,
            "touchpoints": [cast.world.checkout.pk],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="steps"')
    assert "Pay" in html and "Warehouse" in html
    assert step_names(cast) == ["Browse", "Pay"]


def test_steps_move_up_and_down_and_ends_are_stable(cast):
    client = client_for(cast.leader)
    for name in ("Pay", "Collect"):
        client.post(url("step_add", "weekly-shop"), {"name": name, "offering": cast.world.shop.pk})
    collect = JourneyStep.objects.for_org(cast.world.org).get(name="Collect")
    client.post(url("step_up", "weekly-shop", collect.pk), HTTP_HX_REQUEST="true")
    assert step_names(cast) == ["Browse", "Collect", "Pay"]
    client.post(url("step_up", "weekly-shop", collect.pk))
    client.post(url("step_up", "weekly-shop", collect.pk))  # already first: nothing happens
    assert step_names(cast) == ["Collect", "Browse", "Pay"]
    client.post(url("step_down", "weekly-shop", collect.pk))
    assert step_names(cast) == ["Browse", "Collect", "Pay"]
    client.post(url("step_remove", "weekly-shop", collect.pk))
    assert step_names(cast) == ["Browse", "Pay"]
    positions = JourneyStep.objects.for_org(cast.world.org).order_by("position")
    assert [s.position for s in positions.filter(journey=cast.world.journey)] == [1, 2]


def test_step_naming_another_organisations_offering_is_refused(cast):
    response = client_for(cast.leader).post(
        url("step_add", "weekly-shop"),
        {
            "name": "Sneaky",
            "offering": cast.other.shop.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert step_names(cast) == ["Browse"]


def test_step_without_a_name_is_refused(cast):
    response = client_for(cast.leader).post(
        url("step_add", "weekly-shop"),
        {
            "name": "",
            "offering": cast.world.shop.pk,
        },
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert step_names(cast) == ["Browse"]


def test_journey_page_draws_the_steps_as_a_line(cast):
    html = client_for(cast.viewer).get(url("journey_detail", "weekly-shop")).content.decode()
    assert 'class="journey-line"' in html
    assert "Browse" in html and "Checkout" in html
    assert "Move “Browse” up" not in html  # viewers get no edit controls


def test_offering_in_a_journey_cannot_be_deleted_and_the_page_says_why(cast):
    response = client_for(cast.admin).get(url("offering_delete", "shop"))
    html = response.content.decode()
    assert "cannot be deleted" in html
    assert "Weekly shop" in html and "Payments" in html
    client_for(cast.admin).post(url("offering_delete", "shop"))
    assert Offering.objects.for_org(cast.world.org).filter(key="shop").exists()


def test_team_owning_enablers_cannot_be_deleted(cast):
    response = client_for(cast.admin).post(url("team_delete", "platform"))
    assert response.status_code == 409
    assert "Payments" in response.content.decode()


def test_unreferenced_journey_is_deleted_with_its_steps(cast):
    response = client_for(cast.admin).post(url("journey_delete", "weekly-shop"))
    assert response.status_code == 302
    assert not Journey.objects.for_org(cast.world.org).exists()
    assert not JourneyStep.objects.for_org(cast.world.org).exists()


def test_duplicate_names_are_refused_case_insensitively(cast):
    response = client_for(cast.leader).post(url("journey_create"), {"name": "WEEKLY SHOP"})
    assert response.status_code == 400
    assert "already called" in response.content.decode()
    assert Journey.objects.for_org(cast.world.org).count() == 1


def test_same_name_is_fine_in_another_organisation(cast):
    # globex already has "Weekly shop"; acme may have its own new journey of any other name
    response = client_for(cast.leader).post(url("journey_create"), {"name": "Click and collect"})
    assert response.status_code == 302
    created = Journey.objects.for_org(cast.world.org).get(name="Click and collect")
    assert created.key == "click-and-collect"


def test_each_step_shows_its_own_touchpoints_by_name(cast):
    from catalogue.models import Touchpoint

    world = cast.world
    apps = Touchpoint.objects.create(organisation=world.org, key="app", name="App")
    zone = Touchpoint.objects.create(organisation=world.org, key="zone", name="Zone")
    world.step.touchpoints.add(zone, apps)  # Browse: checkout, and these two
    pay = JourneyStep.objects.create(
        organisation=world.org, journey=world.journey, position=2, name="Pay", offering=world.shop
    )
    pay.touchpoints.add(zone)
    JourneyStep.objects.create(
        organisation=world.org, journey=world.journey, position=3, name="Leave", offering=world.shop
    )

    html = client_for(cast.viewer).get(url("journey_detail", "weekly-shop")).content.decode()

    line = html[html.index('<ol class="journey-line"') :]
    line = line[: line.index("</ol>")]
    steps = [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in line.split("<li>")[1:]]
    assert steps == ["1 Browse Shop App Checkout Zone", "2 Pay Shop Zone", "3 Leave Shop"]

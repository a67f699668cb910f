"""Concurrent edits through the API: offerings, journeys, decisions and bottleneck flags show
their ``version``; a PATCH or step sent with the version it read is refused (409, naming the
version it is now, nothing written) when someone changed the item since, and goes through,
counting one more, when it is current. Without ``version`` the change is not checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from assessments import services as assessments_services
from assessments.models import BottleneckFlag, Decision, DecisionStatus, FlagStatus
from catalogue import models as m
from catalogue import services as catalogue_services
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

ORG = "/api/o/acme"


def read_version(api: Any, path: str) -> int:
    response = api.get(path)
    assert response.status_code == 200, response.content
    version: int = response.json()["version"]
    return version


def assert_stale(response: Any, now: int) -> None:
    assert response.status_code == 409, response.content
    body = response.json()
    assert f"it is now version {now}" in body["detail"]
    assert "Nothing was" in body["detail"]
    assert body["current_version"] == now  # for a client, without reading the sentence


# --- offerings ------------------------------------------------------------------------------


def test_an_offering_patched_by_someone_else_refuses_the_older_patch(cast: Cast, api_as) -> None:
    first, second = api_as(cast.leader), api_as(cast.admin)
    path = f"{ORG}/offerings/shop"
    mine, theirs = read_version(first, path), read_version(second, path)
    assert mine == theirs == 1

    saved = first.patch(path, {"name": "Shop online", "version": mine})
    refused = second.patch(path, {"description": "Second's words", "version": theirs})

    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert_stale(refused, 2)
    offering = m.Offering.objects.for_org(cast.world.org).get(key="shop")
    assert (offering.name, offering.description, offering.version) == ("Shop online", "", 2)


def test_an_offering_patch_on_the_current_version_counts_one_more(cast: Cast, api_as) -> None:
    api = api_as(cast.member)
    path = f"{ORG}/offerings/shop"

    response = api.patch(path, {"description": "Groceries", "version": read_version(api, path)})

    assert response.status_code == 200
    assert response.json()["version"] == 2
    # Left out, the version is not checked, but the change still counts.
    assert api.patch(path, {"description": "Food"}).json()["version"] == 3


def test_offerings_listed_show_their_version(cast: Cast, api_as) -> None:
    items = api_as(cast.viewer).get(f"{ORG}/offerings").json()["items"]
    assert {item["key"]: item["version"] for item in items} == {"shop": 1, "warehouse": 1}


# --- journeys -------------------------------------------------------------------------------


def test_a_journey_patched_by_someone_else_refuses_the_older_patch(cast: Cast, api_as) -> None:
    first, second = api_as(cast.leader), api_as(cast.admin)
    path = f"{ORG}/journeys/weekly-shop"
    version = read_version(first, path)

    steps = [{"name": "Browse", "offering": "shop"}, {"name": "Pay", "offering": "warehouse"}]
    saved = first.patch(path, {"steps": steps, "version": version})
    refused = second.patch(path, {"segment": "Students", "version": version})

    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert_stale(refused, 2)
    journey = m.Journey.objects.for_org(cast.world.org).get(key="weekly-shop")
    assert (journey.segment, journey.version) == ("", 2)
    assert journey.steps.count() == 2


def test_a_journey_patch_of_fields_and_steps_is_one_new_version(cast: Cast, api_as) -> None:
    api = api_as(cast.leader)
    path = f"{ORG}/journeys/weekly-shop"

    response = api.patch(
        path,
        {"segment": "Families", "steps": [{"name": "Pay", "offering": "shop"}], "version": 1},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["segment"], body["version"], len(body["steps"])) == ("Families", 2, 1)


def test_a_step_added_on_the_page_refuses_an_older_journey_patch(cast: Cast, api_as) -> None:
    api = api_as(cast.leader)
    path = f"{ORG}/journeys/weekly-shop"
    version = read_version(api, path)
    # The page's "Add step" goes through the same service.
    catalogue_services.step_add(
        journey=cast.world.journey,
        name="Pay",
        offering=cast.world.warehouse,
        touchpoints=[],
        actor=cast.admin.user,
    )

    assert_stale(api.patch(path, {"name": "Big shop", "version": version}), 2)
    assert_stale(api.patch(path, {"version": version}), 2)  # even with nothing to change
    assert m.Journey.objects.for_org(cast.world.org).get(key="weekly-shop").name == "Weekly shop"


def test_a_new_journey_with_steps_starts_at_version_one(cast: Cast, api_as) -> None:
    response = api_as(cast.leader).post(
        f"{ORG}/journeys", {"name": "Returns", "steps": [{"name": "Send", "offering": "shop"}]}
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1


# --- decisions ------------------------------------------------------------------------------


def propose(cast: Cast) -> Decision:
    return assessments_services.decision_propose(
        organisation=cast.world.org,
        draft=assessments_services.DecisionDraft(
            title="Make payments repeatable", changes=((cast.world.payments, "repeatable"),)
        ),
        actor=cast.owner.user,
    )


def test_a_decision_patched_by_someone_else_refuses_the_older_patch(cast: Cast, api_as) -> None:
    decision = propose(cast)
    first, second = api_as(cast.owner), api_as(cast.leader)
    path = f"{ORG}/decisions/{decision.number}"
    version = read_version(first, path)

    saved = first.patch(path, {"context": "Three teams copy it.", "version": version})
    refused = second.patch(path, {"title": "Keep payments", "version": version})

    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert_stale(refused, 2)
    decision.refresh_from_db()
    assert (decision.title, decision.context, decision.version) == (
        "Make payments repeatable",
        "Three teams copy it.",
        2,
    )


def test_accepting_a_decision_changed_since_it_was_read_is_refused(cast: Cast, api_as) -> None:
    decision = propose(cast)
    leader = api_as(cast.leader)
    path = f"{ORG}/decisions/{decision.number}"
    version = read_version(leader, path)
    api_as(cast.owner).patch(path, {"title": "Payments, repeatable"})

    refused = leader.post(f"{path}/accept", {"version": version})

    assert_stale(refused, 2)
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.PROPOSED
    accepted = leader.post(f"{path}/accept", {"version": 2})
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["version"]) == ("accepted", 3)


def test_a_stale_patch_of_a_decided_decision_names_its_version_and_status(
    cast: Cast, api_as
) -> None:
    decision = propose(cast)
    path = f"{ORG}/decisions/{decision.number}"
    api_as(cast.leader).post(f"{path}/reject", {"version": 1})

    refused = api_as(cast.owner).patch(path, {"title": "Changed", "version": 1})

    assert_stale(refused, 2)
    assert "(rejected)" in refused.json()["detail"]


def test_deciding_without_a_body_still_works(cast: Cast, api_as) -> None:
    decision = propose(cast)
    response = api_as(cast.leader).post(f"{ORG}/decisions/{decision.number}/reject")
    assert response.status_code == 200
    assert response.json()["version"] == 2


# --- bottleneck flags -----------------------------------------------------------------------


def raise_flag(cast: Cast) -> BottleneckFlag:
    return assessments_services.flag_raise(
        organisation=cast.world.org,
        team=cast.world.delivery,
        enabler=cast.world.payments,
        offering=None,
        journey=None,
        severity="high",
        summary="Payments are slow",
        details="",
        actor=cast.member.user,
    )


def test_a_flag_step_on_an_older_version_is_refused(cast: Cast, api_as) -> None:
    flag = raise_flag(cast)
    owner, leader = api_as(cast.owner), api_as(cast.leader)
    path = f"{ORG}/flags/{flag.key}"
    mine, theirs = read_version(owner, path), read_version(leader, path)

    acknowledged = owner.post(f"{path}/acknowledge", {"note": "On it", "version": mine})
    refused = leader.post(f"{path}/resolve", {"note": "Done", "version": theirs})

    assert acknowledged.status_code == 200 and acknowledged.json()["version"] == 2
    assert_stale(refused, 2)
    assert "(acknowledged)" in refused.json()["detail"]
    flag.refresh_from_db()
    assert (flag.status, flag.version) == (FlagStatus.ACKNOWLEDGED, 2)
    assert not flag.comments.filter(body="Done").exists()


def test_a_flag_step_on_the_current_version_counts_one_more(cast: Cast, api_as) -> None:
    flag = raise_flag(cast)
    api = api_as(cast.owner)
    path = f"{ORG}/flags/{flag.key}"

    response = api.post(f"{path}/resolve", {"version": read_version(api, path)})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("resolved", 2)


def test_the_api_documents_the_version_of_every_change(cast: Cast, api_as) -> None:
    schema = api_as(cast.viewer).get("/api/openapi.json").json()["components"]["schemas"]
    for name in ("OfferingPatch", "JourneyPatch", "DecisionPatch", "DecideIn", "FlagNoteIn"):
        assert "version" in schema[name]["properties"], name
        assert "409" in schema[name]["properties"]["version"]["description"], name
    for name in ("OfferingOut", "JourneyOut", "DecisionOut", "FlagOut"):
        assert "version" in schema[name]["required"], name

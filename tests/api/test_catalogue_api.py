"""The catalogue through the API: same rules as the pages, strict input, JSON errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

ORG = "/api/o/acme"


def test_an_enabler_logged_through_the_api_is_on_its_page_with_history(cast: Cast, api_as) -> None:
    generation = m.Organisation.objects.get(pk=cast.world.org.pk).generation
    response = api_as(cast.owner).post(
        f"{ORG}/enablers",
        {"name": "Identity", "kind": "platform", "owner_team": "platform", "tags": ["Auth", "sso"]},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == "identity"
    assert body["owner_team"] == "platform"
    assert body["url"] == "/o/acme/enablers/identity/"
    enabler = m.Enabler.objects.for_org(cast.world.org).get(key="identity")
    assert enabler.tags == ["auth", "sso"]  # the page's rules: tags in lower case
    assert enabler.history.first().history_user == cast.owner.user
    assert m.Organisation.objects.get(pk=cast.world.org.pk).generation == generation + 1


def test_a_team_members_enabler_starts_as_proposed_like_on_the_page(cast: Cast, api_as) -> None:
    response = api_as(cast.member).post(
        f"{ORG}/enablers", {"name": "Stock feed", "kind": "data", "lifecycle": "active"}
    )

    assert response.status_code == 201
    assert response.json()["lifecycle"] == "proposed"


def test_a_member_cannot_give_an_enabler_to_another_team(cast: Cast, api_as) -> None:
    response = api_as(cast.member).post(
        f"{ORG}/enablers", {"name": "Stock feed", "kind": "data", "owner_team": "platform"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "owner_team"]
    assert not m.Enabler.objects.for_org(cast.world.org).filter(name="Stock feed").exists()


def test_a_name_in_use_is_a_conflict_naming_the_field(cast: Cast, api_as) -> None:
    response = api_as(cast.admin).post(f"{ORG}/enablers", {"name": "payments", "kind": "data"})

    assert response.status_code == 409
    body = response.json()
    assert "already called" in body["detail"]
    assert body["errors"] == [{"loc": ["body", "name"], "msg": body["detail"]}]


def test_unknown_fields_and_bad_choices_are_refused_with_where(cast: Cast, api_as) -> None:
    response = api_as(cast.admin).post(
        f"{ORG}/enablers", {"name": "X", "kind": "robot", "colour": "blue"}
    )

    assert response.status_code == 422
    locs = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "kind"] in locs
    assert ["body", "colour"] in locs
    assert not m.Enabler.objects.for_org(cast.world.org).filter(name="X").exists()


def test_a_body_that_is_not_json_is_a_400(cast: Cast, api_as) -> None:
    api = api_as(cast.admin)
    response = api.client.post(
        f"{ORG}/enablers", "{not json", content_type="application/json", headers=api.headers
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": []}


def test_patch_changes_only_what_is_sent_and_refuses_a_lost_update(cast: Cast, api_as) -> None:
    api = api_as(cast.owner)  # owns payments through the platform team
    first = api.patch(f"{ORG}/enablers/payments", {"classification": "repeatable", "version": 1})
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2
    assert first.json()["name"] == "Payments"

    stale = api.patch(f"{ORG}/enablers/payments", {"classification": "common", "version": 1})

    assert stale.status_code == 409
    assert "now version 2" in stale.json()["detail"]
    assert stale.json()["current_version"] == 2
    payments = m.Enabler.objects.for_org(cast.world.org).get(key="payments")
    assert payments.classification == "repeatable"


def test_an_owner_cannot_change_another_teams_enabler(cast: Cast, api_as) -> None:
    response = api_as(cast.owner).patch(f"{ORG}/enablers/search", {"capability": "x"})

    assert response.status_code == 403
    assert m.Enabler.objects.for_org(cast.world.org).get(key="search").capability == ""


def test_enablers_filter_like_the_list_page_and_page(cast: Cast, api_as) -> None:
    api = api_as(cast.viewer)

    by_team = api.get(f"{ORG}/enablers", owner_team="platform").json()
    assert [e["key"] for e in by_team["items"]] == ["payments"]
    in_area = api.get(f"{ORG}/enablers", area="food").json()  # used by shop, in Food
    assert [e["key"] for e in in_area["items"]] == ["payments"]
    searched = api.get(f"{ORG}/enablers", q="sear").json()
    assert [e["key"] for e in searched["items"]] == ["search"]
    paged = api.get(f"{ORG}/enablers", limit=1, offset=1).json()
    assert paged["count"] == 2
    assert [e["key"] for e in paged["items"]] == ["search"]
    unknown = api.get(f"{ORG}/enablers", owner_team="no-such-team")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["query", "owner_team"]
    too_many = api.get(f"{ORG}/enablers", limit=1000)
    assert too_many.status_code == 422


def test_listing_enablers_takes_the_same_queries_for_5_or_50(cast: Cast, api_as) -> None:
    api = api_as(cast.viewer)
    api.get(f"{ORG}/me")  # the token's first use is written down once; not part of the count

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{ORG}/enablers", limit=200).status_code == 200
        return len(queries)

    f.EnablerFactory.create_batch(3, organisation=cast.world.org, owner_team=cast.world.platform)
    few = count()
    f.EnablerFactory.create_batch(45, organisation=cast.world.org, owner_team=cast.world.platform)
    assert count() == few


def test_a_usage_for_your_own_teams_offering_only(cast: Cast, api_as) -> None:
    member = api_as(cast.member)  # in delivery, which owns shop but not warehouse

    own = member.post(f"{ORG}/usages", {"enabler": "search", "offering": "shop"})
    other = member.post(f"{ORG}/usages", {"enabler": "search", "offering": "warehouse"})
    again = member.post(
        f"{ORG}/usages", {"enabler": "search", "offering": "shop", "criticality": "high"}
    )

    assert own.status_code == 201
    assert other.status_code == 403
    assert again.status_code == 200
    assert again.json()["criticality"] == "high"
    usages = m.EnablerUsage.objects.for_org(cast.world.org).filter(enabler__key="search")
    assert [u.offering.key for u in usages] == ["shop"]
    removed = member.delete(f"{ORG}/usages/{own.json()['id']}")
    assert removed.status_code == 204
    assert not usages.all().exists()


def test_a_journey_is_written_with_its_steps_and_unknown_keys_are_named(cast: Cast, api_as) -> None:
    api = api_as(cast.leader)
    bad = api.post(
        f"{ORG}/journeys",
        {
            "name": "Returns",
            "steps": [
                {"name": "Ask", "offering": "shop", "touchpoints": ["checkout", "nowhere"]},
                {"name": "Send", "offering": "nothing"},
            ],
        },
    )
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [
        ["body", "steps", 0, "touchpoints", 1],
        ["body", "steps", 1, "offering"],
    ]
    assert not m.Journey.objects.for_org(cast.world.org).filter(name="Returns").exists()

    made = api.post(
        f"{ORG}/journeys",
        {
            "name": "Returns",
            "segment": "Shoppers",
            "steps": [
                {"name": "Ask", "offering": "shop", "touchpoints": ["checkout"]},
                {"name": "Send", "offering": "warehouse"},
            ],
        },
    )
    assert made.status_code == 201, made.content
    assert [(s["position"], s["offering"]) for s in made.json()["steps"]] == [
        (1, "shop"),
        (2, "warehouse"),
    ]
    changed = api.patch(
        f"{ORG}/journeys/returns", {"steps": [{"name": "Send", "offering": "warehouse"}]}
    )
    assert changed.status_code == 200
    assert [s["name"] for s in changed.json()["steps"]] == ["Send"]
    assert changed.json()["segment"] == "Shoppers"


def test_deleting_a_team_still_referred_to_is_a_conflict(cast: Cast, api_as) -> None:
    response = api_as(cast.admin).delete(f"{ORG}/teams/platform")

    assert response.status_code == 409
    assert "Enablers it owns" in response.json()["detail"]
    assert m.Team.objects.for_org(cast.world.org).filter(key="platform").exists()


def test_teams_and_offerings_are_written_by_leadership(cast: Cast, api_as) -> None:
    api = api_as(cast.leader)

    team = api.post(f"{ORG}/teams", {"name": "Data", "kind": "platform", "business_area": "food"})
    offering = api.post(f"{ORG}/offerings", {"name": "Click and collect", "team": "data"})
    renamed = api.patch(f"{ORG}/offerings/click-and-collect", {"kind": "product"})

    assert team.status_code == 201, team.content
    assert team.json()["business_area"] == "food"
    assert offering.status_code == 201, offering.content
    assert renamed.json()["kind"] == "product"
    assert renamed.json()["team"] == "data"
    assert api_as(cast.member).post(f"{ORG}/teams", {"name": "Mine"}).status_code == 403

"""Regressions found in review: each was a 500, a leak or a hole before."""

from __future__ import annotations

from django.urls import reverse

from assessments.models import BottleneckFlag
from catalogue import services
from catalogue.models import BusinessArea, Enabler, Membership
from tests.conftest import Cast, client_for


def test_an_invitation_cannot_be_spent_by_another_signed_in_account(cast: Cast) -> None:
    tokens: list[str] = []

    def remember(token: str) -> str:
        tokens.append(token)
        return token

    services.invitation_create(
        organisation=cast.world.org,
        email="alice@example.org",
        role="admin",
        teams=[],
        invited_by=cast.admin.user,
        accept_url_for=remember,
    )
    link = reverse("accept_invitation", args=[tokens[0]])
    response = client_for(cast.outsider).post(link)
    assert response.status_code == 403
    assert "for someone else" in response.content.decode()
    assert not Membership.objects.for_org(cast.world.org).filter(user=cast.outsider.user).exists()


def test_generated_keys_never_hold_underscores(cast: Cast) -> None:
    response = client_for(cast.leader).post(
        reverse("catalogue:enabler_create", args=["acme"]),
        {
            "name": "Data__lake  store",
            "kind": "data",
            "classification": "common",
            "lifecycle": "active",
        },
    )
    assert response.status_code == 302
    assert Enabler.objects.for_org(cast.world.org).filter(key="data-lake-store").exists()


def test_an_item_named_new_gets_a_key_its_own_page_can_use(cast: Cast) -> None:
    # "/areas/new/" is the form for a new area, so the key "new" would hide the item's page.
    response = client_for(cast.leader).post(
        reverse("catalogue:area_create", args=["acme"]), {"name": "New", "key": ""}
    )
    assert response.status_code == 302
    area = BusinessArea.objects.for_org(cast.world.org).get(name="New")
    assert area.key == "new-2"
    assert client_for(cast.viewer).get(area.get_absolute_url()).status_code == 200


def test_a_usage_naming_a_non_ascii_digit_is_refused_not_a_crash(cast: Cast) -> None:
    response = client_for(cast.member).post(
        reverse("catalogue:usage_add", args=["acme", "search"]), {"offering": "²"}
    )
    assert response.status_code == 400


def test_an_impossible_id_is_not_found(cast: Cast) -> None:
    huge = "9" * 30
    url = f"/o/acme/teams/delivery/members/{huge}/remove/"
    assert client_for(cast.admin).get(url).status_code == 404


def test_an_enabler_with_flags_cannot_be_deleted_and_the_page_says_why(cast: Cast) -> None:
    BottleneckFlag.objects.create(
        organisation=cast.world.org,
        key="f-1",
        team=cast.world.delivery,
        enabler=cast.world.search,
        summary="Search is slow",
    )
    response = client_for(cast.admin).post(
        reverse("catalogue:enabler_delete", args=["acme", "search"])
    )
    assert response.status_code == 409
    assert "Search is slow" in response.content.decode()
    assert Enabler.objects.for_org(cast.world.org).filter(key="search").exists()


def test_admin_who_removes_themselves_lands_on_their_organisations(cast: Cast) -> None:
    cast.leader.role = "admin"  # a second admin, so the first may leave
    cast.leader.save()
    response = client_for(cast.admin).post(
        reverse("catalogue:member_remove", args=["acme", cast.admin.pk])
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("home")
    assert not Membership.objects.for_org(cast.world.org).filter(pk=cast.admin.pk).exists()


def test_a_whole_organisation_can_be_deleted_and_the_other_is_untouched(cast: Cast) -> None:
    # Items refer to each other with RESTRICT: none can go alone while referred to, yet the
    # organisation's cascade removes them all (PROTECT would refuse it).
    from catalogue.models import Offering, Organisation

    cast.world.org.delete()
    assert not Organisation.objects.filter(slug="acme").exists()
    assert not Offering.objects.unscoped().filter(organisation_id=cast.world.org.pk).exists()
    assert Offering.objects.for_org(cast.other.org).filter(key="shop").exists()

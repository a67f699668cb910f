"""What the fuzz found, each kept as a plain regression test (all were 500s)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue import models as m
from tests.conftest import Cast, client_for

from .fingerprint import differences, fingerprint


@pytest.mark.parametrize(
    ("page", "key"),
    [
        ("area_edit", "food"),
        ("team_edit", "delivery"),
        ("offering_edit", "shop"),
        ("touchpoint_edit", "checkout"),
        ("journey_edit", "weekly-shop"),
        ("enabler_edit", "payments"),
    ],
)
def test_an_edit_with_a_blank_name_and_key_is_refused_next_to_the_fields(
    cast: Cast, page: str, key: str
) -> None:
    # Validation wrote the blank key into the item the page then linked to (NoReverseMatch).
    url = reverse(f"catalogue:{page}", args=["acme", key])

    response = client_for(cast.leader).post(url, {"name": "", "key": ""})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    # The page around the errors still names the stored item and links to it.
    assert f"/o/acme/{page.split('_')[0]}".encode() in response.content
    assert key.encode() in response.content


@pytest.mark.parametrize("bad", ["1", "home", "logout", "//evil.example/", "javascript:alert(1)"])
def test_marking_notifications_read_goes_back_only_to_a_path_of_this_site(
    cast: Cast, bad: str
) -> None:
    # redirect() took a bare word for a view name: "1" was a 500, "home" went elsewhere.
    url = reverse("assessments:notifications_read", args=["acme"])

    response = client_for(cast.viewer).post(url, {"next": bad})

    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:notification_list", args=["acme"])


@pytest.mark.parametrize("bad", ["1", "home", "//evil.example/"])
def test_removing_a_usage_goes_back_only_to_a_path_of_this_site(cast: Cast, bad: str) -> None:
    url = reverse("catalogue:usage_remove", args=["acme", cast.world.usage.pk])

    response = client_for(cast.member).post(url, {"next": bad})

    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:enabler_detail", args=["acme", "payments"])


@pytest.mark.parametrize("content", [b"\x00", b"format: enabling-model/1\n\x1b\n"])
def test_an_organisation_file_with_a_control_character_is_refused_and_writes_nothing(
    cast: Cast, content: bytes
) -> None:
    # PyYAML refuses such text when the loader is made, before the guarded parse began.
    url = reverse("assessments:import_file", args=["acme"])
    before = fingerprint()

    response = client_for(cast.admin).post(url, {"file": SimpleUploadedFile("acme.yaml", content)})

    assert response.status_code == 400
    assert b"YAML cannot be read" in response.content
    assert differences(before, fingerprint()) == []


def test_a_backstage_file_with_a_control_character_is_refused_and_writes_nothing(
    cast: Cast,
) -> None:
    url = reverse("catalogue:backstage_import", args=["acme"])
    before = fingerprint()

    response = client_for(cast.leader).post(
        url,
        {"step": "upload", "descriptors": [SimpleUploadedFile("catalog-info.yaml", b"\x00")]},
    )

    assert response.status_code == 400
    assert b"not valid YAML" in response.content
    assert differences(before, fingerprint()) == []
    assert not m.Team.objects.for_org(cast.world.org).filter(key="payments-team").exists()


def test_a_tag_with_nul_is_refused_next_to_the_field_and_writes_nothing(cast: Cast) -> None:
    # Tags are stored as JSON, where the field's own NUL check did not look: PostgreSQL then
    # refused the "\u0000" (a 500); SQLite stored it.
    url = reverse("catalogue:enabler_create", args=["acme"])
    data = {"name": "Tagged", "key": "", "kind": "platform", "tags": "fast, sl\x00ow"}
    before = fingerprint()

    response = client_for(cast.leader).post(url, data)

    assert response.status_code == 400
    assert response.context["form"].errors["tags"]
    assert differences(before, fingerprint()) == []


def test_a_flag_for_a_team_key_with_nul_is_refused_and_writes_nothing(cast: Cast) -> None:
    # The view looked the posted key up before the form did: PostgreSQL refuses any NUL in a
    # query (a 500 there; this fails on the PostgreSQL pass of the suite without the fix).
    url = reverse("assessments:flag_raise", args=["acme"])
    data = {"team": "deli\x00very", "enabler": "payments", "severity": "high", "summary": "Slow"}
    before = fingerprint()

    response = client_for(cast.member).post(url, data)

    assert response.status_code == 400
    assert response.context["form"].errors["team"]
    assert differences(before, fingerprint()) == []


@pytest.mark.parametrize("team", [str(2**63), "9" * 30])
def test_a_team_id_no_database_holds_is_refused_as_an_unknown_choice(cast: Cast, team: str) -> None:
    # SQLite raised OverflowError reading such an id back from the checked choices (a 500).
    url = reverse("catalogue:member_edit", args=["acme", cast.viewer.pk])
    before = fingerprint()

    response = client_for(cast.admin).post(url, {"role": "team_member", "teams": [team]})

    assert response.status_code == 400
    assert response.context["form"].errors["teams"]
    assert differences(before, fingerprint()) == []


@pytest.mark.parametrize("name", ["change", "enabler", "flag", "merge_from"])
def test_a_prefilled_decision_ignores_keys_with_nul(cast: Cast, name: str) -> None:
    # The prefill looked the keys up: PostgreSQL refuses any NUL in a query (a 500 there;
    # this fails on the PostgreSQL pass of the suite without the fix).
    url = reverse("assessments:decision_new", args=["acme"])

    response = client_for(cast.owner).get(url, {name: "pay\x00ments:repeatable"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("page", "args", "field"),
    [
        ("offering_usage_add", ["acme", "shop"], "enabler"),
        ("usage_add", ["acme", "search"], "offering"),
    ],
)
def test_a_picked_item_named_with_nul_is_refused_next_to_the_field(
    cast: Cast, page: str, args: list[str], field: str
) -> None:
    # The typed picker looked the text up: PostgreSQL refuses any NUL in a query (a 500
    # there; this fails on the PostgreSQL pass of the suite without the fix).
    before = fingerprint()

    response = client_for(cast.leader).post(
        reverse(f"catalogue:{page}", args=args), {field: "\x00", "criticality": "high"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert differences(before, fingerprint()) == []


@pytest.mark.parametrize("kind", ["offering", "enabler"])
def test_suggestions_for_text_with_nul_are_none(cast: Cast, kind: str) -> None:
    response = client_for(cast.viewer).get(
        reverse(f"catalogue:{kind}_suggest", args=["acme"]), {kind: "pay\x00"}
    )

    assert response.status_code == 200

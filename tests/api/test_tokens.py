"""The API tokens page: a member makes a token, sees it once, uses it, and revokes it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from catalogue import models as m
from tests.api.conftest import ApiClient
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db


def _page(cast: Cast) -> str:
    return reverse("catalogue:token_list", args=[cast.world.org.slug])


def _make(cast: Cast, membership: m.Membership, name: str = "Nightly sync") -> tuple[str, str]:
    response = client_for(membership).post(_page(cast), {"name": name, "valid_days": "90"})
    assert response.status_code == 200
    html = response.content.decode()
    secret = re.search(r'id="token-secret" type="text" value="([^"]+)"', html)
    assert secret is not None, "the new token is shown"
    return secret.group(1), html


def test_a_viewer_makes_a_token_that_reads_with_their_role(cast: Cast) -> None:
    secret, html = _make(cast, cast.viewer)
    assert "it is not shown again" in html

    api = ApiClient(secret)
    me = api.get(f"/api/o/{cast.world.org.slug}/me")
    assert me.status_code == 200
    assert me.json()["role"] == "viewer"
    assert api.get(f"/api/o/{cast.world.org.slug}/enablers").status_code == 200
    refused = api.post(f"/api/o/{cast.world.org.slug}/teams", {"name": "New team"})
    assert refused.status_code == 403


def test_only_a_hash_of_the_token_is_stored_and_it_is_shown_once(cast: Cast) -> None:
    secret, _ = _make(cast, cast.member)
    token = m.ApiToken.objects.unscoped().get(name="Nightly sync")
    assert secret not in (token.token_hash, token.prefix)
    assert secret.startswith(token.prefix)
    assert len(token.token_hash) == 64

    again = client_for(cast.member).get(_page(cast)).content.decode()
    assert secret not in again
    assert token.prefix in again  # recognisable by its start


def test_the_page_lists_only_your_own_tokens(cast: Cast) -> None:
    _make(cast, cast.admin, name="Admin script")
    _make(cast, cast.member, name="Member script")

    html = client_for(cast.member).get(_page(cast)).content.decode()

    assert "Member script" in html
    assert "Admin script" not in html


def test_a_revoked_token_stops_working_at_once(cast: Cast) -> None:
    secret, _ = _make(cast, cast.owner)
    api = ApiClient(secret)
    assert api.get(f"/api/o/{cast.world.org.slug}/me").status_code == 200
    token = m.ApiToken.objects.unscoped().get(name="Nightly sync")
    revoke = reverse("catalogue:token_revoke", args=[cast.world.org.slug, token.pk])

    response = client_for(cast.owner).post(revoke)

    assert response.status_code == 302
    assert api.get(f"/api/o/{cast.world.org.slug}/me").status_code == 401
    html = client_for(cast.owner).get(_page(cast)).content.decode()
    assert "Revoked" in html


def test_someone_else_cannot_revoke_your_token_even_an_admin(cast: Cast) -> None:
    secret, _ = _make(cast, cast.member)
    token = m.ApiToken.objects.unscoped().get(name="Nightly sync")
    revoke = reverse("catalogue:token_revoke", args=[cast.world.org.slug, token.pk])

    assert client_for(cast.admin).post(revoke).status_code == 404

    assert ApiClient(secret).get(f"/api/o/{cast.world.org.slug}/me").status_code == 200


def test_a_token_without_a_name_is_refused_next_to_the_field(cast: Cast) -> None:
    response = client_for(cast.viewer).post(_page(cast), {"name": "  ", "valid_days": "30"})

    assert response.status_code == 400
    assert "Give the token a name." in response.content.decode()
    assert not m.ApiToken.objects.unscoped().exists()


def test_a_token_made_without_expiry_has_none(cast: Cast) -> None:
    client_for(cast.viewer).post(_page(cast), {"name": "Forever", "valid_days": ""})

    assert m.ApiToken.objects.unscoped().get(name="Forever").expires_at is None


def test_the_empty_state_says_what_to_do(cast: Cast) -> None:
    html = client_for(cast.viewer).get(_page(cast)).content.decode()

    assert "You have no tokens for this organisation yet" in html
    assert 'for="id_name"' in html  # the name field has its label

import pytest
from django.urls import reverse

from tests.conftest import client_for


@pytest.mark.parametrize(
    "name,args",
    [
        ("catalogue:home", []),
        ("catalogue:enabler_list", []),
        ("catalogue:enabler_detail", ["payments"]),
        ("catalogue:enabler_edit", ["payments"]),
        ("catalogue:enabler_create", []),
        ("catalogue:journey_detail", ["weekly-shop"]),
        ("catalogue:journey_list", []),
        ("catalogue:offering_detail", ["shop"]),
        ("catalogue:team_detail", ["delivery"]),
        ("catalogue:area_detail", ["food"]),
        ("catalogue:touchpoint_detail", ["checkout"]),
        ("catalogue:member_list", []),
        ("catalogue:member_invite", []),
        ("catalogue:offering_delete", ["shop"]),
        ("catalogue:team_list", []),
    ],
)
def test_admin_sees_every_page(cast, name, args):
    response = client_for(cast.admin).get(reverse(name, args=["acme", *args]))
    assert response.status_code == 200, response.content[:2000]
    assert b"<h1" in response.content

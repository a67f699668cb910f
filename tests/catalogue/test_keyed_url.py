"""keyed_url gives what reverse() gives, with the address around the key worked out once."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from catalogue.models import keyed_url

VIEWS = [
    "catalogue:enabler_detail",
    "catalogue:offering_detail",
    "catalogue:journey_detail",
    "assessments:flag_detail",
    "assessments:decision_detail",
    "assessments:round_detail",
]


@pytest.mark.parametrize("view_name", VIEWS)
@pytest.mark.parametrize("slug", ["acme", "0keyed0url0", "a-b"])
@pytest.mark.parametrize("key", ["payments", "0keyed0url0", "x-1", "Under_score"])
def test_it_gives_what_reverse_gives(view_name: str, slug: str, key: str) -> None:
    assert keyed_url(view_name, slug, key) == reverse(view_name, args=[slug, key])


def test_a_script_prefix_is_kept() -> None:
    set_script_prefix("/em/")
    try:
        assert keyed_url(VIEWS[0], "acme", "payments") == "/em/o/acme/enablers/payments/"
    finally:
        set_script_prefix("/")
    assert keyed_url(VIEWS[0], "acme", "payments") == "/o/acme/enablers/payments/"


@pytest.mark.parametrize("key", ["", "a.b", "a/b", "ä"])
def test_a_key_the_address_cannot_hold_is_refused_as_reverse_refuses_it(key: str) -> None:
    with pytest.raises(NoReverseMatch):
        keyed_url(VIEWS[0], "acme", key)


@pytest.mark.parametrize("number", [0, 7, 918273645546372819, 10**20])
def test_a_number_gives_what_reverse_gives(number: int) -> None:
    view = "catalogue:usage_remove"
    assert keyed_url(view, "acme", number) == reverse(view, args=["acme", number])


def test_a_negative_number_is_refused_as_reverse_refuses_it() -> None:
    with pytest.raises(NoReverseMatch):
        keyed_url("catalogue:usage_remove", "acme", -1)

"""An item deleted by someone else between loading a page's item and saving it: a plain
"not found", not a server error (the save's row lock found no row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404

from assessments import services as a
from assessments.models import BottleneckFlag, Decision, FlagAction
from catalogue import services as c
from catalogue.models import Enabler, Offering
from tests import factories as f
from tests.conftest import Cast


def _flag(cast: Cast) -> BottleneckFlag:
    w = cast.world
    return a.flag_raise(
        organisation=w.org,
        team=w.delivery,
        enabler=w.payments,
        offering=None,
        journey=None,
        severity="high",
        summary="Slow",
        details="",
        actor=cast.member.user,
    )


def _decision(cast: Cast) -> Decision:
    return a.decision_propose(
        organisation=cast.world.org,
        draft=a.DecisionDraft(title="Gone soon"),
        actor=cast.owner.user,
    )


CASES: dict[str, tuple[Callable[[Cast], Any], Callable[[Cast, Any], Any]]] = {
    "offering edit": (
        lambda cast: f.OfferingFactory(
            organisation=cast.world.org, key="popup", name="Pop-up", team=cast.world.delivery
        ),
        lambda cast, item: c.item_save(
            item=item, actor=cast.leader.user, created=False, base_version=item.version
        ),
    ),
    "enabler edit": (
        lambda cast: cast.world.search,
        lambda cast, item: c.enabler_update(
            enabler=item,
            fields={"name": "Find"},
            base_version=item.version,
            actor=cast.leader.user,
        ),
    ),
    "flag step": (
        _flag,
        lambda cast, item: a.flag_transition(
            flag=item,
            action=FlagAction.ACKNOWLEDGED,
            note="",
            actor=cast.owner.user,
            base_version=item.version,
        ),
    ),
    "decision accept": (
        _decision,
        lambda cast, item: a.decision_accept(
            decision=item, actor=cast.leader.user, base_version=item.version
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_saving_an_item_deleted_meanwhile_is_not_found(cast: Cast, case: str) -> None:
    load, save = CASES[case]
    item = load(cast)
    type(item).objects.for_org(cast.world.org).filter(pk=item.pk).delete()

    with pytest.raises(Http404, match="no longer exists"):
        save(cast, item)

    assert not type(item).objects.for_org(cast.world.org).filter(pk=item.pk).exists()
    assert Offering.objects.for_org(cast.world.org).filter(name="Find").count() == 0
    assert Enabler.objects.for_org(cast.world.org).filter(name="Find").count() == 0

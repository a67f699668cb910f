"""Every main page of a large organisation runs the same number of queries at any size.

The organisation is the benchmark's own (``assessments.generate``, the data of
``manage.py generate_organisation``), written at two small scales, ten times apart, with
what the generator leaves out added by hand: a signed-in admin in the team with the longest
to-do list, an open round, decisions and a stored balance report. Each page (with its
filters where it has them) is requested at both sizes; the counts must be equal, and each
page must have something to show at the smaller size, so an empty page cannot pass for a
fixed count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.balance.bench import generate
from assessments.generate import organisation_write, sized
from assessments.models import AssessmentRound, BottleneckFlag
from assessments.selectors import team_todo_enablers
from catalogue import models as m
from tests import factories as f
from tests.catalogue.test_query_counts import repeated
from tests.conftest import client_for

SLUG = "generated"
SMALL, LARGE = 0.002, 0.02  # 10 then 100 enablers, 100 then 1,000 usages, 10 then 100 flags


@dataclass
class Scene:
    org: m.Organisation
    admin: m.Membership
    team: m.Team
    open_round: AssessmentRound
    enabler: m.Enabler  # the most used
    journey: m.Journey
    area: m.BusinessArea
    flag: BottleneckFlag  # an open one
    decided: m.Enabler  # named by decisions


def build(scale: float) -> Scene:
    org = organisation_write(slug=SLUG, name="Generated", data=generate(1, **sized(scale)))
    user = f.UserFactory(username=f"admin-{scale}")
    admin = m.Membership.objects.create(organisation=org, user=user, role=m.Role.ADMIN)
    teams = m.Team.objects.for_org(org).order_by("key")
    team = max(teams, key=lambda t: team_todo_enablers(organisation=org, team=t).count())
    m.TeamMembership.objects.create(organisation=org, team=team, membership=admin)
    enablers = list(m.Enabler.objects.for_org(org).order_by("key")[:20])
    # The generator gives enablers no owning team: the measured team owns a tenth of them.
    m.Enabler.objects.for_org(org).filter(pk__in=[e.pk for e in enablers[::10]]).update(
        owner_team=team
    )
    m.Enabler.objects.for_org(org).filter(key__endswith="3").update(owner_team=team)
    for i in range(max(2, round(scale * 1000))):  # 2 then 20 decisions
        services.decision_propose(
            organisation=org,
            draft=services.DecisionDraft(
                title=f"Decision {i}", context="Why", enablers=tuple(enablers[i % 10 : i % 10 + 2])
            ),
            actor=user,
        )
    services.report_compute_now(organisation=org, reason="test")
    open_round = services.round_open(organisation=org, name="Open", due_on=None, actor=user)
    top = m.Enabler.objects.for_org(org).annotate(n=Count("usages")).order_by("-n", "key")[0]
    used_in = m.EnablerUsage.objects.for_org(org).filter(enabler=top).order_by("pk")[0]
    return Scene(
        org=org,
        admin=admin,
        team=team,
        open_round=open_round,
        enabler=top,
        journey=m.Journey.objects.for_org(org).order_by("key")[0],
        area=used_in.offering.business_area,  # type: ignore[arg-type]
        flag=BottleneckFlag.objects.for_org(org)
        .filter(status="open")
        .select_related("team", "enabler")
        .order_by("pk")[0],
        decided=enablers[0],
    )


def _catalogue(name: str, *args: Callable[[Scene], str], query: str = "") -> Any:
    return lambda s: reverse(f"catalogue:{name}", args=[SLUG, *(a(s) for a in args)]) + query


def _assessments(name: str, *args: Callable[[Scene], str], query: str = "") -> Any:
    return lambda s: reverse(f"assessments:{name}", args=[SLUG, *(a(s) for a in args)]) + query


def _rows(name: str) -> Callable[[Any], bool]:
    """The page lists at least one row (its paginated ``name`` in the context)."""
    return lambda response: response.context[name].paginator.count > 0


def _shows(text: str) -> Callable[[Any], bool]:
    return lambda response: text in response.content.decode()


# page id: (URL of the scene, what the page must show at either size)
PAGES: dict[str, tuple[Callable[[Scene], str], Callable[[Any], bool]]] = {
    "home": (_catalogue("home"), _shows("Enablers")),
    "enabler_list": (_catalogue("enabler_list"), _rows("page")),
    "enabler_list-filtered": (
        lambda s: _catalogue(
            "enabler_list",
            query=f"?q=e&kind=platform&lifecycle=active&area={s.area.key}&owner_team={s.team.key}",
        )(s),
        _rows("page"),
    ),
    "enabler_detail": (_catalogue("enabler_detail", lambda s: s.enabler.key), _rows("usages")),
    "journey": (_catalogue("journey_detail", lambda s: s.journey.key), _shows("Add a step")),
    "team_to_do-open-round": (
        _assessments("round_team", lambda s: s.open_round.key, lambda s: s.team.key),
        _rows("page"),
    ),
    "team_to_do-closed-round": (
        lambda s: _assessments("round_team", lambda _: "round-1", lambda _: s.team.key)(s),
        _rows("page"),
    ),
    "flag_list": (_assessments("flag_list"), _rows("page")),
    "flag_list-area": (
        lambda s: _assessments("flag_list", query=f"?area={s.area.key}&enabler=enabler+1")(s),
        _shows("flag"),
    ),
    "flag_list-filtered": (
        lambda s: _assessments(
            "flag_list",
            query=f"?status=open&severity={s.flag.severity}&team={s.flag.team.key}"
            f"&enabler={s.flag.enabler.name.replace(' ', '+')}",
        )(s),
        _rows("page"),
    ),
    "portfolio": (_assessments("portfolio"), _shows("Balance score")),
    "decision_list": (_assessments("decision_list"), _rows("page")),
    "decision_list-filtered": (
        lambda s: _assessments("decision_list", query=f"?status=proposed&enabler={s.decided.key}")(
            s
        ),
        _rows("page"),
    ),
    "decision_list-typed-enabler": (
        _assessments("decision_list", query="?enabler=enabler+1"),
        _rows("page"),
    ),
}


def measure(scene: Scene) -> dict[str, tuple[int, list[str]]]:
    client = client_for(scene.admin)
    counts = {}
    for page_id, (url_of, shows) in PAGES.items():
        url = url_of(scene)
        client.get(url)  # warm up: first-request caches are not the page
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (page_id, response.status_code)
        assert shows(response), f"{page_id} shows nothing at this size"
        counts[page_id] = (len(captured), [q["sql"] for q in captured.captured_queries])
    return counts


@pytest.mark.django_db
def test_no_main_page_runs_more_queries_in_a_larger_organisation() -> None:
    small = measure(build(SMALL))
    large = measure(build(LARGE))

    grew = {
        page_id: (small[page_id][0], large[page_id][0])
        for page_id in PAGES
        if small[page_id][0] != large[page_id][0]
    }
    assert not grew, "queries (small, large) that changed with the size: " + "; ".join(
        f"{page_id} {counts}: repeated\n{repeated(large[page_id][1])}"
        for page_id, counts in grew.items()
    )

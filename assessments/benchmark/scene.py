"""What the pages of a generated organisation need, the pages to measure, and their queries.

The generator makes the catalogue, assessments and flags; a page also needs someone signed
in (an admin who is in a team, as a leader of a large organisation would be), decisions in
the register, an open round (the team to-do list at its heaviest, one form per row) and a
fresh balance report.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from catalogue.models import (
    BusinessArea,
    Enabler,
    EnablerUsage,
    Journey,
    Membership,
    Organisation,
    Role,
    Team,
    TeamMembership,
)
from catalogue.signals import balance_inputs_changed

from .. import services
from ..models import AssessmentRound, Decision, RoundStatus
from ..receivers import queue_recompute

USERNAME = "bench-admin"
# Decisions in the register at the reference size (a leader's years of them), scaled.
DECISIONS_AT_REFERENCE = 200
FLOOR = "floor"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # with its query string


@dataclass(frozen=True)
class Scene:
    organisation: Organisation
    username: str
    password: str
    team: Team  # the admin's team: the busiest to-do list, and the team that raises flags
    flag_enabler: Enabler
    pages: tuple[Page, ...]  # the main pages, then the floor

    @property
    def flag_path(self) -> str:
        return reverse("assessments:flag_raise", args=[self.organisation.slug])


@contextmanager
def recomputes_held() -> Iterator[None]:
    """No recompute is queued for the changes made inside: the scene computes one report at
    the end, and no task is left behind in a queue."""
    balance_inputs_changed.disconnect(dispatch_uid="assessments-recompute")
    try:
        yield
    finally:
        balance_inputs_changed.connect(queue_recompute, dispatch_uid="assessments-recompute")


def busiest_team(organisation: Organisation) -> Team:
    """The team whose offerings use the most live enablers: the longest to-do list."""
    top = (
        EnablerUsage.objects.for_org(organisation)
        .filter(offering__team__isnull=False, enabler__lifecycle__in=("proposed", "active"))
        .values("offering__team")
        .annotate(enablers=Count("enabler", distinct=True))
        .order_by("-enablers", "offering__team")
        .first()
    )
    teams = Team.objects.for_org(organisation)
    return teams.get(pk=top["offering__team"]) if top else teams.order_by("key").first()  # type: ignore[return-value]


def most_used_enabler(organisation: Organisation) -> Enabler:
    """The enabler with the most usages: the heaviest enabler page."""
    return (
        Enabler.objects.for_org(organisation)
        .annotate(uses=Count("usages"))
        .order_by("-uses", "key")
        .first()
    )  # type: ignore[return-value]


def _decisions_make(organisation: Organisation, actor: Any, count: int) -> None:
    enablers = list(Enabler.objects.for_org(organisation).order_by("key")[: count * 2])
    for number in range(count):
        services.decision_propose(
            organisation=organisation,
            draft=services.DecisionDraft(
                title=f"Benchmark decision {number + 1}",
                context="Generated for the benchmark.",
                decision="Keep both for now.",
                enablers=tuple(enablers[2 * number : 2 * number + 2]),
            ),
            actor=actor,
        )


def bench_admin() -> tuple[Any, str]:
    """The benchmark's user, with a new random password (returned): one per run."""
    password = secrets.token_urlsafe(24)
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(password)
    user.save()
    return user, password


def statistics_refresh() -> None:
    """VACUUM ANALYZE on PostgreSQL (ANALYZE elsewhere): what autovacuum does soon after a
    bulk load in a live installation (PostgreSQL 13 and later vacuum tables that were only
    inserted into, too). Without the statistics PostgreSQL guessed one row per filter and
    chose plans that took seconds (the filtered enabler list: 1.4 s, then 31 ms); without
    the vacuum, an index-only scan still reads every row it finds from the table (the
    usages of a business area: 7 ms instead of 1.2 ms)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def scene_prepare(*, organisation: Organisation, scale: float, user: Any, password: str) -> Scene:
    """Make ``user`` an admin of the organisation in its busiest team, add decisions, an open
    round and a fresh report (what is there already is kept), and name the pages."""
    membership, _ = Membership.objects.for_org(organisation).update_or_create(
        organisation=organisation, user=user, defaults={"role": Role.ADMIN}
    )
    team = busiest_team(organisation)
    TeamMembership.objects.for_org(organisation).get_or_create(
        organisation=organisation, team=team, membership=membership
    )
    with recomputes_held():
        if not Decision.objects.for_org(organisation).exists():
            count = max(10, round(DECISIONS_AT_REFERENCE * scale))
            _decisions_make(organisation, user, count)
        rounds = AssessmentRound.objects.for_org(organisation)
        open_round = rounds.filter(status=RoundStatus.OPEN).first()
        if open_round is None:
            open_round = services.round_open(
                organisation=organisation, name="Benchmark round", due_on=None, actor=user
            )
    services.report_compute_now(organisation=organisation, reason="benchmark pages")
    statistics_refresh()

    slug = organisation.slug
    enabler = most_used_enabler(organisation)
    journey = Journey.objects.for_org(organisation).order_by("key").first()
    area = BusinessArea.objects.for_org(organisation).order_by("key").first()
    assert journey is not None and area is not None, "a generated organisation has both"
    filters = f"?q=enabler&classification=common&lifecycle=active&area={area.key}"
    pages = (
        Page("home", reverse("catalogue:home", args=[slug])),
        Page("enabler_list", reverse("catalogue:enabler_list", args=[slug])),
        Page("enabler_list_filtered", reverse("catalogue:enabler_list", args=[slug]) + filters),
        Page("enabler_detail", reverse("catalogue:enabler_detail", args=[slug, enabler.key])),
        Page("journey_detail", reverse("catalogue:journey_detail", args=[slug, journey.key])),
        Page(
            "team_todo",
            reverse("assessments:round_team", args=[slug, open_round.key, team.key]),
        ),
        Page("flag_list", reverse("assessments:flag_list", args=[slug])),
        Page("portfolio", reverse("assessments:portfolio", args=[slug])),
        Page("decision_list", reverse("assessments:decision_list", args=[slug])),
        Page(FLOOR, reverse("catalogue:floor", args=[slug])),
    )
    return Scene(
        organisation=organisation,
        username=USERNAME,
        password=password,
        team=team,
        flag_enabler=enabler,
        pages=pages,
    )


def page_queries(scene: Scene) -> dict[str, int]:
    """Queries per request of each page, in this process (django.test.Client), signed in as
    the scene's admin. Each page is asked for twice and counted the second time, so what is
    loaded once per process (content types, say) is not counted."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=scene.username))
    counts = {}
    # As in the servers measured: no periodic jobs in a request, and a session saved at
    # most once a minute (never while counting, so the count does not depend on timing).
    quiet = override_settings(RUN_PERIODIC_JOBS_IN_WEB=False, SESSION_REFRESH_SECONDS=3600)
    with quiet:
        for page in scene.pages:
            for _ in range(2):
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(page.path)
                if response.status_code != 200:
                    raise RuntimeError(f"{page.name} ({page.path}): {response.status_code}")
            counts[page.name] = len(queries)
    return counts

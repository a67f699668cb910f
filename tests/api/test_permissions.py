"""Who may do what through the API: every operation against the cast, in one table.

The same rules as the pages (tests/catalogue/test_permission_matrix.py): each row names an
operation as the OpenAPI document does (method and path under ``/api/o/{org}``), what its path
parameters point at, then the status each role gets in the order ``viewer member owner leader
admin``. Two columns never vary and are added by ``Row``: anonymous (no token) gets 401 and the
outsider (admin of globex, with a globex token) gets 404, so a stranger cannot tell that acme,
or anything in it, exists.

Every case runs on a fresh cast. A write sends a valid body, so a success is a real one; where a
row says what the write does (``done``), the test checks it happened on success and did not
happen on refusal. An operation of the document without a row fails
``test_every_operation_has_a_row``. Every refusal is the API's JSON ``Error``.

The requests go through Django's test client, which does not enforce CSRF; the tests at the end
check token and session authentication with CSRF enforced, as a real client meets it.

The cast (tests/conftest.py): the member is in team ``delivery`` (owns offering ``shop`` and
enabler ``search``); the owner is an enabler owner in team ``platform`` (owns offering
``warehouse`` and enabler ``payments``); the usage is ``shop`` using ``payments``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalogue import models as m
from catalogue import services
from config.api import api
from tests import factories as f
from tests.api.conftest import ApiClient, token_for
from tests.conftest import Cast, add_member

GET, POST, PATCH, DELETE = "GET", "POST", "PATCH", "DELETE"
ACTORS = ("anonymous", "outsider", "viewer", "member", "owner", "leader", "admin")

# Common columns, in the order viewer member owner leader admin.
READ = "200 200 200 200 200"
LEAD_NEW = "403 403 403 201 201"  # leadership: the catalogue structure
LEAD_EDIT = "403 403 403 200 200"
ADMIN_DELETE = "403 403 403 403 204"  # admin: deleting things
LOGGERS_NEW = "403 201 201 201 201"  # team member and up: log enablers

Builder = Callable[[Cast], Any]
Check = Callable[[Cast], bool]


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # as in the OpenAPI document, after /api
    target: str  # what the path parameters point at; part of the test id
    expect: dict[str, int]  # actor -> status
    params: Builder  # the path parameters after {org}
    body: Builder | None = None
    done: Check | None = None  # the effect of a successful write
    query: dict[str, str] = field(default_factory=dict)

    def id_for(self, actor: str) -> str:
        parts = [actor, self.method, self.path.removeprefix("/o/{org}/"), self.target]
        return "-".join(p for p in parts if p)


def _none(c: Cast) -> dict[str, Any]:
    return {}


def keyed(key: str) -> Builder:
    return lambda c: {"key": key}


def Row(
    method: str,
    path: str,
    target: str,
    expect: str,
    *,
    params: Builder | None = None,
    body: Builder | None = None,
    done: Check | None = None,
    query: dict[str, str] | None = None,
) -> Op:
    """A row: anonymous -> 401, outsider -> 404, then the five members of acme."""
    statuses = [401, 404, *(int(s) for s in expect.split())]
    assert len(statuses) == len(ACTORS), path
    if params is None:
        params = keyed(target) if "{key}" in path else _none
    return Op(
        method,
        "/o/{org}" + path,
        target,
        dict(zip(ACTORS, statuses, strict=True)),
        params,
        body,
        done,
        query or {},
    )


# --- what the rows point at, send and check -------------------------------------------------

NEW = "Matrix item"
RENAMED = "Matrix renamed"


def scoped(c: Cast, model: Any) -> Any:
    return model.objects.for_org(c.world.org)


def sends(**values: Any) -> Builder:
    return lambda c: values


def created(model: Any, name: str = NEW) -> Check:
    return lambda c: scoped(c, model).filter(name=name).exists()


def renamed(model: Any, key: str) -> Check:
    return lambda c: scoped(c, model).filter(key=key, name=RENAMED).exists()


FACTORY = {
    m.Team: f.TeamFactory,
    m.Offering: f.OfferingFactory,
    m.Journey: f.JourneyFactory,
    m.Enabler: f.EnablerFactory,
}


def spare(model: Any) -> Builder:
    """A fresh item nothing refers to, so deleting it can succeed."""

    def build(c: Cast) -> dict[str, str]:
        FACTORY[model](organisation=c.world.org, key="spare", name="Spare")
        return {"key": "spare"}

    return build


def deleted(model: Any, key: str = "spare") -> Check:
    return lambda c: not scoped(c, model).filter(key=key).exists()


def usage_of(enabler: str, offering: str) -> Check:
    return lambda c: (
        scoped(c, m.EnablerUsage)
        .filter(enabler__key=enabler, offering__key=offering, criticality="high")
        .exists()
    )


def the_usage(c: Cast) -> dict[str, int]:
    return {"usage_id": c.world.usage.pk}


def warehouse_usage(c: Cast) -> dict[str, int]:
    usage = m.EnablerUsage.objects.create(
        organisation=c.world.org, enabler=c.world.search, offering=c.world.warehouse
    )
    return {"usage_id": usage.pk}


def usage_gone(enabler: str, offering: str) -> Check:
    return lambda c: (
        not scoped(c, m.EnablerUsage).filter(enabler__key=enabler, offering__key=offering).exists()
    )


def new_usage(enabler: str, offering: str) -> Builder:
    return sends(enabler=enabler, offering=offering, criticality="high")


def new_journey(c: Cast) -> dict[str, Any]:
    step = {"name": "Browse", "offering": "shop", "touchpoints": ["checkout"]}
    return {"name": NEW, "segment": "Families", "steps": [step]}


ENABLER_FILTERS = {
    "q": "pay",
    "kind": "platform",
    "classification": "common",
    "lifecycle": "active",
    "owner_team": "platform",
    "area": "food",
}


# Assessments: flags, rounds, assessments, decisions and reports.


def flag_raised_on(c: Cast, enabler: str, status: str = "open") -> Any:
    """A flag raised by delivery on one acme enabler, brought to ``status``."""
    from assessments import services as assessments_services
    from assessments.models import FlagAction

    flag = assessments_services.flag_raise(
        organisation=c.world.org,
        team=c.world.delivery,
        enabler=getattr(c.world, enabler),
        offering=None,
        journey=None,
        severity="high",
        summary="Matrix bottleneck",
        details="",
        actor=c.member.user,
    )
    if status == "resolved":
        flag = assessments_services.flag_transition(
            flag=flag, action=FlagAction.RESOLVED, note="", actor=c.leader.user
        )
    return flag


def flag_on(enabler: str, status: str = "open") -> Builder:
    return lambda c: {"key": flag_raised_on(c, enabler, status).key}


def new_flag(team: str) -> Builder:
    return sends(team=team, enabler="payments", severity="high", summary="Matrix flag")


def flag_raised_for(team: str) -> Check:
    from assessments.models import BottleneckFlag

    return lambda c: (
        scoped(c, BottleneckFlag).filter(summary="Matrix flag", team__key=team).exists()
    )


def flag_now(status: str) -> Check:
    from assessments.models import BottleneckFlag

    return lambda c: (
        scoped(c, BottleneckFlag).filter(summary="Matrix bottleneck", status=status).exists()
    )


def flag_moved_from(status: str) -> Check:
    from assessments.models import BottleneckFlag

    return lambda c: (
        not (scoped(c, BottleneckFlag).filter(summary="Matrix bottleneck", status=status).exists())
    )


def flag_commented(c: Cast) -> bool:
    from assessments.models import FlagComment

    return scoped(c, FlagComment).filter(body="Matrix comment").exists()


def a_round(c: Cast, status: str = "open") -> Any:
    from assessments.models import AssessmentRound

    return AssessmentRound.objects.create(
        organisation=c.world.org, key="matrix-round", name="Matrix round", sequence=1, status=status
    )


def round_of(status: str, *, fit: int | None = None) -> Builder:
    """A round (and, given ``fit``, delivery's assessment of payments in it); no path
    parameters."""

    def build(c: Cast) -> dict[str, Any]:
        assessment_round = a_round(c, status)
        if fit is not None:
            assessed(c, assessment_round, fit)
        return {}

    return build


def assessed(c: Cast, assessment_round: Any, fit: int) -> Any:
    from assessments import services as assessments_services

    return assessments_services.assessment_save(
        assessment_round=assessment_round,
        team=c.world.delivery,
        enabler=c.world.payments,
        fit=fit,
        pace=0,
        preferred="",
        comment="",
        actor=c.member.user,
    )


def the_round(c: Cast) -> dict[str, str]:
    return {"key": a_round(c).key}


def an_assessment(c: Cast) -> dict[str, int]:
    return {"assessment_id": assessed(c, a_round(c), fit=3).pk}


def new_assessment(team: str) -> Builder:
    return sends(
        round="matrix-round",
        team=team,
        enabler="payments",
        fit=4,
        pace=1,
        preferred="common",
        comment="Matrix view",
    )


def assessment_is(team: str, fit: int) -> Check:
    from assessments.models import Assessment

    return lambda c: (
        scoped(c, Assessment)
        .filter(team__key=team, enabler__key="payments", fit=fit, comment="Matrix view")
        .exists()
    )


def decision_proposed(c: Cast, status: str = "proposed") -> Any:
    """DEC-001 of acme, proposed by the owner to make payments repeatable, then ``status``."""
    from assessments import services as assessments_services

    decision = assessments_services.decision_propose(
        organisation=c.world.org,
        draft=assessments_services.DecisionDraft(
            title="Matrix decision", changes=((c.world.payments, "repeatable"),)
        ),
        actor=c.owner.user,
    )
    if status == "accepted":
        decision = assessments_services.decision_accept(decision=decision, actor=c.leader.user)
    return decision


def decision_on(status: str = "proposed") -> Builder:
    return lambda c: {"number": decision_proposed(c, status).number}


def decision_titled(title: str) -> Check:
    from assessments.models import Decision

    return lambda c: scoped(c, Decision).filter(title=title).exists()


def decision_now(status: str) -> Check:
    from assessments.models import Decision

    return lambda c: scoped(c, Decision).filter(title="Matrix decision", status=status).exists()


def a_ready_report(c: Cast) -> dict[str, int]:
    from assessments.services import report_compute_now

    report, _ = report_compute_now(organisation=c.world.org)
    return {"report_id": report.pk}


def ready_report(c: Cast) -> dict[str, Any]:
    a_ready_report(c)
    return {}


def reports_asked(c: Cast) -> bool:
    # Asking counts as a change: the organisation's generation moves on (the recompute is
    # queued after commit, which the test's transaction never reaches).
    return m.Organisation.objects.get(pk=c.world.org.pk).generation > 0


FLAG_FILTERS = {
    "status": "open",
    "severity": "high",
    "team": "delivery",
    "enabler": "payments",
    "area": "food",
}


# fmt: off
MATRIX: list[Op] = [
    # method  path                        target       viewer member owner leader admin
    Row(GET,    "/me",                    "",          READ),
    # Enablers: team members log them; owners edit their team's (payments), not search.
    Row(GET,    "/enablers",              "",          READ),
    Row(GET,    "/enablers",              "filtered",  READ, query=ENABLER_FILTERS),
    Row(POST,   "/enablers",              "",          LOGGERS_NEW,
        body=sends(name=NEW, kind="platform", capability="matrix"), done=created(m.Enabler)),
    Row(GET,    "/enablers/{key}",        "payments",  READ),
    Row(PATCH,  "/enablers/{key}",        "payments",  "403 403 200 200 200",
        body=sends(name=RENAMED), done=renamed(m.Enabler, "payments")),
    Row(PATCH,  "/enablers/{key}",        "search",    LEAD_EDIT,
        body=sends(name=RENAMED), done=renamed(m.Enabler, "search")),
    Row(DELETE, "/enablers/{key}",        "spare",     ADMIN_DELETE, params=spare(m.Enabler),
        done=deleted(m.Enabler)),
    # Payments is used by shop: even the admin may not delete it (409), and it stays.
    Row(DELETE, "/enablers/{key}",        "payments",  "403 403 403 403 409",
        done=deleted(m.Enabler, "payments")),
    # Usages: team members for their own teams' offerings (shop), leadership for any.
    Row(GET,    "/usages",                "",          READ),
    Row(GET,    "/usages/{usage_id}",     "shop",      READ, params=the_usage),
    Row(POST,   "/usages",                "search-shop", "403 201 403 201 201",
        body=new_usage("search", "shop"), done=usage_of("search", "shop")),
    Row(POST,   "/usages",                "search-warehouse", "403 403 201 201 201",
        body=new_usage("search", "warehouse"), done=usage_of("search", "warehouse")),
    # The pair exists: its criticality is set (200).
    Row(POST,   "/usages",                "payments-shop", "403 200 403 200 200",
        body=new_usage("payments", "shop"), done=usage_of("payments", "shop")),
    Row(DELETE, "/usages/{usage_id}",     "shop",      "403 204 403 204 204", params=the_usage,
        done=usage_gone("payments", "shop")),
    Row(DELETE, "/usages/{usage_id}",     "warehouse", "403 403 204 204 204",
        params=warehouse_usage, done=usage_gone("search", "warehouse")),
    # Teams and journeys: leadership edits, admin deletes.
    Row(GET,    "/teams",                 "",          READ),
    Row(POST,   "/teams",                 "",          LEAD_NEW, body=sends(name=NEW),
        done=created(m.Team)),
    Row(GET,    "/teams/{key}",           "delivery",  READ),
    Row(PATCH,  "/teams/{key}",           "delivery",  LEAD_EDIT, body=sends(name=RENAMED),
        done=renamed(m.Team, "delivery")),
    Row(DELETE, "/teams/{key}",           "spare",     ADMIN_DELETE, params=spare(m.Team),
        done=deleted(m.Team)),
    Row(GET,    "/journeys",              "",          READ),
    Row(POST,   "/journeys",              "",          LEAD_NEW, body=new_journey,
        done=created(m.Journey)),
    Row(GET,    "/journeys/{key}",        "weekly-shop", READ),
    Row(PATCH,  "/journeys/{key}",        "weekly-shop", LEAD_EDIT, body=sends(name=RENAMED),
        done=renamed(m.Journey, "weekly-shop")),
    Row(DELETE, "/journeys/{key}",        "spare",     ADMIN_DELETE, params=spare(m.Journey),
        done=deleted(m.Journey)),
    # Offerings: leadership adds them; a team member edits their own team's (shop is
    # delivery's, warehouse is platform's).
    Row(GET,    "/offerings",             "",          READ),
    Row(POST,   "/offerings",             "",          LEAD_NEW, body=sends(name=NEW),
        done=created(m.Offering)),
    Row(GET,    "/offerings/{key}",       "shop",      READ),
    Row(PATCH,  "/offerings/{key}",       "shop",      "403 200 403 200 200",
        body=sends(name=RENAMED), done=renamed(m.Offering, "shop")),
    Row(PATCH,  "/offerings/{key}",       "warehouse", "403 403 200 200 200",
        body=sends(name=RENAMED), done=renamed(m.Offering, "warehouse")),
    Row(DELETE, "/offerings/{key}",       "spare",     ADMIN_DELETE, params=spare(m.Offering),
        done=deleted(m.Offering)),
    Row(GET,    "/areas",                 "",          READ),
    # --- bottleneck flags ---
    # Everyone reads flags; team members and up raise them for their own teams (leadership
    # for any team) and comment; enabler owners respond on their team's enablers (the owner
    # is in platform, which owns payments; delivery owns search), leadership on any.
    Row(GET,    "/flags",                 "",          READ, params=flag_on("payments")),
    Row(GET,    "/flags",                 "filtered",  READ, query=FLAG_FILTERS),
    Row(POST,   "/flags",                 "delivery",  "403 201 403 201 201",
        body=new_flag("delivery"), done=flag_raised_for("delivery")),
    Row(POST,   "/flags",                 "platform",  "403 403 201 201 201",
        body=new_flag("platform"), done=flag_raised_for("platform")),
    Row(GET,    "/flags/{key}",           "payments",  READ, params=flag_on("payments")),
    Row(POST,   "/flags/{key}/acknowledge", "payments", "403 403 200 200 200",
        params=flag_on("payments"), body=sends(note="Matrix note"),
        done=flag_now("acknowledged")),
    Row(POST,   "/flags/{key}/resolve",   "payments",  "403 403 200 200 200",
        params=flag_on("payments"), done=flag_now("resolved")),
    Row(POST,   "/flags/{key}/resolve",   "search",    LEAD_EDIT,
        params=flag_on("search"), done=flag_now("resolved")),
    Row(POST,   "/flags/{key}/reopen",    "resolved-payments", "403 403 200 200 200",
        params=flag_on("payments", "resolved"), done=flag_now("open")),
    # An open flag cannot be reopened: those who may respond get 409, and it stays open.
    Row(POST,   "/flags/{key}/reopen",    "open-payments", "403 403 409 409 409",
        params=flag_on("payments"), done=flag_moved_from("open")),
    Row(GET,    "/flags/{key}/comments",  "payments",  READ, params=flag_on("payments")),
    Row(POST,   "/flags/{key}/comments",  "payments",  LOGGERS_NEW,
        params=flag_on("payments"), body=sends(body="Matrix comment"), done=flag_commented),
    # --- assessment rounds and assessments ---
    # Everyone reads; a team (and leadership) assesses for itself. Delivery's shop uses
    # payments; platform's offerings use nothing, so payments is not on its list (422).
    Row(GET,    "/rounds",                "",          READ, params=round_of("open")),
    Row(GET,    "/rounds/{key}",          "matrix-round", READ, params=the_round),
    Row(GET,    "/assessments",           "",          READ, params=round_of("open", fit=3)),
    Row(GET,    "/assessments/{assessment_id}", "delivery-payments", READ,
        params=an_assessment),
    Row(POST,   "/assessments",           "delivery-payments", "403 201 403 201 201",
        params=round_of("open"), body=new_assessment("delivery"),
        done=assessment_is("delivery", 4)),
    Row(POST,   "/assessments",           "delivery-payments-again", "403 200 403 200 200",
        params=round_of("open", fit=2), body=new_assessment("delivery"),
        done=assessment_is("delivery", 4)),
    Row(POST,   "/assessments",           "platform-payments", "403 403 422 422 422",
        params=round_of("open"), body=new_assessment("platform"),
        done=assessment_is("platform", 4)),
    Row(POST,   "/assessments",           "closed-round", "403 409 403 409 409",
        params=round_of("closed"), body=new_assessment("delivery"),
        done=assessment_is("delivery", 4)),
    # --- decisions ---
    # Everyone reads the register; enabler owners and up propose and edit while proposed;
    # leadership and admins accept or reject. Changing a decided one: 409.
    Row(GET,    "/decisions",             "",          READ, params=decision_on()),
    Row(POST,   "/decisions",             "",          "403 403 201 201 201",
        body=sends(title="Matrix new", enablers=["payments"]),
        done=decision_titled("Matrix new")),
    Row(GET,    "/decisions/{number}",    "proposed",  READ, params=decision_on()),
    Row(PATCH,  "/decisions/{number}",    "proposed",  "403 403 200 200 200",
        params=decision_on(), body=sends(title="Matrix edited"),
        done=decision_titled("Matrix edited")),
    Row(PATCH,  "/decisions/{number}",    "accepted",  "403 403 409 409 409",
        params=decision_on("accepted"), body=sends(title="Matrix edited"),
        done=decision_titled("Matrix edited")),
    Row(POST,   "/decisions/{number}/accept", "proposed", LEAD_EDIT,
        params=decision_on(), done=decision_now("accepted")),
    Row(POST,   "/decisions/{number}/accept", "accepted", "403 403 403 409 409",
        params=decision_on("accepted")),
    Row(POST,   "/decisions/{number}/reject", "proposed", LEAD_EDIT,
        params=decision_on(), done=decision_now("rejected")),
    # --- balance reports ---
    Row(GET,    "/reports",               "",          READ, params=ready_report),
    Row(GET,    "/reports/latest",        "ready",     READ, params=ready_report),
    Row(GET,    "/reports/latest",        "none-yet",  "404 404 404 404 404"),
    Row(GET,    "/reports/{report_id}",   "ready",     READ, params=a_ready_report),
    Row(POST,   "/reports/recompute",     "",          "403 403 403 202 202",
        done=reports_asked),
]
# fmt: on

CASES = [(actor, op) for op in MATRIX for actor in ACTORS]
SUCCESS = range(200, 300)


def client_as(cast: Cast, actor: str) -> ApiClient:
    return ApiClient(None if actor == "anonymous" else token_for(getattr(cast, actor)))


def send(client: ApiClient, op: Op, url: str, body: Any) -> Any:
    if op.method == GET:
        return client.get(url, **op.query)
    if op.method == DELETE:
        return client.delete(url)
    if op.method == PATCH:
        return client.patch(url, body)
    return client.post(url, body)


def url_of(op: Op, org: str, params: dict[str, Any]) -> str:
    return "/api" + op.path.format(org=org, **params)


def assert_error_shape(response: Any) -> None:
    """Every refusal is the API's ``Error``: JSON with a sentence in ``detail``."""
    assert response["Content-Type"] == "application/json; charset=utf-8"
    error = response.json()
    assert isinstance(error["detail"], str) and error["detail"]
    assert isinstance(error["errors"], list)


@pytest.mark.parametrize(("actor", "op"), CASES, ids=[op.id_for(actor) for actor, op in CASES])
def test_permission(cast: Cast, actor: str, op: Op) -> None:
    url = url_of(op, cast.world.org.slug, op.params(cast))
    body = op.body(cast) if op.body else None

    response = send(client_as(cast, actor), op, url, body)

    expected = op.expect[actor]
    assert response.status_code == expected, response.content[:1500]
    if expected >= 400:
        assert_error_shape(response)
    if op.done is not None:
        assert op.done(cast) is (expected in SUCCESS), "effect of the write"


def test_matrix_ids_are_unique() -> None:
    ids = [op.id_for(actor) for actor, op in CASES]
    assert len(ids) == len(set(ids))


def _documented() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path.removeprefix("/api"))
        for path, operations in paths.items()
        for method in operations
    }


def test_every_operation_has_a_row() -> None:
    missing = _documented() - {(op.method, op.path) for op in MATRIX}
    assert missing == set(), f"API operations with no row in the permission matrix: {missing}"


def test_every_row_is_a_documented_operation() -> None:
    unknown = {(op.method, op.path) for op in MATRIX} - _documented()
    assert unknown == set(), f"Rows for operations the document does not have: {unknown}"


def test_every_write_is_also_refused_to_the_viewer() -> None:
    # The viewer changes nothing: a write row where the viewer succeeds is a wrong row or a bug.
    allowed = [
        op.id_for("viewer") for op in MATRIX if op.method != GET and op.expect["viewer"] < 400
    ]
    assert allowed == []


@pytest.mark.parametrize(
    ("actor", "shown"),
    [("viewer", False), ("member", False), ("owner", False), ("leader", True), ("admin", True)],
)
def test_a_rounds_completion_is_shown_as_on_its_page(cast: Cast, actor: str, shown: bool) -> None:
    # The round's page shows completion to leadership and admins only.
    a_round(cast)

    found = client_as(cast, actor).get("/api/o/acme/rounds/matrix-round").json()

    assert (found["completion"] is not None) is shown


# --- the outsider through their own organisation --------------------------------------------

# Operations that name an object by a database id (numbers and keys repeat across
# organisations, ids do not).
BY_ID = [
    op
    for op in MATRIX
    if any(name in op.path for name in ("{usage_id}", "{assessment_id}", "{report_id}"))
]


@pytest.mark.parametrize("op", BY_ID, ids=[op.id_for("outsider") + "-via-globex" for op in BY_ID])
def test_outsider_cannot_reach_acme_ids_through_their_own_organisation(cast: Cast, op: Op) -> None:
    # The outsider is admin of globex, which has the same keys as acme; only ids differ.
    url = url_of(op, cast.other.org.slug, op.params(cast))
    body = op.body(cast) if op.body else None

    response = send(client_as(cast, "outsider"), op, url, body)

    assert response.status_code == 404
    assert_error_shape(response)
    if op.done is not None:
        assert not op.done(cast)


# --- tokens ---------------------------------------------------------------------------------

ME = "/api/o/acme/me"


def bearer(secret: str) -> ApiClient:
    return ApiClient(secret)


def test_a_token_of_acme_is_not_found_on_globex(cast: Cast) -> None:
    client = client_as(cast, "admin")

    read = client.get("/api/o/globex/enablers")
    write = client.post("/api/o/globex/teams", {"name": NEW})

    assert (read.status_code, write.status_code) == (404, 404)
    assert not m.Team.objects.for_org(cast.other.org).filter(name=NEW).exists()


def test_a_token_works_for_its_own_organisation_only_even_for_a_member_of_both(
    cast: Cast,
) -> None:
    # acme's admin also becomes admin of globex; the acme token still does not open globex.
    m.Membership.objects.create(
        organisation=cast.other.org, user=cast.admin.user, role=m.Role.ADMIN
    )
    client = client_as(cast, "admin")

    assert client.get("/api/o/acme/me").status_code == 200
    assert client.get("/api/o/globex/me").status_code == 404
    assert client.post("/api/o/globex/teams", {"name": NEW}).status_code == 404
    assert not m.Team.objects.for_org(cast.other.org).filter(name=NEW).exists()


def test_a_revoked_token_is_refused(cast: Cast) -> None:
    token, secret = services.token_create(
        membership=cast.viewer, name="soon revoked", valid_days=30
    )
    assert bearer(secret).get(ME).status_code == 200

    services.token_revoke(token=token, actor=cast.viewer.user)
    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert_error_shape(response)


def test_an_expired_token_is_refused(cast: Cast) -> None:
    token, secret = services.token_create(membership=cast.viewer, name="short", valid_days=1)
    assert bearer(secret).get(ME).status_code == 200

    m.ApiToken.objects.filter(pk=token.pk).unscoped().update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert_error_shape(response)


MALFORMED = {
    "not-a-token": lambda secret: "Bearer nonsense",
    "prefix-only": lambda secret: "Bearer em_",
    "truncated": lambda secret: f"Bearer {secret[:-1]}",
    "one-character-changed": lambda secret: (
        f"Bearer {secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    ),
    "too-long": lambda secret: f"Bearer {secret}{'x' * 300}",
    "no-scheme": lambda secret: secret,
    "other-scheme": lambda secret: f"Token {secret}",
    "empty": lambda secret: "Bearer ",
}


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_malformed_token_is_refused(cast: Cast, shape: str) -> None:
    secret = token_for(cast.viewer)
    client = Client()
    assert client.get(ME, headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    response = client.get(ME, headers={"Authorization": MALFORMED[shape](secret)})

    assert response.status_code == 401
    assert_error_shape(response)


def test_a_token_of_a_removed_member_is_refused(cast: Cast) -> None:
    secret = token_for(cast.member)
    assert bearer(secret).get(ME).status_code == 200

    services.membership_remove(membership=cast.member, actor=cast.admin.user)
    response = bearer(secret).get(ME)

    assert response.status_code == 401
    assert_error_shape(response)


def test_a_token_of_a_deactivated_user_is_refused(cast: Cast) -> None:
    secret = token_for(cast.member)
    assert bearer(secret).get(ME).status_code == 200

    cast.member.user.is_active = False
    cast.member.user.save(update_fields=["is_active"])

    assert bearer(secret).get(ME).status_code == 401


def test_a_token_acts_with_its_owners_current_role(cast: Cast) -> None:
    client = client_as(cast, "leader")
    assert client.post("/api/o/acme/teams", {"name": "Before"}).status_code == 201

    services.membership_update(
        membership=cast.leader, role=m.Role.VIEWER, teams=[], actor=cast.admin.user
    )
    refused = client.post("/api/o/acme/teams", {"name": "After"})

    assert refused.status_code == 403
    assert_error_shape(refused)
    assert not scoped(cast, m.Team).filter(name="After").exists()
    assert client.get(ME).json()["role"] == "viewer"


def test_a_token_gains_a_raised_role_at_once(cast: Cast) -> None:
    client = client_as(cast, "viewer")
    assert client.post("/api/o/acme/teams", {"name": NEW}).status_code == 403

    services.membership_update(
        membership=cast.viewer, role=m.Role.LEADERSHIP, teams=[], actor=cast.admin.user
    )

    assert client.post("/api/o/acme/teams", {"name": NEW}).status_code == 201
    assert scoped(cast, m.Team).filter(name=NEW).exists()


def test_a_token_is_for_its_owner_not_for_whoever_is_signed_in(cast: Cast) -> None:
    # A viewer's token in a browser where the leader is signed in acts as the viewer.
    client = Client()
    client.force_login(cast.leader.user)
    headers = {"Authorization": f"Bearer {token_for(cast.viewer)}"}

    me = client.get(ME, headers=headers)
    write = client.post(
        "/api/o/acme/teams", json.dumps({"name": NEW}), "application/json", headers=headers
    )

    assert me.json()["username"] == "viewer"
    assert write.status_code == 403
    assert not scoped(cast, m.Team).filter(name=NEW).exists()


# --- real clients: CSRF enforced ------------------------------------------------------------
#
# Django's test client skips CSRF checks unless asked; a script or a browser does not.


def strict_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_json(client: Client, path: str, body: Any, **headers: str) -> Any:
    return client.post(path, json.dumps(body), "application/json", headers=headers)


def test_a_token_writes_without_csrf(cast: Cast) -> None:
    # A token is not a cookie a browser sends by itself, so no CSRF token is needed.
    headers = {"Authorization": f"Bearer {token_for(cast.leader)}"}
    response = post_json(strict_client(), "/api/o/acme/teams", {"name": NEW}, **headers)

    assert response.status_code == 201
    assert scoped(cast, m.Team).filter(name=NEW).exists()


def test_a_signed_in_browser_reads_the_api(cast: Cast) -> None:
    client = strict_client()
    client.force_login(cast.viewer.user)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == "viewer"
    assert response.json()["role"] == "viewer"


@pytest.mark.parametrize(("actor", "status"), [("outsider", 404), ("viewer", 200)])
def test_a_signed_in_browser_sees_only_its_organisations(
    cast: Cast, actor: str, status: int
) -> None:
    client = strict_client()
    client.force_login(getattr(cast, actor).user)

    assert client.get("/api/o/acme/enablers/payments").status_code == status


def test_a_session_write_without_csrf_is_refused(cast: Cast) -> None:
    client = strict_client()
    client.force_login(cast.leader.user)

    response = post_json(client, "/api/o/acme/teams", {"name": NEW})

    assert response.status_code == 403
    assert_error_shape(response)
    assert not scoped(cast, m.Team).filter(name=NEW).exists()


def test_a_session_write_with_csrf_is_accepted(cast: Cast) -> None:
    # The same write as above, with the CSRF token a page of the site hands out: so the
    # refusal above is the CSRF check, not something else.
    client = strict_client()
    client.force_login(cast.leader.user)
    client.get(reverse("catalogue:team_create", args=["acme"]))
    csrf = client.cookies["csrftoken"].value

    response = post_json(client, "/api/o/acme/teams", {"name": NEW}, **{"X-CSRFToken": csrf})

    assert response.status_code == 201
    assert scoped(cast, m.Team).filter(name=NEW).exists()


NO_VALID_TOKEN = {
    "anonymous": lambda cast: {},
    "malformed": lambda cast: {"Authorization": "Bearer nonsense"},
    "revoked": lambda cast: {"Authorization": f"Bearer {_revoked(cast)}"},
}


def _revoked(cast: Cast) -> str:
    token, secret = services.token_create(membership=cast.leader, name="revoked", valid_days=30)
    services.token_revoke(token=token, actor=cast.leader.user)
    return secret


@pytest.mark.parametrize("who", list(NO_VALID_TOKEN))
def test_a_write_without_a_valid_token_is_401_for_a_real_client(cast: Cast, who: str) -> None:
    # A script without a session cookie has no CSRF token to send: the answer must say the
    # token is missing or wrong (401), not "CSRF check Failed" (403).
    response = post_json(
        strict_client(), "/api/o/acme/teams", {"name": NEW}, **NO_VALID_TOKEN[who](cast)
    )

    assert response.status_code == 401, response.content
    assert_error_shape(response)
    assert not scoped(cast, m.Team).filter(name=NEW).exists()


def test_a_user_in_two_organisations_reads_each_through_its_session(cast: Cast) -> None:
    both = add_member(cast.other.org, "both", m.Role.VIEWER)
    m.Membership.objects.create(organisation=cast.world.org, user=both.user, role=m.Role.ADMIN)
    client = strict_client()
    client.force_login(both.user)

    assert client.get("/api/o/acme/me").json()["role"] == "admin"
    assert client.get("/api/o/globex/me").json()["role"] == "viewer"

"""Who may do what: every URL of the project against the cast, in one table.

Each row names a URL, a method and what its arguments point at, then the status each role
gets, in the order ``viewer member owner leader admin``. Organisation pages add two columns
that never vary: anonymous is sent to the login page and the outsider (admin of globex only)
gets 404, so a stranger cannot tell that acme exists. Site pages spell out all seven.

Every case runs on a fresh cast. A POST sends valid data, so a success is a real one; where a
row says what the POST does (``done``), the test checks it happened on success and did not
happen on refusal. A URL pattern without a row fails ``test_every_url_is_in_the_matrix``.

The cast (tests/conftest.py): the member is in team ``delivery`` (owns offering ``shop`` and
enabler ``search``); the owner is an enabler owner in team ``platform`` (owns offering
``warehouse`` and enabler ``payments``); the usage is ``shop`` using ``payments``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from catalogue import models as m
from catalogue import services
from tests import factories as f
from tests.conftest import PASSWORD, Cast, client_for

GET, POST = "GET", "POST"
ACTORS = ("anonymous", "outsider", "viewer", "member", "owner", "leader", "admin")
LOGIN = "login"  # a 302 whose Location is the login page

# Common columns, in the order viewer member owner leader admin.
READ = "200 200 200 200 200"
LEAD_PAGE = "403 403 403 200 200"  # leadership: the catalogue structure
LEAD_DONE = "403 403 403 302 302"
ADMIN_PAGE = "403 403 403 403 200"  # admin: members, settings, deleting things
ADMIN_DONE = "403 403 403 403 302"
LOGGERS_PAGE = "403 200 200 200 200"  # team member and up: log enablers
LOGGERS_DONE = "403 302 302 302 302"

Builder = Callable[[Cast], Any]


@dataclass(frozen=True)
class Entry:
    name: str  # URL name
    method: str
    target: str  # what the arguments point at; part of the test id
    expect: dict[str, str]  # actor -> "200", "302", "403", "404", "405" or LOGIN
    args: Builder  # the URL arguments after the organisation slug
    data: Builder | None = None  # the POST data
    done: Callable[[Cast], bool] | None = None  # the effect of a successful POST
    htmx: bool = False
    query: str = ""
    in_org: bool = True  # under /o/<org>/ (catalogue namespace)

    @property
    def url_name(self) -> str:
        if not self.in_org or ":" in self.name:
            return self.name  # site pages, and organisation pages of another app's namespace
        return f"catalogue:{self.name}"

    def id_for(self, actor: str) -> str:
        name = self.name if self.in_org else f"site-{self.name}"
        parts = [actor, self.method + ("-htmx" if self.htmx else ""), name, self.target]
        return "-".join(p for p in parts if p)


def _none(c: Cast) -> list[Any]:
    return []


def on(attr: str) -> Builder:
    """The key of one object of the acme world, e.g. ``on("shop")``."""
    return lambda c: [getattr(c.world, attr).key]


def Row(
    name: str,
    method: str,
    target: str,
    expect: str,
    *,
    args: Builder | None = None,
    data: Builder | None = None,
    done: Callable[[Cast], bool] | None = None,
    htmx: bool = False,
    query: str = "",
) -> Entry:
    """A row for an organisation page: anonymous -> login, outsider -> 404, then the five."""
    statuses = [LOGIN, "404", *expect.split()]
    assert len(statuses) == len(ACTORS), name
    if args is None:
        args = on(target) if target else _none
    return Entry(
        name,
        method,
        target,
        dict(zip(ACTORS, statuses, strict=True)),
        args,
        data,
        done,
        htmx,
        query,
    )


def SiteRow(
    name: str,
    method: str,
    target: str,
    expect: str,
    *,
    args: Builder = _none,
    data: Builder | None = None,
    done: Callable[[Cast], bool] | None = None,
) -> Entry:
    """A row for a site page: all seven columns, anonymous and outsider first."""
    statuses = expect.split()
    assert len(statuses) == len(ACTORS), name
    return Entry(
        name,
        method,
        target,
        dict(zip(ACTORS, statuses, strict=True)),
        args,
        data,
        done,
        in_org=False,
    )


# --- what the rows point at and send --------------------------------------------------------


def a_report(c: Cast) -> list[int]:
    from assessments.models import BalanceReport

    return [BalanceReport.objects.create(organisation=c.world.org).pk]


def report_table(table: str) -> Builder:
    def build(c: Cast) -> list[Any]:
        from assessments.services import report_compute_now

        report, _ = report_compute_now(organisation=c.world.org)
        return [report.pk, table]

    return build


def ready_report_args(*, with_id: bool = True) -> Builder:
    """A ready report of acme (its id as the argument, or none for the pages that show the
    latest)."""

    def build(c: Cast) -> list[Any]:
        from assessments.services import report_compute_now

        report, _ = report_compute_now(organisation=c.world.org)
        return [report.pk] if with_id else []

    return build


def two_reports(c: Cast) -> list[Any]:
    """Two ready reports of acme, for the comparison (ids go in the query, not the path)."""
    from assessments.services import report_compute_now

    first, _ = report_compute_now(organisation=c.world.org)
    second, _ = report_compute_now(organisation=c.world.org)
    c.query_args = [first.pk, second.pk]  # type: ignore[attr-defined]
    return []


def a_decision_key(c: Cast) -> list[str]:
    from assessments.services import DecisionDraft, decision_propose

    decision = decision_propose(
        organisation=c.world.org, draft=DecisionDraft(title="Matrix decision"), actor=None
    )
    return [decision.key]


def decision_file(c: Cast) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "# 41. Keep one search\n\nDate: 2026-11-01\n\n## Status\n\nAccepted\n\n## Context\n\nWhy.\n"
    )
    return {
        "documents": SimpleUploadedFile("0041-keep-one-search.md", text.encode(), "text/markdown")
    }


def decision_imported(c: Cast) -> bool:
    from assessments.models import Decision

    return Decision.objects.for_org(c.world.org).filter(number=41, status="accepted").exists()


def reports_asked(c: Cast) -> bool:
    # Asking counts as a change: the organisation's generation moves on (and a recompute
    # is queued after commit, which the matrix's transaction never reaches).
    return m.Organisation.objects.get(pk=c.world.org.pk).generation > 0


def thresholds_data(c: Cast) -> dict[str, Any]:
    from assessments.balance import Thresholds

    return {**Thresholds().as_dict(), "repeatable_reach": "0.7"}


def thresholds_changed(c: Cast) -> bool:
    c.world.org.refresh_from_db()
    return c.world.org.balance_settings == {"repeatable_reach": 0.7}


def organisation_file(c: Cast) -> dict[str, Any]:
    import yaml
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assessments.orgfile import organisation_as_data

    data = organisation_as_data(c.world.org)
    data["business_areas"].append({"key": "imported", "name": "Imported area"})
    content = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
    return {"file": SimpleUploadedFile("acme.yaml", content, content_type="application/yaml")}


def file_imported(c: Cast) -> bool:
    return scoped(c, m.BusinessArea).filter(key="imported").exists()


def scoped(c: Cast, model: Any) -> Any:
    return model.objects.for_org(c.world.org)


KIND_MODEL = {
    "area": m.BusinessArea,
    "team": m.Team,
    "offering": m.Offering,
    "touchpoint": m.Touchpoint,
    "journey": m.Journey,
    "enabler": m.Enabler,
}
KIND_FACTORY = {
    "area": f.AreaFactory,
    "team": f.TeamFactory,
    "offering": f.OfferingFactory,
    "touchpoint": f.TouchpointFactory,
    "journey": f.JourneyFactory,
    "enabler": f.EnablerFactory,
}
# A valid form for each kind, with an empty key (made from the name).
NEW = {
    "area": {"name": "Matrix item", "key": "", "description": "from the matrix"},
    "team": {
        "name": "Matrix item",
        "key": "",
        "kind": "delivery",
        "business_area": "",
        "description": "",
    },
    "offering": {
        "name": "Matrix item",
        "key": "",
        "kind": "service",
        "business_area": "",
        "team": "",
        "description": "",
    },
    "touchpoint": {"name": "Matrix item", "key": "", "description": ""},
    "journey": {"name": "Matrix item", "key": "", "segment": "Families", "description": ""},
}
RENAMED = "Matrix renamed"


def spare(kind: str) -> Builder:
    """A fresh item nothing refers to, so deleting it can succeed."""

    def build(c: Cast) -> list[str]:
        KIND_FACTORY[kind](organisation=c.world.org, key="spare", name="Spare")
        return ["spare"]

    return build


def created(kind: str) -> Callable[[Cast], bool]:
    return lambda c: scoped(c, KIND_MODEL[kind]).filter(name="Matrix item").exists()


def renamed(kind: str, attr: str) -> Callable[[Cast], bool]:
    return lambda c: (
        scoped(c, KIND_MODEL[kind]).filter(key=getattr(c.world, attr).key, name=RENAMED).exists()
    )


def gone(kind: str) -> Callable[[Cast], bool]:
    return lambda c: not scoped(c, KIND_MODEL[kind]).filter(key="spare").exists()


def edit_data(kind: str, attr: str, **extra: Builder) -> Builder:
    def build(c: Cast) -> dict[str, Any]:
        item = getattr(c.world, attr)
        data = {**NEW[kind], "name": RENAMED, "key": item.key}
        if hasattr(item, "version"):  # offerings and journeys: the version the page showed
            data["version"] = item.version
        return {**data, **{k: v(c) for k, v in extra.items()}}

    return build


def enabler_data(attr: str) -> Builder:
    """A valid edit of an enabler that keeps its owning team (owners may only keep theirs)."""

    def build(c: Cast) -> dict[str, Any]:
        enabler = getattr(c.world, attr)
        return {
            "name": RENAMED,
            "key": enabler.key,
            "kind": "platform",
            "capability": "matrix",
            "classification": "common",
            "lifecycle": "active",
            "owner_team": enabler.owner_team_id,
            "description": "",
            "tags": "a, b",
            "version": enabler.version,
        }

    return build


def new_enabler(c: Cast) -> dict[str, Any]:
    return {
        "name": "Matrix item",
        "key": "",
        "kind": "platform",
        "capability": "matrix",
        "classification": "common",
        "lifecycle": "active",
        "owner_team": "",
        "description": "",
        "tags": "",
    }


def set_field(attr: str, field: str) -> Builder:
    return lambda c: [getattr(c.world, attr).key, field]


def field_is(attr: str, field: str, value: str) -> Callable[[Cast], bool]:
    return lambda c: getattr(scoped(c, m.Enabler).get(pk=getattr(c.world, attr).pk), field) == value


def usage_of(enabler: str, offering: str) -> Callable[[Cast], bool]:
    return lambda c: (
        scoped(c, m.EnablerUsage)
        .filter(enabler=getattr(c.world, enabler), offering=getattr(c.world, offering))
        .exists()
    )


def warehouse_usage(c: Cast) -> list[int]:
    usage = m.EnablerUsage.objects.create(
        organisation=c.world.org, enabler=c.world.search, offering=c.world.warehouse
    )
    return [usage.pk]


def usage_gone(c: Cast) -> bool:
    return scoped(c, m.EnablerUsage).count() == 0


def second_step(c: Cast) -> m.JourneyStep:
    return m.JourneyStep.objects.create(
        organisation=c.world.org,
        journey=c.world.journey,
        position=2,
        name="Pay",
        offering=c.world.warehouse,
    )


def step_args(which: str) -> Builder:
    """The journey with two steps; the URL points at the first or the second."""

    def build(c: Cast) -> list[Any]:
        step = second_step(c)
        return [c.world.journey.key, (c.world.step if which == "first" else step).pk]

    return build


def position_of(name: str, position: int) -> Callable[[Cast], bool]:
    return lambda c: scoped(c, m.JourneyStep).filter(name=name, position=position).exists()


def step_removed(c: Cast) -> bool:
    return not scoped(c, m.JourneyStep).filter(name="Browse").exists()


def new_step(c: Cast) -> dict[str, Any]:
    return {
        "name": "Matrix step",
        "offering": c.world.shop.pk,
        "touchpoints": [c.world.checkout.pk],
    }


def in_team(membership: str, team: str) -> Callable[[Cast], bool]:
    return lambda c: (
        scoped(c, m.TeamMembership)
        .filter(membership=getattr(c, membership), team=getattr(c.world, team))
        .exists()
    )


def invitation(c: Cast) -> list[int]:
    return [_invite(c)[0].pk]


def invitation_token(c: Cast) -> list[str]:
    return [_invite(c)[1]]


def _invite(c: Cast) -> tuple[m.Invitation, str]:
    tokens: list[str] = []

    def remember(token: str) -> str:
        tokens.append(token)
        return f"/invitations/{token}/"

    made = services.invitation_create(
        organisation=c.world.org,
        email="newcomer@example.org",
        role=m.Role.TEAM_MEMBER,
        teams=[],
        invited_by=c.admin.user,
        accept_url_for=remember,
    )
    return made, tokens[0]


def invitation_gone(c: Cast) -> bool:
    return not scoped(c, m.Invitation).filter(email="newcomer@example.org").exists()


def invitation_accepted(c: Cast) -> bool:
    return scoped(c, m.Invitation).filter(accepted_at__isnull=False).exists()


def viewer_id(c: Cast) -> list[int]:
    return [c.viewer.pk]


def member_in_delivery(c: Cast) -> list[Any]:
    return [c.world.delivery.key, c.member.pk]


# --- the matrix -----------------------------------------------------------------------------


def new_data(kind: str) -> Any:
    def data(c: Cast) -> dict[str, Any]:
        return NEW[kind]

    return data


def kind_rows(kind: str, detail: str) -> list[Entry]:
    """List, add, page and delete rows, the same for every kind; edit rows are in the table."""
    return [
        Row(f"{kind}_list", GET, "", READ),
        Row(f"{kind}_create", GET, "", LEAD_PAGE),
        Row(f"{kind}_create", POST, "", LEAD_DONE, data=new_data(kind), done=created(kind)),
        Row(f"{kind}_detail", GET, detail, READ),
        Row(f"{kind}_delete", GET, detail, ADMIN_PAGE),
        Row(f"{kind}_delete", POST, "spare", ADMIN_DONE, args=spare(kind), done=gone(kind)),
    ]


def settings_data(c: Cast) -> dict[str, Any]:
    return {"name": c.world.org.name, "delivery_model": "stage", "description": ""}


def declared_stage(c: Cast) -> bool:
    return m.Organisation.objects.get(pk=c.world.org.pk).delivery_model == "stage"


def invite_data(c: Cast) -> dict[str, Any]:
    return {"email": "new@example.org", "role": "team_member", "teams": [c.world.delivery.pk]}


def invited(c: Cast) -> bool:
    return scoped(c, m.Invitation).filter(email="new@example.org").exists()


def role_data(c: Cast) -> dict[str, Any]:
    return {"role": "team_member", "teams": [c.world.delivery.pk]}


def viewer_promoted(c: Cast) -> bool:
    return scoped(c, m.Membership).get(pk=c.viewer.pk).role == "team_member"


def viewer_removed(c: Cast) -> bool:
    return not scoped(c, m.Membership).filter(pk=c.viewer.pk).exists()


def add_viewer(c: Cast) -> dict[str, Any]:
    return {"membership": c.viewer.pk}


def member_left(c: Cast) -> bool:
    return not in_team("member", "delivery")(c)


def team_pk(attr: str) -> Builder:
    return lambda c: getattr(c.world, attr).pk


def pick(field: str, attr: str) -> Builder:
    """Usage form data naming one object of the acme world."""
    return lambda c: {field: getattr(c.world, attr).pk, "criticality": "high"}


def value(new: str) -> Builder:
    return lambda c: {"value": new, "version": 1}


def warehouse_usage_gone(c: Cast) -> bool:
    return not usage_of("search", "warehouse")(c)


def the_usage(c: Cast) -> list[int]:
    return [c.world.usage.pk]


def login_data(c: Cast) -> dict[str, Any]:
    return {"username": "viewer", "password": PASSWORD}


def signup_data(c: Cast) -> dict[str, Any]:
    password = "Unusual-passphrase-42"
    return {"username": "newcomer", "password1": password, "password2": password}


def new_organisation(c: Cast) -> dict[str, Any]:
    return {
        "name": "Initech",
        "slug": "initech",
        "delivery_model": "group",
        "description": "",
        "admin_email": "boss@example.org",
    }


def initech_exists(c: Cast) -> bool:
    return m.Organisation.objects.filter(slug="initech").exists()


def no_such_token(c: Cast) -> list[str]:
    return ["no-such-token"]


FILTERS = (
    "?q=pay&kind=platform&classification=common&lifecycle=active&owner_team=platform&area=food"
)


def notification_for_everyone(c: Cast) -> dict[str, Any]:
    """One unread notification for each acme member; the POST marks the actor's as read."""
    from assessments import services as assessments_services

    people = [c.admin, c.leader, c.owner, c.member, c.viewer]
    assessments_services.notify(
        organisation=c.world.org,
        recipients=[p.user for p in people],
        kind="flag_raised",
        text="Matrix news",
    )
    return {}


def notification_someone_read(c: Cast) -> bool:
    from assessments.models import Notification

    return Notification.objects.for_org(c.world.org).exclude(read_at=None).exists()


def round_matrix(c: Cast) -> Any:
    from assessments.models import AssessmentRound

    return AssessmentRound.objects.create(
        organisation=c.world.org, key="matrix-round", name="Matrix round", sequence=1
    )


def round_args(*extra: str) -> Builder:
    """An open round, then ``extra`` (team and enabler keys) in the URL."""

    def build(c: Cast) -> list[str]:
        return [round_matrix(c).key, *extra]

    return build


def round_data(name: str) -> Builder:
    return lambda c: {"name": name, "due_on": ""}


def round_named(name: str) -> Callable[[Cast], bool]:
    def check(c: Cast) -> bool:
        from assessments.models import AssessmentRound

        return scoped(c, AssessmentRound).filter(name=name).exists()

    return check


def round_closed(c: Cast) -> bool:
    from assessments.models import AssessmentRound

    return scoped(c, AssessmentRound).filter(key="matrix-round", status="closed").exists()


def round_assessment(enabler: str) -> Builder:
    return lambda c: {
        f"{enabler}-fit": "4",
        f"{enabler}-pace": "1",
        f"{enabler}-preferred": "common",
        f"{enabler}-comment": "",
    }


def round_assessed(c: Cast) -> bool:
    from assessments.models import Assessment

    return scoped(c, Assessment).filter(team=c.world.delivery, enabler=c.world.payments).exists()


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


def flag_on(enabler: str) -> Builder:
    return lambda c: [flag_raised_on(c, enabler).key]


def flag_action(enabler: str, action: str, status: str = "open") -> Builder:
    return lambda c: [flag_raised_on(c, enabler, status).key, action]


def flag_form(team: str) -> Builder:
    return lambda c: {
        "team": team,
        "enabler": "payments",
        "offering": "",
        "journey": "",
        "severity": "high",
        "summary": "Matrix flag",
        "details": "",
    }


def flag_raised_for(team: str) -> Callable[[Cast], bool]:
    from assessments.models import BottleneckFlag

    return lambda c: (
        scoped(c, BottleneckFlag).filter(summary="Matrix flag", team__key=team).exists()
    )


def flag_now(status: str) -> Callable[[Cast], bool]:
    from assessments.models import BottleneckFlag

    return lambda c: (
        scoped(c, BottleneckFlag).filter(summary="Matrix bottleneck", status=status).exists()
    )


def flag_comment_data(c: Cast) -> dict[str, Any]:
    return {"body": "Matrix comment"}


def flag_note(c: Cast) -> dict[str, Any]:
    from assessments.models import BottleneckFlag

    flag = scoped(c, BottleneckFlag).filter(summary="Matrix bottleneck").first()
    return {"note": "Matrix note", "version": flag.version if flag else ""}


def decision_version(c: Cast) -> dict[str, Any]:
    """The accept and reject buttons send the version of the decision the page showed."""
    from assessments.models import Decision

    return {"version": scoped(c, Decision).get(title="Matrix decision").version}


def flag_commented(c: Cast) -> bool:
    from assessments.models import FlagComment

    return scoped(c, FlagComment).filter(body="Matrix comment").exists()


FLAG_FILTERS = "?status=open&severity=high&team=delivery&enabler=payments&area=food"


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
    return lambda c: [decision_proposed(c, status).key]


def decision_form(title: str) -> Builder:
    return lambda c: {"title": title, "enablers": ["payments"], "report": ""}


def decision_titled(title: str) -> Callable[[Cast], bool]:
    from assessments.models import Decision

    return lambda c: scoped(c, Decision).filter(title=title).exists()


def decision_now(status: str) -> Callable[[Cast], bool]:
    from assessments.models import Decision

    return lambda c: scoped(c, Decision).filter(title="Matrix decision", status=status).exists()


DECISION_FILTERS = "?q=matrix&status=proposed&area=food&enabler=payments&review_due=on"


def token_data(c: Cast) -> dict[str, str]:
    return {"name": "Nightly sync", "valid_days": "30"}


def token_made(c: Cast) -> bool:
    return m.ApiToken.objects.filter(name="Nightly sync").unscoped().exists()


def admin_token(c: Cast) -> list[int]:
    token, _ = services.token_create(membership=c.admin, name="Admin's script", valid_days=30)
    c.admin_token = token  # type: ignore[attr-defined]
    return [token.pk]


def admin_token_revoked(c: Cast) -> bool:
    c.admin_token.refresh_from_db()  # type: ignore[attr-defined]
    return c.admin_token.revoked_at is not None  # type: ignore[attr-defined]


# fmt: off
MATRIX: list[Entry] = [
    # url name                  method target       viewer member owner leader admin
    Row("home",                  GET,  "",          READ),
    Row("floor",                 GET,  "",          READ),  # the benchmark's trivial page
    # Organisation settings, members and invitations: admin only.
    Row("organisation_settings", GET,  "",          ADMIN_PAGE),
    Row("organisation_settings", POST, "",          ADMIN_DONE, data=settings_data,
        done=declared_stage),
    Row("member_list",           GET,  "",          ADMIN_PAGE),
    Row("member_invite",         GET,  "",          ADMIN_PAGE),
    Row("member_invite",         POST, "",          ADMIN_DONE, data=invite_data, done=invited),
    Row("member_edit",           GET,  "viewer",    ADMIN_PAGE, args=viewer_id),
    Row("member_edit",           POST, "viewer",    ADMIN_DONE, args=viewer_id, data=role_data,
        done=viewer_promoted),
    Row("member_remove",         GET,  "viewer",    ADMIN_PAGE, args=viewer_id),
    Row("member_remove",         POST, "viewer",    ADMIN_DONE, args=viewer_id,
        done=viewer_removed),
    # A GET only leads back to the member list.
    Row("invitation_revoke",     GET,  "pending",   "403 403 403 403 302", args=invitation),
    Row("invitation_revoke",     POST, "pending",   ADMIN_DONE, args=invitation,
        done=invitation_gone),
    # API tokens: every member makes their own; only its owner (here the admin) revokes one.
    Row("token_list",            GET,  "",          READ),
    Row("token_list",            POST, "",          READ, data=token_data, done=token_made),
    Row("token_revoke",          GET,  "admin's",   "404 404 404 404 200", args=admin_token),
    Row("token_revoke",          POST, "admin's",   "404 404 404 404 302", args=admin_token,
        done=admin_token_revoked),
    # Business areas, teams, touchpoints, journeys: leadership edits, admin deletes.
    *kind_rows("area", "area"),
    Row("area_edit",             GET,  "area",      LEAD_PAGE),
    Row("area_edit",             POST, "area",      LEAD_DONE, data=edit_data("area", "area"),
        done=renamed("area", "area")),
    *kind_rows("team", "delivery"),
    Row("team_edit",             GET,  "delivery",  LEAD_PAGE),
    Row("team_edit",             POST, "delivery",  LEAD_DONE,
        data=edit_data("team", "delivery"), done=renamed("team", "delivery")),
    Row("team_member_add",       GET,  "delivery",  ADMIN_PAGE),
    Row("team_member_add",       POST, "delivery",  ADMIN_DONE, data=add_viewer,
        done=in_team("viewer", "delivery")),
    Row("team_member_remove",    GET,  "delivery",  ADMIN_PAGE, args=member_in_delivery),
    Row("team_member_remove",    POST, "delivery",  ADMIN_DONE, args=member_in_delivery,
        done=member_left),
    *kind_rows("touchpoint", "checkout"),
    Row("touchpoint_edit",       GET,  "checkout",  LEAD_PAGE),
    Row("touchpoint_edit",       POST, "checkout",  LEAD_DONE,
        data=edit_data("touchpoint", "checkout"), done=renamed("touchpoint", "checkout")),
    *kind_rows("journey", "journey"),
    Row("journey_edit",          GET,  "journey",   LEAD_PAGE),
    Row("journey_edit",          POST, "journey",   LEAD_DONE,
        data=edit_data("journey", "journey"), done=renamed("journey", "journey")),
    # Journey steps, as a full page and as the htmx partial. A GET of a step action only
    # leads back to the journey, but is refused to those who cannot edit it.
    Row("step_add",              GET,  "journey",   LEAD_PAGE),
    Row("step_add",              POST, "journey",   LEAD_DONE, data=new_step,
        done=position_of("Matrix step", 2)),
    Row("step_add",              POST, "journey",   LEAD_PAGE, data=new_step, htmx=True,
        done=position_of("Matrix step", 2)),
    Row("step_remove",           GET,  "first",     LEAD_DONE, args=step_args("first")),
    Row("step_remove",           POST, "first",     LEAD_DONE, args=step_args("first"),
        done=step_removed),
    Row("step_remove",           POST, "first",     LEAD_PAGE, args=step_args("first"),
        htmx=True, done=step_removed),
    Row("step_up",               GET,  "second",    LEAD_DONE, args=step_args("second")),
    Row("step_up",               POST, "second",    LEAD_DONE, args=step_args("second"),
        done=position_of("Pay", 1)),
    Row("step_up",               POST, "second",    LEAD_PAGE, args=step_args("second"),
        htmx=True, done=position_of("Pay", 1)),
    Row("step_down",             GET,  "first",     LEAD_DONE, args=step_args("first")),
    Row("step_down",             POST, "first",     LEAD_DONE, args=step_args("first"),
        done=position_of("Browse", 2)),
    Row("step_down",             POST, "first",     LEAD_PAGE, args=step_args("first"),
        htmx=True, done=position_of("Browse", 2)),
    # Offerings: the member's team owns shop, the owner's team owns warehouse.
    *kind_rows("offering", "shop"),
    Row("offering_edit",         GET,  "shop",      "403 200 403 200 200"),
    Row("offering_edit",         POST, "shop",      "403 302 403 302 302",
        data=edit_data("offering", "shop", team=team_pk("delivery")),
        done=renamed("offering", "shop")),
    Row("offering_edit",         GET,  "warehouse", "403 403 200 200 200"),
    Row("offering_edit",         POST, "warehouse", "403 403 302 302 302",
        data=edit_data("offering", "warehouse", team=team_pk("platform")),
        done=renamed("offering", "warehouse")),
    # Usages added from the offering's page (pick the enabler); a GET leads to the offering.
    Row("offering_usage_add",    GET,  "shop",      "403 302 403 302 302"),
    Row("offering_usage_add",    POST, "shop",      "403 302 403 302 302",
        data=pick("enabler", "search"), done=usage_of("search", "shop")),
    Row("offering_usage_add",    GET,  "warehouse", "403 403 302 302 302"),
    Row("offering_usage_add",    POST, "warehouse", "403 403 302 302 302",
        data=pick("enabler", "search"), done=usage_of("search", "warehouse")),
    # Enablers: team members log them; owners edit their team's (payments), not search.
    Row("enabler_list",          GET,  "",          READ),
    Row("enabler_list",          GET,  "filtered",  READ, args=_none, query=FILTERS),
    Row("enabler_create",        GET,  "",          LOGGERS_PAGE),
    Row("enabler_create",        POST, "",          LOGGERS_DONE, data=new_enabler,
        done=created("enabler")),
    Row("enabler_detail",        GET,  "payments",  READ),
    Row("enabler_edit",          GET,  "payments",  "403 403 200 200 200"),
    Row("enabler_edit",          POST, "payments",  "403 403 302 302 302",
        data=enabler_data("payments"), done=renamed("enabler", "payments")),
    Row("enabler_edit",          GET,  "search",    LEAD_PAGE),
    Row("enabler_edit",          POST, "search",    LEAD_DONE, data=enabler_data("search"),
        done=renamed("enabler", "search")),
    Row("enabler_delete",        GET,  "payments",  ADMIN_PAGE),
    Row("enabler_delete",        POST, "spare",     ADMIN_DONE, args=spare("enabler"),
        done=gone("enabler")),
    # Classification and lifecycle in place: the htmx partial, or a redirect without htmx.
    Row("enabler_set_field",     GET,  "payments-classification", "403 403 302 302 302",
        args=set_field("payments", "classification")),
    Row("enabler_set_field",     POST, "payments-classification", "403 403 302 302 302",
        args=set_field("payments", "classification"), data=value("repeatable"),
        done=field_is("payments", "classification", "repeatable")),
    Row("enabler_set_field",     POST, "payments-classification", "403 403 200 200 200",
        args=set_field("payments", "classification"), data=value("repeatable"), htmx=True,
        done=field_is("payments", "classification", "repeatable")),
    Row("enabler_set_field",     POST, "payments-lifecycle", "403 403 200 200 200",
        args=set_field("payments", "lifecycle"), data=value("deprecated"), htmx=True,
        done=field_is("payments", "lifecycle", "deprecated")),
    Row("enabler_set_field",     POST, "search-classification", LEAD_PAGE,
        args=set_field("search", "classification"), data=value("repeatable"), htmx=True,
        done=field_is("search", "classification", "repeatable")),
    # Usages added from the enabler's page (pick the offering). A viewer cannot add usages,
    # so a GET is refused as on every other write endpoint; others go back to the enabler.
    Row("usage_add",             GET,  "search",    "403 302 302 302 302"),
    Row("usage_add",             POST, "search-shop", "403 302 403 302 302",
        args=on("search"), data=pick("offering", "shop"), done=usage_of("search", "shop")),
    Row("usage_add",             POST, "search-warehouse", "403 403 302 302 302",
        args=on("search"), data=pick("offering", "warehouse"),
        done=usage_of("search", "warehouse")),
    Row("usage_remove",          GET,  "shop",      "403 200 403 200 200", args=the_usage),
    Row("usage_remove",          POST, "shop",      "403 302 403 302 302", args=the_usage,
        done=usage_gone),
    Row("usage_remove",          GET,  "warehouse", "403 403 200 200 200", args=warehouse_usage),
    Row("usage_remove",          POST, "warehouse", "403 403 302 302 302", args=warehouse_usage,
        done=warehouse_usage_gone),
    # Suggestions for the boxes that name an offering or an enabler (htmx).
    Row("offering_suggest",      GET,  "",          READ, query="?offering=sho&scope=own",
        htmx=True),
    Row("enabler_suggest",       GET,  "",          READ, query="?enabler=pay", htmx=True),
    # The balance report, its method and thresholds, and the organisation file.
    Row("assessments:balance",       GET,  "",       READ),
    Row("assessments:report_status", GET,  "",       READ),
    Row("assessments:report",        GET,  "stored", READ, args=a_report),
    Row("assessments:report_csv",    GET,  "enablers", READ, args=report_table("enablers")),
    Row("assessments:report_csv",    GET,  "findings", READ, args=report_table("findings")),
    Row("assessments:recompute",     GET,  "",       "403 403 403 302 302"),
    Row("assessments:recompute",     POST, "",       LEAD_DONE, done=reports_asked),
    Row("assessments:method",        GET,  "",       READ),
    # The portfolio: every member reads, compares, exports and runs a what-if.
    Row("assessments:portfolio",        GET, "",       READ),
    Row("assessments:portfolio",        GET, "shown",  READ, args=ready_report_args(with_id=False)),
    Row("assessments:report_list",      GET, "",       READ, args=ready_report_args(with_id=False)),
    Row("assessments:portfolio_report", GET, "stored", READ, args=ready_report_args()),
    Row("assessments:portfolio_pdf",    GET, "stored", READ, args=ready_report_args()),
    Row("assessments:report_compare",   GET, "two",    READ, args=two_reports, query="?a={0}&b={1}"),
    Row("assessments:what_if",          GET, "",       READ),
    Row("assessments:what_if",          GET, "asked",  READ, args=_none, query="?enabler_1=payments&to_1=independent"),
    Row("assessments:thresholds",    GET,  "",       ADMIN_PAGE),
    Row("assessments:thresholds",    POST, "",       ADMIN_DONE, data=thresholds_data,
        done=thresholds_changed),
    Row("assessments:import_file",   GET,  "",       ADMIN_PAGE),
    Row("assessments:import_file",   POST, "",       ADMIN_DONE, data=organisation_file,
        done=file_imported),
    Row("assessments:export_file",   GET,  "",       READ),
    # --- assessment rounds (rows for assessments:round_* and assessment_edit) ---
    Row("assessments:round_list",   GET,  "",          READ),
    Row("assessments:round_open",   GET,  "",          LEAD_PAGE),
    Row("assessments:round_open",   POST, "",          LEAD_DONE, data=round_data("New round"),
        done=round_named("New round")),
    Row("assessments:round_detail", GET,  "open",      READ, args=round_args()),
    Row("assessments:round_edit",   GET,  "open",      LEAD_PAGE, args=round_args()),
    Row("assessments:round_edit",   POST, "open",      LEAD_DONE, args=round_args(),
        data=round_data("Renamed round"), done=round_named("Renamed round")),
    Row("assessments:round_close",  GET,  "open",      LEAD_PAGE, args=round_args()),
    Row("assessments:round_close",  POST, "open",      LEAD_DONE, args=round_args(),
        done=round_closed),
    # Every member reads every team's list; only the team (and leadership) assess for it.
    Row("assessments:round_team",   GET,  "delivery",  READ, args=round_args("delivery")),
    Row("assessments:round_team",   GET,  "platform",  READ, args=round_args("platform")),
    Row("assessments:assessment_edit", GET,  "delivery-payments", "403 302 403 302 302",
        args=round_args("delivery", "payments")),
    Row("assessments:assessment_edit", GET,  "delivery-payments", "403 200 403 200 200",
        args=round_args("delivery", "payments"), htmx=True),
    Row("assessments:assessment_edit", POST, "delivery-payments", "403 302 403 302 302",
        args=round_args("delivery", "payments"), data=round_assessment("payments"),
        done=round_assessed),
    Row("assessments:assessment_edit", POST, "delivery-payments", "403 200 403 200 200",
        args=round_args("delivery", "payments"), data=round_assessment("payments"), htmx=True,
        done=round_assessed),
    # Platform's offerings use nothing: the owner may act for it, but nothing is on its list.
    Row("assessments:assessment_edit", POST, "platform-payments", "403 403 409 409 409",
        args=round_args("platform", "payments"), data=round_assessment("payments"), htmx=True),
    # --- end of assessment rounds ---
    # --- bottleneck flags (rows for assessments:flag_*) ---
    # Everyone reads flags; team members and up raise them for their own teams (leadership
    # for any team) and comment; enabler owners respond on their team's enablers (the owner
    # is in platform, which owns payments; delivery owns search), leadership on any. A GET
    # of "comment" leads back to the flag; an unknown action is not found.
    Row("assessments:flag_list",       GET,  "",          READ),
    Row("assessments:flag_list",       GET,  "",          READ, htmx=True),
    Row("assessments:flag_list",       GET,  "filtered",  READ, args=_none, query=FLAG_FILTERS),
    Row("assessments:flag_raise",      GET,  "",          LOGGERS_PAGE),
    Row("assessments:flag_raise",      POST, "delivery",  "403 302 403 302 302", args=_none,
        data=flag_form("delivery"), done=flag_raised_for("delivery")),
    Row("assessments:flag_raise",      POST, "platform",  "403 403 302 302 302", args=_none,
        data=flag_form("platform"), done=flag_raised_for("platform")),
    Row("assessments:flag_detail",     GET,  "payments",  READ, args=flag_on("payments")),
    Row("assessments:flag_comment",    GET,  "payments",  LOGGERS_DONE, args=flag_on("payments")),
    Row("assessments:flag_comment",    POST, "payments",  LOGGERS_DONE, args=flag_on("payments"),
        data=flag_comment_data, done=flag_commented),
    Row("assessments:flag_transition", GET,  "payments-acknowledge", "403 403 200 200 200",
        args=flag_action("payments", "acknowledge")),
    Row("assessments:flag_transition", POST, "payments-acknowledge", "403 403 302 302 302",
        args=flag_action("payments", "acknowledge"), data=flag_note,
        done=flag_now("acknowledged")),
    Row("assessments:flag_transition", POST, "payments-resolve", "403 403 302 302 302",
        args=flag_action("payments", "resolve"), data=flag_note, done=flag_now("resolved")),
    Row("assessments:flag_transition", GET,  "resolved-payments-reopen", "403 403 200 200 200",
        args=flag_action("payments", "reopen", "resolved")),
    Row("assessments:flag_transition", POST, "resolved-payments-reopen", "403 403 302 302 302",
        args=flag_action("payments", "reopen", "resolved"), data=flag_note,
        done=flag_now("open")),
    Row("assessments:flag_transition", GET,  "search-resolve", LEAD_PAGE,
        args=flag_action("search", "resolve")),
    Row("assessments:flag_transition", POST, "search-resolve", LEAD_DONE,
        args=flag_action("search", "resolve"), data=flag_note, done=flag_now("resolved")),
    Row("assessments:flag_transition", GET,  "payments-unknown", "404 404 404 404 404",
        args=flag_action("payments", "close")),
    Row("assessments:flag_transition", POST, "payments-unknown", "404 404 404 404 404",
        args=flag_action("payments", "close"), data=flag_note),
    # --- end of bottleneck flags ---
    # --- decisions (rows for assessments:decision_*) ---
    # Everyone reads the register; enabler owners and up propose and edit while proposed;
    # leadership and admins accept or reject (POST only). Editing a decided one: 409.
    Row("assessments:decision_list",     GET,  "",          READ),
    Row("assessments:register_markdown", GET, "", READ),
    Row("assessments:decision_markdown", GET, "dec", READ, args=a_decision_key),
    Row("assessments:decision_import", GET, "", LEAD_PAGE),
    Row("assessments:decision_import", POST, "", LEAD_DONE, data=decision_file,
        done=decision_imported),
    Row("assessments:decision_list",     GET,  "",          READ, htmx=True),
    Row("assessments:decision_list",     GET,  "filtered",  READ, args=_none,
        query=DECISION_FILTERS),
    Row("assessments:decision_timeline", GET,  "",          READ),
    Row("assessments:decision_new",      GET,  "",          "403 403 200 200 200"),
    Row("assessments:decision_new",      GET,  "prefilled", "403 403 200 200 200", args=_none,
        query="?title=T&enabler=payments&change=payments:repeatable&flag=x&report=1"
        "&supersedes=x&merge_into=search&merge_from=payments"),
    Row("assessments:decision_new",      POST, "",          "403 403 302 302 302",
        data=decision_form("Matrix new"), done=decision_titled("Matrix new")),
    Row("assessments:decision_detail",   GET,  "proposed",  READ, args=decision_on()),
    Row("assessments:decision_detail",   GET,  "accepted",  READ, args=decision_on("accepted")),
    Row("assessments:decision_edit",     GET,  "proposed",  "403 403 200 200 200",
        args=decision_on()),
    Row("assessments:decision_edit",     POST, "proposed",  "403 403 302 302 302",
        args=decision_on(), data=decision_form("Matrix edited"),
        done=decision_titled("Matrix edited")),
    Row("assessments:decision_edit",     GET,  "accepted",  "403 403 409 409 409",
        args=decision_on("accepted")),
    Row("assessments:decision_edit",     POST, "accepted",  "403 403 409 409 409",
        args=decision_on("accepted"), data=decision_form("Matrix edited")),
    Row("assessments:decision_accept",   GET,  "proposed",  "403 403 403 405 405",
        args=decision_on()),
    Row("assessments:decision_accept",   POST, "proposed",  "403 403 403 302 302",
        args=decision_on(), data=decision_version, done=decision_now("accepted")),
    Row("assessments:decision_reject",   GET,  "proposed",  "403 403 403 405 405",
        args=decision_on()),
    Row("assessments:decision_reject",   POST, "proposed",  "403 403 403 302 302",
        args=decision_on(), data=decision_version, done=decision_now("rejected")),
    # --- end of decisions ---
    # --- notifications (rows for assessments:notification*) ---
    # Everyone sees their own; a GET of "read" changes nothing and leads back to the list.
    Row("assessments:notification_list",  GET,  "",  READ),
    Row("assessments:notification_list",  GET,  "",  READ, htmx=True),
    Row("assessments:notification_list",  GET,  "unread", READ, args=_none, query="?unread=1"),
    Row("assessments:notifications_read", GET,  "",  "302 302 302 302 302"),
    Row("assessments:notifications_read", POST, "",  "302 302 302 302 302",
        data=notification_for_everyone, done=notification_someone_read),
    # --- end of notifications ---
    # Site pages: all seven columns (anonymous outsider viewer member owner leader admin).
    SiteRow("home",                GET,  "",        "login 302 302 302 302 302 302"),
    SiteRow("login",               GET,  "",        "200 200 200 200 200 200 200"),
    SiteRow("login",               POST, "",        "302 302 302 302 302 302 302",
            data=login_data),
    SiteRow("logout",              GET,  "",        "405 405 405 405 405 405 405"),
    SiteRow("logout",              POST, "",        "302 302 302 302 302 302 302"),
    # The link is for newcomer@example.org: any other signed-in account is refused.
    SiteRow("accept_invitation",   GET,  "valid",   "200 403 403 403 403 403 403",
            args=invitation_token),
    SiteRow("accept_invitation",   POST, "valid",   "302 403 403 403 403 403 403",
            args=invitation_token, data=signup_data, done=invitation_accepted),
    SiteRow("accept_invitation",   GET,  "unknown", "404 404 404 404 404 404 404",
            args=no_such_token),
    SiteRow("staff_organisations", GET,  "",        "login 404 404 404 404 404 404"),
    SiteRow("staff_organisations", POST, "",        "login 404 404 404 404 404 404",
            data=new_organisation, done=initech_exists),
]
# fmt: on


# --- spreadsheets (rows for enabler_export, usage_export, enabler_import) -----------------
SPREADSHEET = b"key,name,kind\r\n,Matrix sheet,platform\r\n"


def spreadsheet_upload(c: Cast) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("enablers.csv", SPREADSHEET, content_type="text/csv")}


def spreadsheet_confirm(c: Cast) -> dict[str, Any]:
    """The preview's hidden field for SPREADSHEET, as the page posts it to import."""
    from catalogue import spreadsheet_import, spreadsheets

    table = spreadsheets.read_file(SPREADSHEET)
    sheet = spreadsheets.recognise(table)
    preview = spreadsheet_import.import_preview(organisation=c.world.org, sheet=sheet)
    token = spreadsheets.seal(
        organisation_id=c.world.org.pk, table=table, fingerprint=preview.fingerprint
    )
    return {"token": token}


def spreadsheet_imported(c: Cast) -> bool:
    return scoped(c, m.Enabler).filter(name="Matrix sheet").exists()


# fmt: off
MATRIX += [
    # Every member exports (with the list's filters); leadership and admin import.
    Row("enabler_export",        GET,  "csv",       READ, args=_none, query="?format=csv"),
    Row("enabler_export",        GET,  "xlsx",      READ, args=_none, query="?format=xlsx&kind=platform"),
    Row("usage_export",          GET,  "csv",       READ, args=_none, query="?format=csv&q=pay"),
    Row("usage_export",          GET,  "xlsx",      READ, args=_none, query="?format=xlsx"),
    Row("enabler_import",        GET,  "",          LEAD_PAGE),
    Row("enabler_import",        POST, "preview",   LEAD_PAGE, args=_none, data=spreadsheet_upload),
    Row("enabler_import",        POST, "import",    LEAD_DONE, args=_none, data=spreadsheet_confirm,
        done=spreadsheet_imported),
]
# fmt: on
# --- end spreadsheets ---


# --- Backstage import (rows for backstage_import, appended to MATRIX) ----------------------
def backstage_upload(c: Cast) -> dict[str, Any]:
    """org.yaml of tests/backstage/files, uploaded: the answer is the preview."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    path = Path(__file__).parents[1] / "backstage" / "files" / "org.yaml"
    return {"step": "upload", "descriptors": [SimpleUploadedFile(path.name, path.read_bytes())]}


def backstage_confirm(c: Cast) -> dict[str, Any]:
    """The preview's form for org.yaml, as the page posts it to import."""
    from pathlib import Path

    from catalogue.backstage_import import backstage_preview
    from catalogue.forms_backstage import sign_files

    path = Path(__file__).parents[1] / "backstage" / "files" / "org.yaml"
    files = [(path.name, path.read_text())]
    preview = backstage_preview(organisation=c.world.org, files=files)
    return {
        "step": "import",
        "payload": sign_files(c.world.org, files),
        "digest": preview.digest(),
        **{kind.lower(): target.value for kind, target in preview.mapping.items()},
    }


def backstage_imported(c: Cast) -> bool:
    return scoped(c, m.Team).filter(key="payments-team").exists()


# fmt: off
MATRIX += [
    # Leadership and admin bring in Backstage descriptor files: preview, then import.
    Row("backstage_import",      GET,  "",          LEAD_PAGE),
    Row("backstage_import",      POST, "preview",   LEAD_PAGE, args=_none, data=backstage_upload),
    Row("backstage_import",      POST, "import",    LEAD_DONE, args=_none, data=backstage_confirm,
        done=backstage_imported),
]
# fmt: on
# --- end Backstage import ---


# --- accounts (issue 8: audit log, password reset by email; appended to MATRIX) ------------
def reset_link(c: Cast) -> list[str]:
    """A reset link as the email carries it, for someone who is none of the actors (signing
    in changes the user's last login, which ends any link sent before)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = f.UserFactory(username="forgetful")
    return [urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)]


def reset_email(c: Cast) -> dict[str, Any]:
    return {"email": "viewer@example.org"}


def reset_link_sent(c: Cast) -> bool:
    from django.core import mail

    return len(mail.outbox) == 1


# fmt: off
MATRIX += [
    # The audit log: the organisation's admins only.
    Row("audit_log",             GET,  "",          ADMIN_PAGE),
    Row("audit_log",             GET,  "filtered",  ADMIN_PAGE, args=_none, query="?kind=login"),
    # Password reset is open to anyone (the answer never says whether an account exists).
    SiteRow("password_reset",          GET,  "",    "200 200 200 200 200 200 200"),
    SiteRow("password_reset",          POST, "",    "302 302 302 302 302 302 302",
            data=reset_email, done=reset_link_sent),
    SiteRow("password_reset_done",     GET,  "",    "200 200 200 200 200 200 200"),
    SiteRow("password_reset_confirm",  GET,  "bad-link", "200 200 200 200 200 200 200",
            args=lambda c: ["MQ", "not-a-token"]),
    SiteRow("password_reset_confirm",  GET,  "valid-link", "302 302 302 302 302 302 302",
            args=reset_link),
    SiteRow("password_reset_complete", GET,  "",    "200 200 200 200 200 200 200"),
]
# fmt: on
# --- end accounts ---

SUCCESS = {"200", "302"}
CASES = [(actor, entry) for entry in MATRIX for actor in ACTORS]


def request(client: Client, entry: Entry, url: str, data: dict[str, Any]) -> Any:
    headers = {"HX-Request": "true"} if entry.htmx else {}
    if entry.method == POST:
        return client.post(url, data, headers=headers)
    return client.get(url, headers=headers)


def check_status(response: Any, expected: str, *, in_org: bool) -> None:
    login = reverse("login")
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(login), response["Location"]
        return
    assert response.status_code == int(expected), response.content[:1500]
    if expected == "302" and in_org:
        # A success, not a detour through the login page.
        assert not response["Location"].startswith(login)


@pytest.mark.parametrize(
    ("actor", "entry"), CASES, ids=[entry.id_for(actor) for actor, entry in CASES]
)
def test_permission(cast: Cast, actor: str, entry: Entry) -> None:
    args = entry.args(cast)
    prefix = [cast.world.org.slug] if entry.in_org else []
    # A builder may leave ids for the query string (``{0}``) on the cast.
    query = entry.query.format(*getattr(cast, "query_args", []))
    url = reverse(entry.url_name, args=[*prefix, *args]) + query
    data = entry.data(cast) if entry.data else {}
    client = client_for(None if actor == "anonymous" else getattr(cast, actor))

    response = request(client, entry, url, data)

    expected = entry.expect[actor]
    check_status(response, expected, in_org=entry.in_org)
    if entry.done is not None:
        assert entry.done(cast) is (expected in SUCCESS), "effect of the POST"


def test_matrix_ids_are_unique() -> None:
    ids = [entry.id_for(actor) for actor, entry in CASES]
    assert len(ids) == len(set(ids))


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin site: staff only, its own permission system
            if pattern.namespace == "api":
                continue  # the REST API has its own matrix: tests/api/test_permissions.py
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name}" if pattern.name else f"unnamed {pattern}")
    return names


def test_every_url_is_in_the_matrix() -> None:
    covered = {entry.url_name for entry in MATRIX}
    missing = sorted(set(_url_names(get_resolver())) - covered)
    assert missing == [], f"URL patterns with no row in the permission matrix: {missing}"


def test_every_write_endpoint_is_also_checked_by_get() -> None:
    # A write endpoint checked only by POST could still leak its form on GET.
    methods: dict[str, set[str]] = {}
    for entry in MATRIX:
        methods.setdefault(entry.url_name, set()).add(entry.method)
    only_post = sorted(name for name, found in methods.items() if found == {POST})
    assert only_post == []


# --- what the roles see and get, beyond the status -------------------------------------------


@pytest.mark.parametrize("kind", ["area", "team", "offering", "touchpoint", "journey"])
@pytest.mark.parametrize(("actor", "shown"), [("leader", True), ("member", False)])
def test_the_add_button_on_a_list_follows_who_may_add(
    cast: Cast, kind: str, actor: str, shown: bool
) -> None:
    # Leadership may add every kind (see the *_create rows), so the list offers it.
    create_url = reverse(f"catalogue:{kind}_create", args=["acme"])
    response = client_for(getattr(cast, actor)).get(
        reverse(f"catalogue:{kind}_list", args=["acme"])
    )
    assert (f'href="{create_url}"' in response.content.decode()) is shown


@pytest.mark.parametrize(("actor", "lifecycle"), [("member", "proposed"), ("owner", "active")])
def test_team_members_log_enablers_as_proposed(cast: Cast, actor: str, lifecycle: str) -> None:
    url = reverse("catalogue:enabler_create", args=["acme"])
    client_for(getattr(cast, actor)).post(url, new_enabler(cast))
    assert scoped(cast, m.Enabler).get(name="Matrix item").lifecycle == lifecycle


def test_removing_a_usage_never_redirects_off_site(cast: Cast) -> None:
    url = reverse("catalogue:usage_remove", args=["acme", cast.world.usage.pk])
    response = client_for(cast.member).post(url, {"next": "//evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == reverse("catalogue:enabler_detail", args=["acme", "payments"])


# --- the outsider through their own organisation --------------------------------------------

# Pages that name an object by id rather than key (keys are the same in both organisations).
BY_ID = [
    entry
    for entry in MATRIX
    if entry.in_org
    and entry.name
    in {
        "member_edit",
        "member_remove",
        "invitation_revoke",
        "team_member_remove",
        "step_remove",
        "step_up",
        "step_down",
        "usage_remove",
        "token_revoke",
    }
]


@pytest.mark.parametrize("entry", BY_ID, ids=[e.id_for("outsider") + "-via-globex" for e in BY_ID])
def test_outsider_cannot_reach_acme_ids_through_their_own_organisation(
    cast: Cast, entry: Entry
) -> None:
    # The outsider is admin of globex, which has the same keys as acme; only ids differ.
    url = reverse(entry.url_name, args=[cast.other.org.slug, *entry.args(cast)])
    response = request(
        client_for(cast.outsider), entry, url, entry.data(cast) if entry.data else {}
    )
    assert response.status_code == 404
    if entry.done is not None:
        assert not entry.done(cast)


# --- nothing of globex shows in acme ----------------------------------------------------------

SECRET = "Globex-only secret"
SECRET_KEY = "globex-only-secret"
LIST_PAGES = [
    "home",
    "enabler_list",
    "offering_list",
    "team_list",
    "area_list",
    "touchpoint_list",
    "journey_list",
    "member_list",
]


@pytest.fixture
def globex_secrets(cast: Cast) -> Cast:
    """One item of each kind, and one member, that only globex has."""
    org = cast.other.org
    for kind, factory in KIND_FACTORY.items():
        factory(organisation=org, key=SECRET_KEY, name=f"{SECRET} {kind}")
    f.OfferingFactory(
        organisation=org,
        key="globex-secret-2",
        name=f"{SECRET} offering 2",
        team=cast.other.delivery,
        business_area=cast.other.area,
    )
    services.record_change(organisation=org, actor=cast.outsider.user, summary=f"{SECRET} change")
    membership = m.Membership.objects.create(
        organisation=org, user=f.UserFactory(username=SECRET_KEY), role=m.Role.ADMIN
    )
    m.TeamMembership.objects.create(
        organisation=org, team=cast.other.delivery, membership=membership
    )
    return cast


@pytest.mark.parametrize("page_name", LIST_PAGES)
def test_acme_pages_show_nothing_of_globex(globex_secrets: Cast, page_name: str) -> None:
    response = client_for(globex_secrets.admin).get(
        reverse(f"catalogue:{page_name}", args=["acme"])
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert SECRET.lower() not in text.lower()
    assert "globex" not in text.lower()
    assert "outsider" not in text


@pytest.mark.parametrize(
    "page_name",
    [
        "team_detail",
        "area_detail",
        "offering_detail",
        "touchpoint_detail",
        "journey_detail",
        "enabler_detail",
    ],
)
def test_acme_detail_pages_show_nothing_of_globex(globex_secrets: Cast, page_name: str) -> None:
    key = {
        "team_detail": "delivery",
        "area_detail": "food",
        "offering_detail": "shop",
        "touchpoint_detail": "checkout",
        "journey_detail": "weekly-shop",
        "enabler_detail": "payments",
    }[page_name]
    response = client_for(globex_secrets.admin).get(
        reverse(f"catalogue:{page_name}", args=["acme", key])
    )
    assert response.status_code == 200
    assert SECRET.lower() not in response.content.decode().lower()


def test_acme_enabler_search_finds_nothing_of_globex(globex_secrets: Cast) -> None:
    url = reverse("catalogue:enabler_list", args=["acme"])
    response = client_for(globex_secrets.admin).get(url, {"q": "secret"})
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("kind", list(KIND_FACTORY))
def test_globex_items_are_not_found_under_acme(globex_secrets: Cast, kind: str) -> None:
    client = client_for(globex_secrets.admin)
    url = reverse(f"catalogue:{kind}_detail", args=["acme", SECRET_KEY])
    assert client.get(url).status_code == 404
    # ... while the same admin path in globex does hold it (so the key is right).
    other = reverse(f"catalogue:{kind}_detail", args=["globex", SECRET_KEY])
    assert client_for(globex_secrets.outsider).get(other).status_code == 200


def test_globex_member_is_not_found_under_acme(globex_secrets: Cast) -> None:
    secret = m.Membership.objects.for_org(globex_secrets.other.org).get(user__username=SECRET_KEY)
    url = reverse("catalogue:member_edit", args=["acme", secret.pk])
    assert client_for(globex_secrets.admin).get(url).status_code == 404


# --- the staff page ---------------------------------------------------------------------------


def test_staff_see_and_create_organisations(cast: Cast) -> None:
    staff = f.UserFactory(username="staff", is_staff=True)
    client = Client()
    client.force_login(staff)
    url = reverse("staff_organisations")

    page = client.get(url)
    created_ = client.post(
        url,
        {
            "name": "Initech",
            "slug": "initech",
            "delivery_model": "group",
            "description": "",
            "admin_email": "admin@example.org",
        },
    )

    assert page.status_code == 200
    assert b"Acme Ltd" in page.content and b"Globex Ltd" in page.content
    assert created_.status_code == 302
    initech = m.Organisation.objects.get(slug="initech")
    # admin@example.org is the acme admin's account: it becomes initech's first admin.
    assert m.Membership.objects.for_org(initech).get().user == cast.admin.user


def test_non_staff_get_404_from_the_staff_page(cast: Cast) -> None:
    assert client_for(cast.admin).get(reverse("staff_organisations")).status_code == 404


def test_anonymous_is_sent_to_login_from_the_staff_page(db: None) -> None:
    response = Client().get(reverse("staff_organisations"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))

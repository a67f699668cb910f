"""Flags, assessment rounds, assessments, decisions and balance reports in the API.

The same people as the pages, with the same rules: every operation asks the access module
first (``member``, ``get_object_for_user``, ``require``), every write goes through the
page's form (so the same checks and messages apply) and the page's service.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django import forms
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator, StringConstraints

from catalogue.access import get_object_for_user, require
from catalogue.api_base import (
    Conflict,
    Invalid,
    Key,
    Line,
    PageQuery,
    Strict,
    Text,
    member,
    page_of,
    raise_form_errors,
    responses,
)
from catalogue.models import Classification, Enabler, Membership, Team
from catalogue.permissions import can

from . import selectors, services
from .forms import CHANGE_ROWS, AssessmentForm, CommentForm, DecisionForm, FlagForm, FlagNoteForm
from .models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionChange,
    DecisionStatus,
    FlagAction,
    FlagComment,
    FlagStatus,
    ReportStatus,
    RoundStatus,
    Severity,
)

flags_router = Router(tags=["flags"])
assessments_router = Router(tags=["assessments"])
decisions_router = Router(tags=["decisions"])
reports_router = Router(tags=["reports"])

ORG = "/o/{org}"

SeverityValue = Literal["low", "medium", "high", "blocking"]
FlagStatusValue = Literal["open", "acknowledged", "resolved"]
FlagVerb = Literal["acknowledge", "resolve", "reopen"]
CommentAction = Literal["comment", "acknowledged", "resolved", "reopened"]
RoundStatusValue = Literal["open", "closed"]
ClassificationValue = Literal["repeatable", "common", "independent"]
DecisionStatusValue = Literal["proposed", "accepted", "rejected", "superseded"]
ReportStatusValue = Literal["pending", "running", "ready", "failed"]

assert set(SeverityValue.__args__) == set(Severity.values)  # type: ignore[attr-defined]
assert set(FlagStatusValue.__args__) == set(FlagStatus.values)  # type: ignore[attr-defined]
assert set(RoundStatusValue.__args__) == set(RoundStatus.values)  # type: ignore[attr-defined]
assert set(ClassificationValue.__args__) == set(Classification.values)  # type: ignore[attr-defined]
assert set(DecisionStatusValue.__args__) == set(DecisionStatus.values)  # type: ignore[attr-defined]
assert set(ReportStatusValue.__args__) == set(ReportStatus.values)  # type: ignore[attr-defined]

# The verb in a flag's address, and the action it records.
FLAG_VERBS: dict[str, str] = {
    "acknowledge": FlagAction.ACKNOWLEDGED,
    "resolve": FlagAction.RESOLVED,
    "reopen": FlagAction.REOPENED,
}
VERB_OF = {action: verb for verb, action in FLAG_VERBS.items()}
ROUND_CLOSED = "This round is closed: its assessments can no longer change."

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


# A decision's context, options, decision and consequences: longer than ``Text``.
LongText = Annotated[str, StringConstraints(max_length=10000), AfterValidator(_no_control)]
Search = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_control)]
# Ids and numbers no database column could hold are refused before any lookup.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Number = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _key(item: Any) -> str | None:
    return item.key if item is not None else None


def _form_data(values: dict[str, Any]) -> dict[str, Any]:
    """API values as a form posts them: None as empty, numbers and dates as text."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            data[name] = ""
        elif isinstance(value, date):
            data[name] = value.isoformat()
        elif isinstance(value, int) and not isinstance(value, bool):
            data[name] = str(value)
        else:
            data[name] = value
    return data


def _query_errors(errors: dict[str, Any]) -> Invalid:
    """A filter form's errors (a key not in the organisation) as a 422 on the query."""
    return Invalid(
        [{"loc": ["query", name], "msg": " ".join(messages)} for name, messages in errors.items()]
    )


# --- bottleneck flags -----------------------------------------------------------------------


class FlagOut(Schema):
    key: str
    summary: str
    details: str
    status: FlagStatusValue
    severity: SeverityValue
    team: str = Field(description="The key of the team that raised it.")
    enabler: str
    offering: str | None
    journey: str | None
    raised_by: str | None = Field(description="Username of who raised it.")
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    actions: list[FlagVerb] = Field(
        description="What its status allows next (leadership and the enabler's owners only)."
    )
    version: int = Field(
        description="Goes up by one with each change; send it back with a step to refuse "
        "acting on an older copy."
    )
    url: str


class FlagPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[FlagOut]


class FlagQuery(PageQuery):
    status: FlagStatusValue | None = None
    severity: SeverityValue | None = None
    team: Key | None = Field(None, description="Raised by this team (key).")
    enabler: Key | None = None
    area: Key | None = Field(
        None, description="Raised by a team, or on an offering, in this business area (key)."
    )
    owner: Key | None = Field(None, description="On the enablers this team owns (key).")
    offering: Key | None = None


class FlagIn(Strict):
    team: Key = Field(description="The team raising it: one of yours (leadership: any).")
    enabler: Key
    offering: Key | None = Field(None, description="One of the team's offerings.")
    journey: Key | None = None
    severity: SeverityValue = "medium"
    summary: Line = Field(description="One line: what slows you down.")
    details: Text = ""


def _version_in(thing: str) -> Any:
    """The optional ``version`` of a body, documented the same everywhere."""
    return Field(
        None,
        ge=1,
        le=2**31 - 1,
        description=f"The version you read. If the {thing} changed since, nothing is saved "
        "(409, naming the version it is now). Left out: the step is not checked.",
    )


def _stale(stale: services.StaleItem, thing: str) -> Conflict:
    """409 for a step based on an older version: which version it is now, and what to do."""
    return Conflict(
        f"{thing} changed since version {stale.base_version}: it is now version "
        f"{stale.current.version} ({stale.current.get_status_display().lower()}). Nothing was "
        "changed: read it again, then send your change.",
        current_version=stale.current.version,
    )


class FlagNoteIn(Strict):
    note: Text = Field("", description="Optional: what you are doing about it, or why.")
    version: int | None = _version_in("flag")


class CommentOut(Schema):
    id: int
    action: CommentAction = Field(
        description="comment, or the step it came with: acknowledged, resolved or reopened."
    )
    author: str | None
    body: str
    created_at: datetime


class CommentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CommentOut]


class CommentIn(Strict):
    body: Text


def flag_out(flag: BottleneckFlag) -> dict[str, Any]:
    return {
        "key": flag.key,
        "summary": flag.summary,
        "details": flag.details,
        "status": flag.status,
        "severity": flag.severity,
        "team": flag.team.key,
        "enabler": flag.enabler.key,
        "offering": _key(flag.offering),
        "journey": _key(flag.journey),
        "raised_by": _username(flag.raised_by),
        "raised_at": flag.raised_at,
        "acknowledged_at": flag.acknowledged_at,
        "resolved_at": flag.resolved_at,
        "actions": [VERB_OF[action] for action in services.flag_actions(flag)],
        "version": flag.version,
        "url": flag.get_absolute_url(),
    }


def comment_out(comment: FlagComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "action": comment.action or "comment",
        "author": _username(comment.author),
        "body": comment.body,
        "created_at": comment.created_at,
    }


def _flags() -> QuerySet[BottleneckFlag]:
    return BottleneckFlag.objects.select_related(
        "team", "enabler__owner_team", "offering", "journey", "raised_by"
    )


def _get_flag(membership: Membership, key: str, need: str = "org.view") -> BottleneckFlag:
    return get_object_for_user(membership, _flags(), need=need, key=key)


@flags_router.get(ORG + "/flags", response=responses({200: FlagPage}), summary="List flags")
def flag_list(request: HttpRequest, org: str, query: Query[FlagQuery]) -> dict[str, Any]:
    """The bottleneck flags, filtered as on the Flags page, newest first."""
    membership = member(request, org)
    data = {
        name: value
        for name, value in query.dict(exclude={"limit", "offset"}).items()
        if value is not None
    }
    filterset, _ = selectors.flags_for_list(organisation=membership.organisation, data=data)
    if not filterset.is_valid():
        raise _query_errors(filterset.errors)
    return page_of(filterset.qs.select_related("raised_by"), query, flag_out)


@flags_router.post(ORG + "/flags", response=responses({201: FlagOut}), summary="Raise a flag")
def flag_raise(request: HttpRequest, org: str, payload: FlagIn) -> Status[Any]:
    """A team flags a bottleneck on an enabler; the enabler's owning team is told."""
    membership = member(request, org, "flag.raise")
    organisation = membership.organisation
    teams = selectors.acting_teams(membership)
    if not teams.exists():
        raise HttpError(403, "You are in no team, so there is no team to raise a flag for.")
    # A team of the organisation the person may not act for: 403, as on the page.
    named = Team.objects.for_org(organisation).filter(key=payload.team).first()
    if named is not None:
        require(membership, "team.act_for", named)
    form = FlagForm(_form_data(payload.dict()), organisation=organisation, teams=teams)
    if not form.is_valid():
        raise_form_errors(form)
    data = form.cleaned_data
    flag = services.flag_raise(
        organisation=organisation,
        team=data["team"],
        enabler=data["enabler"],
        offering=data["offering"],
        journey=data["journey"],
        severity=data["severity"],
        summary=data["summary"],
        details=data["details"],
        actor=request.user,
    )
    return Status(201, flag_out(_get_flag(membership, flag.key)))


@flags_router.get(ORG + "/flags/{key}", response=responses({200: FlagOut}), summary="A flag")
def flag_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    return flag_out(_get_flag(member(request, org), key))


def _transition(
    request: HttpRequest, org: str, key: str, verb: str, payload: FlagNoteIn | None
) -> dict[str, Any]:
    """Acknowledge, resolve or reopen: leadership and the enabler's owners; 409 when the
    flag's status does not allow it (someone else may have moved it a moment ago), or when
    it changed since the ``version`` sent."""
    membership = member(request, org)
    flag = _get_flag(membership, key, need="flag.respond")
    form = FlagNoteForm({"note": payload.note if payload else ""})
    if not form.is_valid():
        raise_form_errors(form)
    try:
        services.flag_transition(
            flag=flag,
            action=FLAG_VERBS[verb],
            note=form.cleaned_data["note"],
            actor=request.user,
            base_version=payload.version if payload else None,
        )
    except services.StaleItem as stale:
        raise _stale(stale, "The flag") from stale
    except services.FlagError as error:
        raise Conflict(f"{error} Nothing was changed.") from error
    return flag_out(_get_flag(membership, key))


NOTE_DOC = (
    "The body is optional: send a ``note`` to say what you are doing about it, or why, and "
    "the ``version`` you read to be refused (409) if someone changed the flag since."
)


@flags_router.post(
    ORG + "/flags/{key}/acknowledge",
    response=responses({200: FlagOut}),
    summary="Acknowledge a flag",
    description=f"An open flag becomes acknowledged; the raising team is told. {NOTE_DOC}",
)
def flag_acknowledge(
    request: HttpRequest, org: str, key: str, payload: FlagNoteIn | None = None
) -> dict[str, Any]:
    return _transition(request, org, key, "acknowledge", payload)


@flags_router.post(
    ORG + "/flags/{key}/resolve",
    response=responses({200: FlagOut}),
    summary="Resolve a flag",
    description=f"An open or acknowledged flag becomes resolved. {NOTE_DOC}",
)
def flag_resolve(
    request: HttpRequest, org: str, key: str, payload: FlagNoteIn | None = None
) -> dict[str, Any]:
    return _transition(request, org, key, "resolve", payload)


@flags_router.post(
    ORG + "/flags/{key}/reopen",
    response=responses({200: FlagOut}),
    summary="Reopen a flag",
    description=f"A resolved or acknowledged flag becomes open again. {NOTE_DOC}",
)
def flag_reopen(
    request: HttpRequest, org: str, key: str, payload: FlagNoteIn | None = None
) -> dict[str, Any]:
    return _transition(request, org, key, "reopen", payload)


@flags_router.get(
    ORG + "/flags/{key}/comments",
    response=responses({200: CommentPage}),
    summary="A flag's comments",
)
def flag_comments(
    request: HttpRequest, org: str, key: str, query: Query[PageQuery]
) -> dict[str, Any]:
    """Comments and the notes that came with each step, oldest first."""
    membership = member(request, org)
    flag = _get_flag(membership, key)
    comments = (
        FlagComment.objects.for_org(membership.organisation)
        .filter(flag=flag)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return page_of(comments, query, comment_out)


@flags_router.post(
    ORG + "/flags/{key}/comments",
    response=responses({201: CommentOut}),
    summary="Comment on a flag",
)
def flag_comment(request: HttpRequest, org: str, key: str, payload: CommentIn) -> Status[Any]:
    membership = member(request, org, "flag.comment")
    flag = _get_flag(membership, key, need="flag.comment")
    form = CommentForm({"body": payload.body})
    if not form.is_valid():
        raise_form_errors(form)
    try:
        comment = services.flag_comment(
            flag=flag, body=form.cleaned_data["body"], actor=request.user
        )
    except services.FlagError as error:
        raise Invalid([{"loc": ["body", "body"], "msg": str(error)}]) from error
    return Status(201, comment_out(comment))


# --- assessment rounds ----------------------------------------------------------------------


class RoundOut(Schema):
    key: str
    name: str
    status: RoundStatusValue
    opened_on: date | None
    due_on: date | None
    closed_on: date | None
    assessments: int = Field(description="How many assessments were recorded in it.")
    url: str


class RoundPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RoundOut]


class CompletionOut(Schema):
    team: str | None = Field(description="The team's key; null for the whole organisation.")
    assessed: int
    pairs: int = Field(description="How many (team, enabler) pairs the round asks about.")
    share: float | None


class CompletionsOut(Schema):
    overall: CompletionOut
    teams: list[CompletionOut] = Field(description="Least complete first.")


class RoundDetailOut(RoundOut):
    teams: list[str] = Field(
        description="Keys of the teams the round asks something of (a live enabler in use)."
    )
    completion: CompletionsOut | None = Field(
        description="Leadership and admins only, as on the page; null for other roles."
    )


def round_out(assessment_round: AssessmentRound, assessments: int) -> dict[str, Any]:
    return {
        "key": assessment_round.key,
        "name": assessment_round.name,
        "status": assessment_round.status,
        "opened_on": assessment_round.opened_on,
        "due_on": assessment_round.due_on,
        "closed_on": assessment_round.closed_on,
        "assessments": assessments,
        "url": assessment_round.get_absolute_url(),
    }


def _completion(done: selectors.Completion) -> dict[str, Any]:
    return {
        "team": _key(done.team),
        "assessed": done.assessed,
        "pairs": done.pairs,
        "share": done.share,
    }


@assessments_router.get(
    ORG + "/rounds", response=responses({200: RoundPage}), summary="List assessment rounds"
)
def round_list(request: HttpRequest, org: str, query: Query[PageQuery]) -> dict[str, Any]:
    """Newest first; at most one is open."""
    membership = member(request, org)
    rounds = (
        AssessmentRound.objects.for_org(membership.organisation)
        .annotate(assessment_count=Count("assessments"))
        .order_by("-sequence", "-id")
    )
    return page_of(rounds, query, lambda r: round_out(r, r.assessment_count))


@assessments_router.get(
    ORG + "/rounds/{key}", response=responses({200: RoundDetailOut}), summary="An assessment round"
)
def round_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    membership = member(request, org)
    organisation = membership.organisation
    assessment_round = get_object_for_user(
        membership,
        AssessmentRound.objects.annotate(assessment_count=Count("assessments")),
        key=key,
    )
    completion = None
    if can(membership, "round.completion"):
        overall, per_team = selectors.round_completion(
            organisation=organisation, assessment_round=assessment_round
        )
        completion = {"overall": _completion(overall), "teams": [_completion(c) for c in per_team]}
    return {
        **round_out(assessment_round, assessment_round.assessment_count),  # type: ignore[attr-defined]
        "teams": [t.key for t in selectors.round_teams(organisation=organisation)],
        "completion": completion,
    }


# --- assessments ----------------------------------------------------------------------------


class AssessmentOut(Schema):
    id: int
    round: str
    team: str
    enabler: str
    fit: int = Field(ge=1, le=5, description="1 gets in our way … 5 exactly what we need.")
    pace: int = Field(ge=-2, le=2, description="-2 slows us a lot … +2 speeds us up a lot.")
    preferred: ClassificationValue | None = Field(description="null: no preference.")
    comment: str
    assessed_by: str | None
    updated_at: datetime


class AssessmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AssessmentOut]


class AssessmentQuery(PageQuery):
    round: Key | None = None
    team: Key | None = None
    enabler: Key | None = None


class AssessmentIn(Strict):
    round: Key = Field(description="An open round's key.")
    team: Key = Field(description="A team you may assess for (leadership: any).")
    enabler: Key = Field(description="An enabler on the team's list: used by its offerings.")
    fit: int = Field(ge=1, le=5, description="1 gets in our way … 5 exactly what we need.")
    pace: int = Field(ge=-2, le=2, description="-2 slows us a lot … +2 speeds us up a lot.")
    preferred: ClassificationValue | None = Field(None, description="null: no preference.")
    comment: Text = ""


def assessment_out(assessment: Assessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "round": assessment.round.key,
        "team": assessment.team.key,
        "enabler": assessment.enabler.key,
        "fit": assessment.fit,
        "pace": assessment.pace,
        "preferred": assessment.preferred or None,
        "comment": assessment.comment,
        "assessed_by": _username(assessment.assessed_by),
        "updated_at": assessment.updated_at,
    }


def _assessments(membership: Membership) -> QuerySet[Assessment]:
    return (
        Assessment.objects.for_org(membership.organisation)
        .select_related("round", "team", "enabler", "assessed_by")
        .order_by("-round__sequence", "team__key", "enabler__key", "id")
    )


@assessments_router.get(
    ORG + "/assessments", response=responses({200: AssessmentPage}), summary="List assessments"
)
def assessment_list(
    request: HttpRequest, org: str, query: Query[AssessmentQuery]
) -> dict[str, Any]:
    """Newest round first, then by team and enabler; filter by round, team or enabler key."""
    assessments = _assessments(member(request, org))
    if query.round:
        assessments = assessments.filter(round__key=query.round)
    if query.team:
        assessments = assessments.filter(team__key=query.team)
    if query.enabler:
        assessments = assessments.filter(enabler__key=query.enabler)
    return page_of(assessments, query, assessment_out)


@assessments_router.get(
    ORG + "/assessments/{int:assessment_id}",
    response=responses({200: AssessmentOut}),
    summary="An assessment",
)
def assessment_get(request: HttpRequest, org: str, assessment_id: int) -> dict[str, Any]:
    membership = member(request, org)
    return assessment_out(
        get_object_for_user(membership, _assessments(membership), pk=assessment_id)
    )


def _named(model: Any, membership: Membership, key: str, field: str, what: str) -> Any:
    """An item named by key in the body, or a 422 that says which field is wrong."""
    found = model.objects.for_org(membership.organisation).filter(key=key).first()
    if found is None:
        raise Invalid([{"loc": ["body", field], "msg": f"No {what} has this key."}])
    return found


@assessments_router.post(
    ORG + "/assessments",
    response=responses({200: AssessmentOut, 201: AssessmentOut}),
    summary="Record an assessment",
    description="Record (201) or change (200) one team's view of one enabler in the open "
    "round. A closed round: 409. An enabler the team does not use: 422.",
)
def assessment_save(request: HttpRequest, org: str, payload: AssessmentIn) -> Status[Any]:
    membership = member(request, org)
    assessment_round = _named(AssessmentRound, membership, payload.round, "round", "round")
    team = _named(Team, membership, payload.team, "team", "team")
    require(membership, "assessment.edit", team)
    enabler = _named(Enabler, membership, payload.enabler, "enabler", "enabler")
    if not assessment_round.is_open:
        raise Conflict(f"{ROUND_CLOSED} Nothing was saved.")
    form = AssessmentForm(_form_data(payload.dict(include={"fit", "pace", "preferred", "comment"})))
    if not form.is_valid():
        raise_form_errors(form)
    existed = (
        Assessment.objects.for_org(membership.organisation)
        .filter(round=assessment_round, team=team, enabler=enabler)
        .exists()
    )
    try:
        saved = services.assessment_save(
            assessment_round=assessment_round,
            team=team,
            enabler=enabler,
            fit=form.cleaned_data["fit"],
            pace=form.cleaned_data["pace"],
            preferred=form.cleaned_data["preferred"],
            comment=form.cleaned_data["comment"],
            actor=request.user,
        )
    except services.RoundError as error:
        assessment_round.refresh_from_db(fields=["status"])
        if not assessment_round.is_open:  # closed a moment ago
            raise Conflict(f"{error} Nothing was saved.") from error
        raise Invalid([{"loc": ["body", "enabler"], "msg": str(error)}]) from error
    assessment = get_object_for_user(membership, _assessments(membership), pk=saved.pk)
    return Status(200 if existed else 201, assessment_out(assessment))


# --- decisions ------------------------------------------------------------------------------


class ChangeOut(Schema):
    enabler: str
    from_classification: ClassificationValue
    to_classification: ClassificationValue


class DecisionOut(Schema):
    number: int
    reference: str = Field(description="DEC-001 and so on.")
    key: str
    title: str
    status: DecisionStatusValue
    context: str
    options: str
    decision: str
    consequences: str
    enablers: list[str] = Field(description="Keys of the enablers it affects.")
    changes: list[ChangeOut] = Field(description="Classification changes applied on acceptance.")
    flags: list[str] = Field(description="Keys of the bottleneck flags that motivated it.")
    report: int | None = Field(description="The id of the balance report that motivated it.")
    supersedes: int | None = Field(description="The number of the decision it replaces.")
    superseded_by: list[int] = Field(description="Numbers of the decisions that replace it.")
    merge_into: str | None
    merge_from: list[str]
    proposed_by: str | None
    decided_by: str | None
    decided_on: date | None
    review_on: date | None
    created_at: datetime
    version: int = Field(
        description="Goes up by one with each change (an edit, accepting, rejecting, being "
        "superseded); send it back to refuse acting on an older copy."
    )
    url: str


class DecisionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DecisionOut]


class DecisionQuery(PageQuery):
    q: Search | None = Field(None, description="Words in the title, context or decision.")
    status: DecisionStatusValue | None = None
    area: Key | None = Field(None, description="On enablers used by an offering in this area.")
    enabler: Key | None = None
    review_due: bool | None = Field(
        None, description="true: accepted decisions whose review date has come."
    )


class ChangeIn(Strict):
    enabler: Key = Field(description="A proposed or active enabler.")
    to: ClassificationValue


class DecisionIn(Strict):
    title: Line
    context: LongText = ""
    options: LongText = ""
    decision: LongText = ""
    consequences: LongText = ""
    review_on: date | None = None
    enablers: list[Key] = Field(default_factory=list, max_length=200)
    changes: list[ChangeIn] = Field(
        default_factory=list, max_length=CHANGE_ROWS, description=f"At most {CHANGE_ROWS}."
    )
    flags: list[Key] = Field(default_factory=list, max_length=200)
    report: Id | None = None
    supersedes: Number | None = Field(
        None, description="The number of a proposed or accepted decision this one replaces."
    )
    merge_into: Key | None = None
    merge_from: list[Key] = Field(default_factory=list, max_length=200)


class DecisionPatch(Strict):
    title: Line | None = None
    context: LongText | None = None
    options: LongText | None = None
    decision: LongText | None = None
    consequences: LongText | None = None
    review_on: date | None = None
    enablers: list[Key] | None = Field(None, max_length=200)
    changes: list[ChangeIn] | None = Field(
        None, max_length=CHANGE_ROWS, description="When given, replaces all the changes."
    )
    flags: list[Key] | None = Field(None, max_length=200)
    report: Id | None = None
    supersedes: Number | None = None
    merge_into: Key | None = None
    merge_from: list[Key] | None = Field(None, max_length=200)
    version: int | None = _version_in("decision")


class DecideIn(Strict):
    version: int | None = _version_in("decision")


def decision_out(decision: Decision) -> dict[str, Any]:
    return {
        "number": decision.number,
        "reference": decision.reference,
        "key": decision.key,
        "title": decision.title,
        "status": decision.status,
        "context": decision.context,
        "options": decision.options,
        "decision": decision.decision,
        "consequences": decision.consequences,
        "enablers": sorted(e.key for e in decision.enablers.all()),
        "changes": [
            {
                "enabler": c.enabler.key,
                "from_classification": c.from_classification,
                "to_classification": c.to_classification,
            }
            for c in decision.changes.all()
        ],
        "flags": sorted(f.key for f in decision.flags.all()),
        "report": decision.report_id,
        "supersedes": decision.supersedes.number if decision.supersedes else None,
        "superseded_by": sorted(d.number for d in decision.superseded_by.all()),
        "merge_into": _key(decision.merge_into),
        "merge_from": sorted(e.key for e in decision.merge_from.all()),
        "proposed_by": _username(decision.proposed_by),
        "decided_by": _username(decision.decided_by),
        "decided_on": decision.decided_on,
        "review_on": decision.review_on,
        "created_at": decision.created_at,
        "version": decision.version,
        "url": decision.get_absolute_url(),
    }


def _decisions(membership: Membership) -> QuerySet[Decision]:
    organisation = membership.organisation
    changes = (
        DecisionChange.objects.for_org(organisation)
        .select_related("enabler")
        .order_by("position", "id")
    )
    return (
        Decision.objects.for_org(organisation)
        .select_related("supersedes", "merge_into", "proposed_by", "decided_by")
        .prefetch_related(
            "enablers",
            "flags",
            "merge_from",
            "superseded_by",
            Prefetch("changes", queryset=changes),
        )
        .order_by("-number")
    )


def _get_decision(membership: Membership, number: int, need: str = "org.view") -> Decision:
    return get_object_for_user(membership, _decisions(membership), need=need, number=number)


def _current_decision(decision: Decision) -> dict[str, Any]:
    """A stored decision in the API's terms, for a PATCH to change only what it sends."""
    return {
        **{
            name: getattr(decision, name)
            for name in ("title", "context", "options", "decision", "consequences", "review_on")
        },
        "enablers": [e.key for e in decision.enablers.all()],
        "changes": [
            {"enabler": c.enabler.key, "to": c.to_classification} for c in decision.changes.all()
        ],
        "flags": [f.key for f in decision.flags.all()],
        "report": decision.report_id,
        "supersedes": decision.supersedes.number if decision.supersedes else None,
        "merge_into": _key(decision.merge_into),
        "merge_from": [e.key for e in decision.merge_from.all()],
    }


LISTS = ("enablers", "flags", "merge_from")


def _decision_form(
    membership: Membership, values: dict[str, Any], decision: Decision | None = None
) -> DecisionForm:
    """The page's decision form bound to API values: changes become its rows, and a
    superseded decision is chosen by number. 422 with each problem where it is."""
    changes = values.pop("changes", None) or []
    data = _form_data({name: value for name, value in values.items() if name not in LISTS})
    for name in LISTS:
        data[name] = list(values.get(name) or [])
    for row, change in enumerate(changes, start=1):
        data[f"enabler_{row}"] = change["enabler"]
        data[f"to_{row}"] = change["to"]
    form = DecisionForm(data, organisation=membership.organisation, decision=decision)
    form.fields["supersedes"].to_field_name = "number"  # type: ignore[attr-defined]
    valid = form.is_valid()
    errors = [] if valid else _decision_errors(form)
    if values.get("report") is not None and form.cleaned_data.get("report") is None:
        # The page drops an unknown report silently (it is a hidden field); say so here.
        errors.append({"loc": ["body", "report"], "msg": "No balance report has this id."})
    if errors:
        raise Invalid(errors)
    return form


def _decision_errors(form: forms.BaseForm) -> list[dict[str, Any]]:
    """The form's errors with the change rows named as ``changes[i].enabler`` / ``.to``."""
    errors: list[dict[str, Any]] = []
    for field, field_errors in form.errors.as_data().items():
        loc: list[str | int] = ["body"]
        name, _, row = field.rpartition("_")
        if name in ("enabler", "to") and row.isdigit():
            loc += ["changes", int(row) - 1, name]
        elif field != "__all__":
            loc.append(field)
        for error in field_errors:
            errors.append({"loc": loc, "msg": " ".join(error.messages)})
    return errors


@decisions_router.get(
    ORG + "/decisions", response=responses({200: DecisionPage}), summary="List decisions"
)
def decision_list(request: HttpRequest, org: str, query: Query[DecisionQuery]) -> dict[str, Any]:
    """The decision register, filtered as on the Decisions page, newest first."""
    membership = member(request, org)
    data = {
        name: value
        for name, value in query.dict(exclude={"limit", "offset"}).items()
        if value is not None
    }
    filterset = selectors.DecisionFilter(
        data, queryset=_decisions(membership), organisation=membership.organisation
    )
    if not filterset.is_valid():
        raise _query_errors(filterset.errors)
    return page_of(filterset.qs, query, decision_out)


@decisions_router.post(
    ORG + "/decisions", response=responses({201: DecisionOut}), summary="Propose a decision"
)
def decision_propose(request: HttpRequest, org: str, payload: DecisionIn) -> Status[Any]:
    """Numbered after the organisation's highest (DEC-001, …); enabler owners and up."""
    membership = member(request, org, "decision.propose")
    form = _decision_form(membership, payload.dict())
    assert form.draft is not None
    try:
        decision = services.decision_propose(
            organisation=membership.organisation, draft=form.draft, actor=request.user
        )
    except services.DecisionError as error:
        raise Invalid([{"loc": ["body"], "msg": str(error)}], str(error)) from error
    return Status(201, decision_out(_get_decision(membership, decision.number)))


@decisions_router.get(
    ORG + "/decisions/{int:number}", response=responses({200: DecisionOut}), summary="A decision"
)
def decision_get(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """A decision by its number: 1 for DEC-001."""
    membership = member(request, org)
    return decision_out(_get_decision(membership, number))


def _closed(decision: Decision) -> Conflict:
    return Conflict(
        f"{decision.reference} is {decision.status}: its text can no longer be changed. "
        "Propose a new decision that supersedes it."
    )


@decisions_router.patch(
    ORG + "/decisions/{int:number}",
    response=responses({200: DecisionOut}),
    summary="Change a proposed decision",
)
def decision_update(
    request: HttpRequest, org: str, number: int, payload: DecisionPatch
) -> dict[str, Any]:
    """Change the fields given while it is proposed; once decided: 409. Send ``version`` to
    refuse lost updates."""
    membership = member(request, org)
    decision = _get_decision(membership, number, need="decision.propose")
    changes = payload.dict(exclude_unset=True)
    base_version = changes.pop("version", None)
    if base_version is not None and base_version != decision.version:
        stale = services.StaleItem(current=decision, base_version=base_version)
        raise _stale(stale, decision.reference)
    if not decision.is_open:
        raise _closed(decision)
    current = _current_decision(decision)
    if "changes" not in changes and len(current["changes"]) > CHANGE_ROWS:
        raise Invalid(
            [
                {
                    "loc": ["body", "changes"],
                    "msg": f"{decision.reference} has {len(current['changes'])} classification "
                    f"changes and a decision is edited with at most {CHANGE_ROWS}: send "
                    "``changes`` to replace them.",
                }
            ]
        )
    form = _decision_form(membership, {**current, **changes}, decision)
    assert form.draft is not None
    try:
        services.decision_update(
            decision=decision, draft=form.draft, actor=request.user, base_version=base_version
        )
    except services.StaleItem as stale:
        raise _stale(stale, decision.reference) from stale
    except services.DecisionError as error:
        decision.refresh_from_db(fields=["status"])
        if not decision.is_open:  # decided a moment ago
            raise _closed(decision) from error
        raise Invalid([{"loc": ["body"], "msg": str(error)}], str(error)) from error
    return decision_out(_get_decision(membership, number))


def _decide(
    request: HttpRequest, org: str, number: int, accept: bool, payload: DecideIn | None
) -> dict[str, Any]:
    membership = member(request, org, "decision.decide")
    decision = _get_decision(membership, number, need="decision.decide")
    decide = services.decision_accept if accept else services.decision_reject
    try:
        decide(
            decision=decision,
            actor=request.user,
            base_version=payload.version if payload else None,
        )
    except services.StaleItem as stale:
        raise _stale(stale, decision.reference) from stale
    except services.DecisionError as error:
        raise Conflict(str(error)) from error
    return decision_out(_get_decision(membership, number))


DECIDE_DOC = (
    " The body is optional: send the ``version`` you read to be refused (409) if someone "
    "changed the decision since."
)


@decisions_router.post(
    ORG + "/decisions/{int:number}/accept",
    response=responses({200: DecisionOut}),
    summary="Accept a decision",
    description="Leadership. Applies its classification changes, its merge and what it "
    "supersedes, all at once; 409 (nothing changed) when it is not proposed or an "
    "enabler's classification no longer matches a change's starting point." + DECIDE_DOC,
)
def decision_accept(
    request: HttpRequest, org: str, number: int, payload: DecideIn | None = None
) -> dict[str, Any]:
    return _decide(request, org, number, True, payload)


@decisions_router.post(
    ORG + "/decisions/{int:number}/reject",
    response=responses({200: DecisionOut}),
    summary="Reject a decision",
    description="Leadership. Nothing it proposes is applied; 409 when it is not proposed."
    + DECIDE_DOC,
)
def decision_reject(
    request: HttpRequest, org: str, number: int, payload: DecideIn | None = None
) -> dict[str, Any]:
    return _decide(request, org, number, False, payload)


# --- balance reports ------------------------------------------------------------------------


class ReportHeadOut(Schema):
    id: int
    status: ReportStatusValue
    requested_at: datetime
    computed_at: datetime | None
    reason: str
    generation: int | None = Field(description="The organisation's generation it covers.")
    balance_score: int | None
    open_flags: int | None
    model_in_force: str = Field(description="group, track or stage; empty when not known.")
    inferred_model: str = Field(description="group, track or stage; empty when not known.")
    url: str


class ReportPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ReportHeadOut]


class ReportOut(ReportHeadOut):
    started_at: datetime | None
    method_version: int | None
    thresholds: dict[str, Any]
    result: dict[str, Any] = Field(
        description="Everything the report page shows, as stored; empty until it is ready."
    )
    error: str


class ReportQuery(PageQuery):
    status: ReportStatusValue | None = None


class RecomputeOut(Schema):
    id: int = Field(description="The report that will hold the result.")
    status: ReportStatusValue
    url: str


def _report_url(report: BalanceReport, slug: str) -> str:
    return reverse("assessments:report", args=[slug, report.pk])


def report_head_out(report: BalanceReport, slug: str) -> dict[str, Any]:
    return {
        "id": report.pk,
        "status": report.status,
        "requested_at": report.requested_at,
        "computed_at": report.computed_at,
        "reason": report.reason,
        "generation": report.generation,
        "balance_score": report.balance_score,
        "open_flags": report.open_flags,
        "model_in_force": report.model_in_force,
        "inferred_model": report.inferred_model,
        "url": _report_url(report, slug),
    }


def report_out(report: BalanceReport, slug: str) -> dict[str, Any]:
    return {
        **report_head_out(report, slug),
        "started_at": report.started_at,
        "method_version": report.method_version,
        "thresholds": report.thresholds or {},
        "result": report.result or {},
        "error": report.error,
    }


@reports_router.get(
    ORG + "/reports", response=responses({200: ReportPage}), summary="List balance reports"
)
def report_list(request: HttpRequest, org: str, query: Query[ReportQuery]) -> dict[str, Any]:
    """The history, newest first, headline figures only (GET one report for its result)."""
    membership = member(request, org)
    slug = membership.organisation.slug
    reports = (
        BalanceReport.objects.for_org(membership.organisation)
        .only(*selectors.HEADLINE)
        .order_by("-requested_at", "-id")
    )
    if query.status:
        reports = reports.filter(status=query.status)
    return page_of(reports, query, lambda r: report_head_out(r, slug))


@reports_router.get(
    ORG + "/reports/latest",
    response=responses({200: ReportOut}),
    summary="The latest balance report",
)
def report_latest(request: HttpRequest, org: str) -> dict[str, Any]:
    """The latest ready report with its whole result; 404 while there is none yet."""
    membership = member(request, org)
    report = selectors.latest_ready_report(organisation=membership.organisation)
    if report is None:
        raise HttpError(
            404,
            "No balance report is ready yet. One is computed after the first change; "
            "leadership can ask for one with POST …/reports/recompute.",
        )
    return report_out(report, membership.organisation.slug)


@reports_router.get(
    ORG + "/reports/{int:report_id}",
    response=responses({200: ReportOut}),
    summary="A balance report",
)
def report_get(request: HttpRequest, org: str, report_id: int) -> dict[str, Any]:
    membership = member(request, org)
    report = get_object_for_user(membership, BalanceReport.objects.all(), pk=report_id)
    return report_out(report, membership.organisation.slug)


@reports_router.post(
    ORG + "/reports/recompute",
    response=responses({202: RecomputeOut}),
    summary="Ask for a fresh balance report",
    description="Leadership, as the button on the Balance page. The report is computed in "
    "the background: poll GET …/reports/{id} until its status is ready (or failed).",
)
def report_recompute(request: HttpRequest, org: str) -> Status[Any]:
    membership = member(request, org, "report.recompute")
    organisation = membership.organisation
    with transaction.atomic():
        services.report_ask(organisation=organisation, actor=request.user)
        # The pending report the recompute will fill: a new one, or the one already waiting
        # (the change above then coalesces into it).
        report = services.report_request(
            organisation=organisation, requested_by=request.user, reason="Asked for"
        ) or selectors.report_in_progress(organisation=organisation)
    if report is None:  # the one waiting was computed in the meantime
        report = (
            BalanceReport.objects.for_org(organisation).order_by("-requested_at", "-id").first()
        )
    else:
        report.refresh_from_db(fields=["status"])  # an eager task may have run it already
    assert report is not None  # one was waiting, or one was made above
    return Status(
        202,
        {"id": report.pk, "status": report.status, "url": _report_url(report, organisation.slug)},
    )

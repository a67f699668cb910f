"""The catalogue in the API: enablers, usages, offerings, teams and journeys.

Each write goes through the same form as its page (so the same rules, messages and
choices apply) and the same service; each operation asks the access module first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from . import selectors, services
from .access import get_keyed_for_user, get_object_for_user, require
from .api_base import (
    Conflict,
    Invalid,
    Key,
    Line,
    PageQuery,
    Strict,
    Tag,
    Text,
    member,
    page_of,
    raise_form_errors,
    responses,
)
from .forms import EnablerForm, JourneyForm, KeyedForm, OfferingForm, TeamForm, UsageForm
from .models import (
    BusinessArea,
    Classification,
    Criticality,
    Enabler,
    EnablerKind,
    EnablerUsage,
    Journey,
    JourneyStep,
    Keyed,
    Lifecycle,
    Membership,
    Offering,
    OfferingKind,
    Team,
    TeamKind,
    Touchpoint,
)

router = Router(tags=["catalogue"])

ORG = "/o/{org}"

EnablerKindValue = Literal["internal_service", "platform", "capability", "data", "skillset"]
ClassificationValue = Literal["repeatable", "common", "independent"]
LifecycleValue = Literal["proposed", "active", "deprecated", "retired"]
CriticalityValue = Literal["low", "medium", "high"]
TeamKindValue = Literal["delivery", "platform", "enabling", "leadership"]
OfferingKindValue = Literal["product", "service"]

assert set(EnablerKindValue.__args__) == set(EnablerKind.values)  # type: ignore[attr-defined]
assert set(ClassificationValue.__args__) == set(Classification.values)  # type: ignore[attr-defined]
assert set(LifecycleValue.__args__) == set(Lifecycle.values)  # type: ignore[attr-defined]
assert set(CriticalityValue.__args__) == set(Criticality.values)  # type: ignore[attr-defined]
assert set(TeamKindValue.__args__) == set(TeamKind.values)  # type: ignore[attr-defined]
assert set(OfferingKindValue.__args__) == set(OfferingKind.values)  # type: ignore[attr-defined]


# --- who is asking --------------------------------------------------------------------------


class OrganisationOut(Schema):
    slug: str
    name: str
    declared_model: str | None = Field(description="group, track, stage, or null")


class MeOut(Schema):
    username: str
    role: str
    organisation: OrganisationOut
    teams: list[str] = Field(description="Keys of the teams you are in.")


@router.get(ORG + "/me", response=responses({200: MeOut}), summary="Who the token acts as")
def me(request: HttpRequest, org: str) -> dict[str, Any]:
    membership = member(request, org)
    organisation = membership.organisation
    teams = Team.objects.for_org(organisation).filter(team_memberships__membership=membership)
    return {
        "username": membership.user.get_username(),
        "role": membership.role,
        "organisation": {
            "slug": organisation.slug,
            "name": organisation.name,
            "declared_model": organisation.delivery_model or None,
        },
        "teams": sorted(teams.values_list("key", flat=True)),
    }


# --- shared by the keyed kinds --------------------------------------------------------------


def _form_data(values: dict[str, Any]) -> dict[str, Any]:
    """API values as a form posts them: None as empty, lists of tags joined."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            data[name] = ""
        elif name == "tags" and isinstance(value, list):
            data[name] = ", ".join(value)
        else:
            data[name] = value
    return data


def _current(item: Keyed, form_class: type[KeyedForm]) -> dict[str, Any]:
    """The stored values of ``item`` in the API's terms (related items by key)."""
    values: dict[str, Any] = {}
    for name in form_class.Meta.fields:  # type: ignore[attr-defined]
        field = item._meta.get_field(name)
        if field.is_relation:
            related = getattr(item, name)
            values[name] = related.key if related is not None else None
        else:
            values[name] = getattr(item, name)
    return values


def _bind(
    form_class: type[KeyedForm],
    membership: Membership,
    values: dict[str, Any],
    instance: Keyed | None = None,
) -> KeyedForm:
    """The page's form, bound to API values, choosing related items by key."""
    form = form_class(
        _form_data(values),
        instance=instance,
        organisation=membership.organisation,
        membership=membership,
    )
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.to_field_name = "key"
    if not form.is_valid():
        raise_form_errors(form)
    return form


def _save(
    form: KeyedForm, request: HttpRequest, *, created: bool, base_version: int | None = None
) -> Keyed:
    try:
        return services.item_save(
            item=form.save(commit=False),
            actor=request.user,
            created=created,
            base_version=base_version,
        )
    except services.StaleItem as stale:
        raise stale_conflict(stale) from stale
    except IntegrityError as error:  # a key or name taken between the check and the write
        raise Conflict("A key or name is already in use; nothing was saved.") from error


def stale_conflict(stale: services.StaleItem, thing: str = "") -> Conflict:
    """409 for a change based on an older version: which version it is now, and what to do."""
    thing = thing or f"The {stale.current._meta.verbose_name}"
    return Conflict(
        f"{thing} changed since version {stale.base_version}: it is now version "
        f"{stale.current.version}. Nothing was saved: read it again, then send your change.",
        current_version=stale.current.version,
    )


def version_field(kind: str) -> Any:
    """The optional ``version`` of a PATCH body, documented the same for every kind."""
    return Field(
        None,
        ge=1,
        le=2**31 - 1,
        description=f"The version you read. If the {kind} changed since, nothing is saved "
        "(409, naming the version it is now). Left out: the change is not checked.",
    )


VERSION_OUT = "Goes up by one with each change; send it back with a PATCH to refuse lost updates."


def _delete(membership: Membership, model: type[Keyed], key: str, request: HttpRequest) -> None:
    item = get_keyed_for_user(membership, model, key, need="catalogue.delete")
    references = selectors.references_to(item=item)
    if references:
        used = "; ".join(f"{r.label}: {len(r.items)}" for r in references)
        raise Conflict(f"“{item.name}” is still referred to, so it was not deleted ({used}).")
    services.item_delete(item=item, actor=request.user)


def _key(item: Any) -> str | None:
    return item.key if item is not None else None


# --- enablers -------------------------------------------------------------------------------


class EnablerOut(Schema):
    key: str
    name: str
    kind: EnablerKindValue
    capability: str
    classification: ClassificationValue
    lifecycle: LifecycleValue
    owner_team: str | None = Field(description="The owning team's key.")
    description: str
    tags: list[str]
    version: int = Field(description="Goes up by one with each change; send it back to PATCH.")
    usages: int = Field(description="How many offerings use it.")
    url: str
    created_at: datetime
    updated_at: datetime


class EnablerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EnablerOut]


class EnablerIn(Strict):
    name: Line
    key: Key | None = Field(None, description="Made from the name when left out.")
    kind: EnablerKindValue
    capability: Line = ""
    classification: ClassificationValue = "independent"
    lifecycle: LifecycleValue = Field(
        "active", description="Team members' new enablers are always proposed."
    )
    owner_team: Key | None = None
    description: Text = ""
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class EnablerPatch(Strict):
    name: Line | None = None
    key: Key | None = None
    kind: EnablerKindValue | None = None
    capability: Line | None = None
    classification: ClassificationValue | None = None
    lifecycle: LifecycleValue | None = None
    owner_team: Key | None = None
    description: Text | None = None
    tags: list[Tag] | None = Field(None, max_length=20)
    version: int | None = Field(
        None,
        ge=1,
        le=2**31,
        description="The version you read. If the enabler changed since, nothing is saved (409).",
    )


class EnablerQuery(PageQuery):
    q: Line | None = Field(None, description="Name, key, capability, tag or text.")
    kind: EnablerKindValue | None = None
    classification: ClassificationValue | None = None
    lifecycle: LifecycleValue | None = None
    owner_team: Key | None = Field(None, description="Owning team's key.")
    area: Key | None = Field(None, description="Used by an offering in this business area (key).")


def enabler_out(enabler: Enabler) -> dict[str, Any]:
    return {
        "key": enabler.key,
        "name": enabler.name,
        "kind": enabler.kind,
        "capability": enabler.capability,
        "classification": enabler.classification,
        "lifecycle": enabler.lifecycle,
        "owner_team": _key(enabler.owner_team),
        "description": enabler.description,
        "tags": list(enabler.tags or []),
        "version": enabler.version,
        "usages": (
            enabler.usage_count  # type: ignore[attr-defined]
            if hasattr(enabler, "usage_count")
            else enabler.usages.count()
        ),
        "url": enabler.get_absolute_url(),
        "created_at": enabler.created_at,
        "updated_at": enabler.updated_at,
    }


def _enablers(membership: Membership) -> QuerySet[Enabler]:
    return selectors.enablers_for_list(organisation=membership.organisation).order_by("key")


@router.get(ORG + "/enablers", response=responses({200: EnablerPage}), summary="List enablers")
def enabler_list(request: HttpRequest, org: str, query: Query[EnablerQuery]) -> dict[str, Any]:
    """The enablers, filtered as on the Enablers page, in key order."""
    membership = member(request, org)
    organisation = membership.organisation
    data = {
        name: value
        for name, value in query.dict(exclude={"limit", "offset"}).items()
        if value is not None
    }
    filterset = selectors.EnablerFilter(
        data, queryset=_enablers(membership), organisation=organisation
    )
    if not filterset.is_valid():  # a team or area key that is not in the organisation
        raise Invalid(
            [
                {"loc": ["query", name], "msg": " ".join(errors)}
                for name, errors in filterset.errors.items()
            ]
        )
    return page_of(filterset.qs, query, enabler_out)


@router.post(ORG + "/enablers", response=responses({201: EnablerOut}), summary="Log an enabler")
def enabler_create(request: HttpRequest, org: str, payload: EnablerIn) -> Status[Any]:
    membership = member(request, org, "enabler.create")
    values = payload.dict()
    values["key"] = values["key"] or ""
    form = _bind(EnablerForm, membership, values)
    try:
        enabler = services.enabler_create(
            enabler=form.save(commit=False), actor=request.user, membership=membership
        )
    except IntegrityError as error:
        raise Conflict("A key or name is already in use; nothing was saved.") from error
    return Status(201, enabler_out(enabler))


@router.get(ORG + "/enablers/{key}", response=responses({200: EnablerOut}), summary="An enabler")
def enabler_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    membership = member(request, org)
    return enabler_out(get_object_for_user(membership, _enablers(membership), key=key))


@router.patch(
    ORG + "/enablers/{key}", response=responses({200: EnablerOut}), summary="Change an enabler"
)
def enabler_update(
    request: HttpRequest, org: str, key: str, payload: EnablerPatch
) -> dict[str, Any]:
    """Change the fields given; leave the others. Send ``version`` to refuse lost updates."""
    membership = member(request, org)
    enabler = get_object_for_user(membership, _enablers(membership), need="enabler.edit", key=key)
    changes = payload.dict(exclude_unset=True)
    base_version = changes.pop("version", None) or enabler.version
    values = {**_current(enabler, EnablerForm), **changes, "version": base_version}
    form = _bind(EnablerForm, membership, values, instance=enabler)
    names = EnablerForm.Meta.fields
    fields = {name: form.cleaned_data[name] for name in names if name in form.fields}
    try:
        updated = services.enabler_update(
            enabler=enabler, fields=fields, base_version=base_version, actor=request.user
        )
    except services.StaleVersion as stale:
        changed = ", ".join(label for label, _, _ in stale.changes) or "something"
        raise Conflict(
            f"The enabler changed since version {base_version} ({changed}); it is now version "
            f"{stale.current.version}. Nothing was saved: read it again, then send your change.",
            current_version=stale.current.version,
        ) from stale
    except IntegrityError as error:
        raise Conflict("A key or name is already in use; nothing was saved.") from error
    return enabler_out(get_object_for_user(membership, _enablers(membership), pk=updated.pk))


@router.delete(
    ORG + "/enablers/{key}", response=responses({204: None}), summary="Delete an enabler"
)
def enabler_delete(request: HttpRequest, org: str, key: str) -> Status[None]:
    _delete(member(request, org), Enabler, key, request)
    return Status(204, None)


# --- usages ---------------------------------------------------------------------------------


class UsageOut(Schema):
    id: int
    enabler: str
    offering: str
    criticality: CriticalityValue
    created_at: datetime


class UsagePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[UsageOut]


class UsageIn(Strict):
    enabler: Key
    offering: Key
    criticality: CriticalityValue = "medium"


class UsageQuery(PageQuery):
    enabler: Key | None = None
    offering: Key | None = None
    criticality: CriticalityValue | None = None


def usage_out(usage: EnablerUsage) -> dict[str, Any]:
    return {
        "id": usage.pk,
        "enabler": usage.enabler.key,
        "offering": usage.offering.key,
        "criticality": usage.criticality,
        "created_at": usage.created_at,
    }


def _usages(membership: Membership) -> QuerySet[EnablerUsage]:
    return (
        EnablerUsage.objects.for_org(membership.organisation)
        .select_related("enabler", "offering")
        .order_by("enabler__key", "offering__key")
    )


@router.get(ORG + "/usages", response=responses({200: UsagePage}), summary="List usages")
def usage_list(request: HttpRequest, org: str, query: Query[UsageQuery]) -> dict[str, Any]:
    """Which offerings use which enablers; filter by enabler, offering or criticality."""
    usages = _usages(member(request, org))
    if query.enabler:
        usages = usages.filter(enabler__key=query.enabler)
    if query.offering:
        usages = usages.filter(offering__key=query.offering)
    if query.criticality:
        usages = usages.filter(criticality=query.criticality)
    return page_of(usages, query, usage_out)


@router.get(ORG + "/usages/{int:usage_id}", response=responses({200: UsageOut}), summary="A usage")
def usage_get(request: HttpRequest, org: str, usage_id: int) -> dict[str, Any]:
    membership = member(request, org)
    return usage_out(get_object_for_user(membership, _usages(membership), pk=usage_id))


@router.post(
    ORG + "/usages",
    response=responses({200: UsageOut, 201: UsageOut}),
    summary="Record that an offering uses an enabler",
)
def usage_create(request: HttpRequest, org: str, payload: UsageIn) -> Status[Any]:
    """201 for a new usage; 200 when the pair existed and its criticality was set."""
    membership = member(request, org, "usage.add")
    organisation = membership.organisation
    offering = Offering.objects.for_org(organisation).filter(key=payload.offering).first()
    if offering is None:
        raise Invalid([{"loc": ["body", "offering"], "msg": "No offering has this key."}])
    require(membership, "usage.edit", offering)
    form = UsageForm(
        {"enabler": payload.enabler, "criticality": payload.criticality},
        organisation=organisation,
        membership=membership,
        pick="enabler",
    )
    form.fields["enabler"].to_field_name = "key"  # type: ignore[attr-defined]
    if not form.is_valid():
        raise_form_errors(form)
    enabler = form.cleaned_data["enabler"]
    existed = _usages(membership).filter(enabler=enabler, offering=offering).exists()
    usage = services.usage_add(
        enabler=enabler, offering=offering, criticality=payload.criticality, actor=request.user
    )
    return Status(200 if existed else 201, usage_out(usage))


@router.delete(
    ORG + "/usages/{int:usage_id}", response=responses({204: None}), summary="Remove a usage"
)
def usage_delete(request: HttpRequest, org: str, usage_id: int) -> Status[None]:
    membership = member(request, org)
    usage = get_object_for_user(membership, _usages(membership), pk=usage_id)
    require(membership, "usage.edit", usage.offering)
    services.usage_remove(usage=usage, actor=request.user)
    return Status(204, None)


# --- teams ----------------------------------------------------------------------------------


class TeamOut(Schema):
    key: str
    name: str
    kind: TeamKindValue
    business_area: str | None
    description: str
    members: int
    url: str


class TeamPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[TeamOut]


class TeamIn(Strict):
    name: Line
    key: Key | None = None
    kind: TeamKindValue = "delivery"
    business_area: Key | None = None
    description: Text = ""


class TeamPatch(Strict):
    name: Line | None = None
    key: Key | None = None
    kind: TeamKindValue | None = None
    business_area: Key | None = None
    description: Text | None = None


class TeamQuery(PageQuery):
    kind: TeamKindValue | None = None
    business_area: Key | None = None


def team_out(team: Team) -> dict[str, Any]:
    return {
        "key": team.key,
        "name": team.name,
        "kind": team.kind,
        "business_area": _key(team.business_area),
        "description": team.description,
        "members": getattr(team, "member_count", 0),
        "url": team.get_absolute_url(),
    }


def _teams(membership: Membership) -> QuerySet[Team]:
    return (
        Team.objects.for_org(membership.organisation)
        .select_related("business_area")
        .annotate(member_count=Count("team_memberships"))
        .order_by("key")
    )


@router.get(ORG + "/teams", response=responses({200: TeamPage}), summary="List teams")
def team_list(request: HttpRequest, org: str, query: Query[TeamQuery]) -> dict[str, Any]:
    teams = _teams(member(request, org))
    if query.kind:
        teams = teams.filter(kind=query.kind)
    if query.business_area:
        teams = teams.filter(business_area__key=query.business_area)
    return page_of(teams, query, team_out)


@router.post(ORG + "/teams", response=responses({201: TeamOut}), summary="Add a team")
def team_create(request: HttpRequest, org: str, payload: TeamIn) -> Status[Any]:
    membership = member(request, org, "structure.edit")
    values = payload.dict()
    values["key"] = values["key"] or ""
    team = _save(_bind(TeamForm, membership, values), request, created=True)
    return Status(201, team_out(_teams(membership).get(pk=team.pk)))


@router.get(ORG + "/teams/{key}", response=responses({200: TeamOut}), summary="A team")
def team_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    membership = member(request, org)
    return team_out(get_object_for_user(membership, _teams(membership), key=key))


@router.patch(ORG + "/teams/{key}", response=responses({200: TeamOut}), summary="Change a team")
def team_update(request: HttpRequest, org: str, key: str, payload: TeamPatch) -> dict[str, Any]:
    membership = member(request, org)
    team = get_object_for_user(membership, _teams(membership), need="structure.edit", key=key)
    values = {**_current(team, TeamForm), **payload.dict(exclude_unset=True)}
    saved = _save(_bind(TeamForm, membership, values, instance=team), request, created=False)
    return team_out(_teams(membership).get(pk=saved.pk))


@router.delete(ORG + "/teams/{key}", response=responses({204: None}), summary="Delete a team")
def team_delete(request: HttpRequest, org: str, key: str) -> Status[None]:
    _delete(member(request, org), Team, key, request)
    return Status(204, None)


# --- offerings ------------------------------------------------------------------------------


class OfferingOut(Schema):
    key: str
    name: str
    kind: OfferingKindValue
    business_area: str | None
    team: str | None = Field(description="The owning team's key.")
    description: str
    version: int = Field(description=VERSION_OUT)
    url: str


class OfferingPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OfferingOut]


class OfferingIn(Strict):
    name: Line
    key: Key | None = None
    kind: OfferingKindValue = "service"
    business_area: Key | None = None
    team: Key | None = None
    description: Text = ""


class OfferingPatch(Strict):
    name: Line | None = None
    key: Key | None = None
    kind: OfferingKindValue | None = None
    business_area: Key | None = None
    team: Key | None = None
    description: Text | None = None
    version: int | None = version_field("offering")


class OfferingQuery(PageQuery):
    kind: OfferingKindValue | None = None
    business_area: Key | None = None
    team: Key | None = None


def offering_out(offering: Offering) -> dict[str, Any]:
    return {
        "key": offering.key,
        "name": offering.name,
        "kind": offering.kind,
        "business_area": _key(offering.business_area),
        "team": _key(offering.team),
        "description": offering.description,
        "version": offering.version,
        "url": offering.get_absolute_url(),
    }


def _offerings(membership: Membership) -> QuerySet[Offering]:
    return (
        Offering.objects.for_org(membership.organisation)
        .select_related("business_area", "team")
        .order_by("key")
    )


@router.get(ORG + "/offerings", response=responses({200: OfferingPage}), summary="List offerings")
def offering_list(request: HttpRequest, org: str, query: Query[OfferingQuery]) -> dict[str, Any]:
    offerings = _offerings(member(request, org))
    if query.kind:
        offerings = offerings.filter(kind=query.kind)
    if query.business_area:
        offerings = offerings.filter(business_area__key=query.business_area)
    if query.team:
        offerings = offerings.filter(team__key=query.team)
    return page_of(offerings, query, offering_out)


@router.post(ORG + "/offerings", response=responses({201: OfferingOut}), summary="Add an offering")
def offering_create(request: HttpRequest, org: str, payload: OfferingIn) -> Status[Any]:
    membership = member(request, org, "structure.edit")
    values = payload.dict()
    values["key"] = values["key"] or ""
    offering = _save(_bind(OfferingForm, membership, values), request, created=True)
    return Status(201, offering_out(_offerings(membership).get(pk=offering.pk)))


@router.get(ORG + "/offerings/{key}", response=responses({200: OfferingOut}), summary="An offering")
def offering_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    membership = member(request, org)
    return offering_out(get_object_for_user(membership, _offerings(membership), key=key))


@router.patch(
    ORG + "/offerings/{key}", response=responses({200: OfferingOut}), summary="Change an offering"
)
def offering_update(
    request: HttpRequest, org: str, key: str, payload: OfferingPatch
) -> dict[str, Any]:
    """Change the fields given; leave the others. Send ``version`` to refuse lost updates."""
    membership = member(request, org)
    offering = get_object_for_user(
        membership, _offerings(membership), need="offering.edit", key=key
    )
    changes = payload.dict(exclude_unset=True)
    base_version = changes.pop("version", None)
    values = {**_current(offering, OfferingForm), **changes}
    form = _bind(OfferingForm, membership, values, instance=offering)
    saved = _save(form, request, created=False, base_version=base_version)
    return offering_out(_offerings(membership).get(pk=saved.pk))


@router.delete(
    ORG + "/offerings/{key}", response=responses({204: None}), summary="Delete an offering"
)
def offering_delete(request: HttpRequest, org: str, key: str) -> Status[None]:
    _delete(member(request, org), Offering, key, request)
    return Status(204, None)


# --- journeys -------------------------------------------------------------------------------


class StepOut(Schema):
    position: int
    name: str
    offering: str
    touchpoints: list[str]


class JourneyOut(Schema):
    key: str
    name: str
    segment: str
    description: str
    steps: list[StepOut]
    version: int = Field(description=VERSION_OUT + " A change of its steps counts too.")
    url: str


class JourneyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[JourneyOut]


class StepIn(Strict):
    name: Line
    offering: Key
    touchpoints: list[Key] = Field(default_factory=list, max_length=50)


class JourneyIn(Strict):
    name: Line
    key: Key | None = None
    segment: Line = ""
    description: Text = ""
    steps: list[StepIn] = Field(default_factory=list, max_length=200)


class JourneyPatch(Strict):
    name: Line | None = None
    key: Key | None = None
    segment: Line | None = None
    description: Text | None = None
    steps: list[StepIn] | None = Field(
        None, max_length=200, description="When given, replaces all the journey's steps."
    )
    version: int | None = version_field("journey (its fields or steps)")


class JourneyQuery(PageQuery):
    segment: Line | None = None
    offering: Key | None = Field(None, description="Journeys with a step at this offering.")


def journey_out(journey: Journey) -> dict[str, Any]:
    return {
        "key": journey.key,
        "name": journey.name,
        "segment": journey.segment,
        "description": journey.description,
        "steps": [
            {
                "position": step.position,
                "name": step.name,
                "offering": step.offering.key,
                "touchpoints": [t.key for t in step.touchpoints.all()],
            }
            for step in journey.steps.all()
        ],
        "version": journey.version,
        "url": journey.get_absolute_url(),
    }


def _journeys(membership: Membership) -> QuerySet[Journey]:
    steps = (
        JourneyStep.objects.for_org(membership.organisation)
        .select_related("offering")
        .prefetch_related("touchpoints")
        .order_by("position")
    )
    return (
        Journey.objects.for_org(membership.organisation)
        .prefetch_related(Prefetch("steps", queryset=steps))
        .order_by("key")
    )


def _step_specs(membership: Membership, steps: list[StepIn]) -> list[services.StepSpec]:
    """Steps with their offerings and touchpoints found by key; every unknown key is named."""
    organisation = membership.organisation
    offerings = {
        o.key: o
        for o in Offering.objects.for_org(organisation).filter(key__in={s.offering for s in steps})
    }
    wanted = {t for s in steps for t in s.touchpoints}
    touchpoints = {
        t.key: t for t in Touchpoint.objects.for_org(organisation).filter(key__in=wanted)
    }
    errors: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        if step.offering not in offerings:
            errors.append(
                {"loc": ["body", "steps", i, "offering"], "msg": "No offering has this key."}
            )
        for j, key in enumerate(step.touchpoints):
            if key not in touchpoints:
                errors.append(
                    {
                        "loc": ["body", "steps", i, "touchpoints", j],
                        "msg": "No touchpoint has this key.",
                    }
                )
    if errors:
        raise Invalid(errors)
    return [
        services.StepSpec(
            name=s.name,
            offering=offerings[s.offering],
            touchpoints=tuple(touchpoints[k] for k in s.touchpoints),
        )
        for s in steps
    ]


@router.get(ORG + "/journeys", response=responses({200: JourneyPage}), summary="List journeys")
def journey_list(request: HttpRequest, org: str, query: Query[JourneyQuery]) -> dict[str, Any]:
    journeys = _journeys(member(request, org))
    if query.segment:
        journeys = journeys.filter(segment__iexact=query.segment)
    if query.offering:
        journeys = journeys.filter(steps__offering__key=query.offering).distinct()
    return page_of(journeys, query, journey_out)


@router.post(ORG + "/journeys", response=responses({201: JourneyOut}), summary="Add a journey")
def journey_create(request: HttpRequest, org: str, payload: JourneyIn) -> Status[Any]:
    membership = member(request, org, "structure.edit")
    values = payload.dict(exclude={"steps"})
    values["key"] = values["key"] or ""
    form = _bind(JourneyForm, membership, values)
    specs = _step_specs(membership, payload.steps)
    with transaction.atomic():
        journey = _save(form, request, created=True)
        if specs:  # a new journey with its steps is one change: version 1
            services.steps_replace(journey=journey, steps=specs, actor=request.user, bump=False)  # type: ignore[arg-type]
    return Status(201, journey_out(_journeys(membership).get(pk=journey.pk)))


@router.get(ORG + "/journeys/{key}", response=responses({200: JourneyOut}), summary="A journey")
def journey_get(request: HttpRequest, org: str, key: str) -> dict[str, Any]:
    membership = member(request, org)
    return journey_out(get_object_for_user(membership, _journeys(membership), key=key))


@router.patch(
    ORG + "/journeys/{key}", response=responses({200: JourneyOut}), summary="Change a journey"
)
def journey_update(
    request: HttpRequest, org: str, key: str, payload: JourneyPatch
) -> dict[str, Any]:
    """Change the fields given, and the steps when given (one change, one version). Send
    ``version`` to refuse lost updates."""
    membership = member(request, org)
    journey = get_object_for_user(membership, _journeys(membership), need="structure.edit", key=key)
    changes = payload.dict(exclude_unset=True, exclude={"steps"})
    base_version = changes.pop("version", None)
    form = _bind(JourneyForm, membership, {**_current(journey, JourneyForm), **changes}, journey)
    specs = _step_specs(membership, payload.steps) if payload.steps is not None else None
    if not changes and specs is None and base_version and base_version != journey.version:
        # Nothing to change, but the client's copy is out of date: say so, as a change would.
        raise stale_conflict(services.StaleItem(current=journey, base_version=base_version))
    with transaction.atomic():
        saved = (
            _save(form, request, created=False, base_version=base_version) if changes else journey
        )
        if specs is not None:
            try:
                services.steps_replace(
                    journey=saved,  # type: ignore[arg-type]
                    steps=specs,
                    actor=request.user,
                    base_version=None if changes else base_version,
                    bump=not changes,
                )
            except services.StaleItem as stale:
                raise stale_conflict(stale) from stale
    return journey_out(_journeys(membership).get(pk=saved.pk))


@router.delete(ORG + "/journeys/{key}", response=responses({204: None}), summary="Delete a journey")
def journey_delete(request: HttpRequest, org: str, key: str) -> Status[None]:
    _delete(member(request, org), Journey, key, request)
    return Status(204, None)


# Business areas are read by key in filters; listing them helps a client find those keys.
class AreaOut(Schema):
    key: str
    name: str
    description: str


@router.get(ORG + "/areas", response=responses({200: list[AreaOut]}), summary="List business areas")
def area_list(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    membership = member(request, org)
    areas = BusinessArea.objects.for_org(membership.organisation).order_by("key")
    return [{"key": a.key, "name": a.name, "description": a.description} for a in areas]

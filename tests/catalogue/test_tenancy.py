"""Tenancy fails closed: no organisation in scope, no query; no write across organisations.

The organisation-owned models are discovered, so a new model is checked as soon as it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Count, F, Max, Model
from django.urls import reverse

from catalogue import models as m
from catalogue import services
from catalogue.access import CrossOrganisationReference
from catalogue.tenancy import OrganisationScopeError, OrgScopedManager
from tests.conftest import Cast, client_for


def _has_organisation(model: type[Model]) -> bool:
    return any(field.name == "organisation" for field in model._meta.fields)


def _is_history(model: type[Model]) -> bool:
    # simple_history's HistoricalEnabler copies the organisation column; it is only ever
    # read through ``enabler.history`` (an instance in scope), never listed on its own.
    return model.__name__.startswith("Historical") and hasattr(model, "instance_type")


ORG_MODELS = [
    model
    for model in apps.get_models()
    if _has_organisation(model) and isinstance(model._default_manager, OrgScopedManager)
]
# Rows whose deletion nothing protects, so ``for_org(org).delete()`` can run on the cast.
LEAF_MODELS = [m.ChangeRecord, m.EnablerUsage, m.Invitation, m.JourneyStep, m.TeamMembership]


def label(model: type[Model]) -> str:
    return model._meta.label


def test_the_discovered_models_are_the_organisation_owned_ones() -> None:
    # Guards the discovery itself: an empty or partial list would make the tests below vacuous.
    assert {label(model) for model in ORG_MODELS} >= {
        "catalogue.Membership",
        "catalogue.BusinessArea",
        "catalogue.Team",
        "catalogue.TeamMembership",
        "catalogue.Offering",
        "catalogue.Touchpoint",
        "catalogue.Journey",
        "catalogue.JourneyStep",
        "catalogue.Enabler",
        "catalogue.EnablerUsage",
        "catalogue.Invitation",
        "catalogue.ChangeRecord",
    }


def test_every_model_with_an_organisation_fails_closed() -> None:
    unguarded = [
        label(model)
        for model in apps.get_models()
        if _has_organisation(model)
        and not _is_history(model)
        and not all(isinstance(manager, OrgScopedManager) for manager in model._meta.managers)
    ]
    assert unguarded == [], "organisation-owned models without OrgScopedManager"


# --- no organisation in scope: refused ------------------------------------------------------

Operation = Callable[[Any], Any]
UNSCOPED_OPERATIONS: dict[str, Operation] = {
    "list": lambda objects: list(objects.all()),
    "count": lambda objects: objects.count(),
    "exists": lambda objects: objects.exists(),
    "get": lambda objects: objects.get(pk=1),
    "first": lambda objects: objects.first(),
    "last": lambda objects: objects.last(),
    "index": lambda objects: objects.order_by("pk")[0],
    "update": lambda objects: objects.update(organisation_id=F("organisation_id")),
    "delete": lambda objects: objects.all().delete(),
    "aggregate": lambda objects: objects.aggregate(n=Count("pk")),
    "iterator": lambda objects: list(objects.iterator()),
    "values_list": lambda objects: list(objects.values_list("pk", flat=True)),
    "in_bulk": lambda objects: objects.in_bulk([1]),
    "bool": lambda objects: bool(objects.all()),
    # Filtering on anything but the organisation does not scope ...
    "filter_other_field": lambda objects: list(objects.filter(pk__gt=0)),
    # ... nor does excluding one organisation (that would list all the others).
    "exclude_organisation": lambda objects: list(objects.exclude(organisation_id=0)),
}


@pytest.mark.parametrize("operation", list(UNSCOPED_OPERATIONS))
@pytest.mark.parametrize("model", ORG_MODELS, ids=label)
def test_query_without_organisation_is_refused(
    db: None, model: type[Model], operation: str
) -> None:
    # Empty tables are enough: without the check each of these would return (or raise
    # DoesNotExist / IndexError) instead of raising OrganisationScopeError.
    with pytest.raises(OrganisationScopeError):
        UNSCOPED_OPERATIONS[operation](model._default_manager)


@pytest.mark.parametrize("model", ORG_MODELS, ids=label)
def test_for_org_none_is_refused(db: None, model: type[Model]) -> None:
    with pytest.raises(OrganisationScopeError):
        model._default_manager.for_org(None)


def test_a_users_own_relation_to_memberships_is_not_a_scope(cast: Cast) -> None:
    # A user belongs to several organisations: their memberships span them all.
    with pytest.raises(OrganisationScopeError):
        list(cast.admin.user.memberships.all())


# --- for_org(org): only that organisation's rows ---------------------------------------------


def _assessment_rows(world: Any) -> None:
    """One of each assessments model in the world's organisation."""
    from assessments import models as a

    org = world.org
    rnd = a.AssessmentRound.objects.create(organisation=org, key="q4", name="Q4")
    a.Assessment.objects.create(
        organisation=org, round=rnd, team=world.delivery, enabler=world.payments, fit=3, pace=0
    )
    flag = a.BottleneckFlag.objects.create(
        organisation=org, key="f-1", team=world.delivery, enabler=world.payments, summary="Slow"
    )
    a.FlagComment.objects.create(organisation=org, flag=flag, body="Same here")
    member = m.Membership.objects.for_org(org).select_related("user").first()
    a.Notification.objects.create(
        organisation=org, recipient=member.user, kind="flag_raised", text="Flagged", flag=flag
    )
    decision = a.Decision.objects.create(organisation=org, key="d-1", number=1, title="Decide")
    a.DecisionChange.objects.create(
        organisation=org,
        decision=decision,
        enabler=world.payments,
        from_classification="common",
        to_classification="repeatable",
    )
    a.BalanceReport.objects.create(organisation=org)


@pytest.fixture
def full(cast: Cast) -> Cast:
    """The cast with rows of every organisation-owned model in both organisations."""
    for world, admin in ((cast.world, cast.admin), (cast.other, cast.outsider)):
        services.invitation_create(
            organisation=world.org,
            email=f"invited@{world.org.slug}.example",
            role="viewer",
            teams=[world.delivery],
            invited_by=admin.user,
            accept_url_for=lambda token: "/",
        )
        services.record_change(organisation=world.org, actor=admin.user, summary="Something")
        services.token_create(membership=admin, name="Script", valid_days=None)
        m.AuditEvent.objects.create(
            organisation=world.org, user=admin.user, kind=m.AuditKind.ROLE_CHANGED
        )
        _assessment_rows(world)
    m.TeamMembership.objects.create(
        organisation=cast.other.org, team=cast.other.delivery, membership=cast.outsider
    )
    return cast


@pytest.mark.parametrize("model", ORG_MODELS, ids=label)
def test_for_org_returns_only_that_organisations_rows(full: Cast, model: type[Model]) -> None:
    acme, globex = full.world.org, full.other.org
    objects: Any = model._default_manager

    rows = list(objects.for_org(acme))
    theirs = list(objects.for_org(globex))

    assert rows, "the cast has rows of every kind in acme"
    assert {row.organisation_id for row in rows} == {acme.pk}
    assert {row.organisation_id for row in theirs} == {globex.pk}
    assert objects.unscoped().count() == len(rows) + len(theirs)


@pytest.mark.parametrize("model", ORG_MODELS, ids=label)
def test_every_operation_works_once_scoped(full: Cast, model: type[Model]) -> None:
    acme = full.world.org
    scoped: Any = model._default_manager.for_org(acme)
    first = scoped.order_by("pk").first()

    assert scoped.count() == len(list(scoped.iterator())) == scoped.aggregate(n=Count("pk"))["n"]
    assert scoped.exists()
    assert scoped.get(pk=first.pk) == first
    assert scoped.filter(pk=first.pk).update(organisation_id=F("organisation_id")) == 1
    assert set(scoped.in_bulk([first.pk])) == {first.pk}
    # Scoping survives chaining.
    assert (
        list(
            scoped.filter(pk__gte=first.pk)
            .exclude(pk=0)
            .order_by("-pk")
            .values_list("organisation_id", flat=True)
        )
        == [acme.pk] * scoped.count()
    )
    # A filter on the organisation itself is a scope too (Django's unique checks use it).
    assert model._default_manager.filter(organisation=acme).count() == scoped.count()


@pytest.mark.parametrize("model", LEAF_MODELS, ids=label)
def test_delete_for_org_leaves_the_other_organisation_alone(full: Cast, model: Any) -> None:
    before = model.objects.for_org(full.other.org).count()

    model.objects.for_org(full.world.org).delete()

    assert model.objects.for_org(full.world.org).count() == 0
    assert model.objects.for_org(full.other.org).count() == before > 0


# --- related managers from an instance in scope -----------------------------------------------

RELATED: dict[str, Callable[[Cast], Any]] = {
    "journey.steps": lambda c: list(c.world.journey.steps.all()),
    "journey.steps.aggregate": lambda c: c.world.journey.steps.aggregate(last=Max("position")),
    "step.touchpoints": lambda c: list(c.world.step.touchpoints.all()),
    "touchpoint.journey_steps": lambda c: list(c.world.checkout.journey_steps.all()),
    "offering.usages": lambda c: list(c.world.shop.usages.all()),
    "offering.journey_steps.count": lambda c: c.world.shop.journey_steps.count(),
    "enabler.usages.exists": lambda c: c.world.payments.usages.exists(),
    "team.team_memberships": lambda c: list(c.world.platform.team_memberships.all()),
    "team.offerings": lambda c: list(c.world.delivery.offerings.all()),
    "team.enablers": lambda c: list(c.world.platform.enablers.all()),
    "area.teams": lambda c: list(c.world.area.teams.all()),
    "membership.team_memberships": lambda c: list(
        c.member.team_memberships.values_list("team_id", flat=True)
    ),
    "organisation.teams": lambda c: list(c.world.org.teams.all()),
    "organisation.memberships.count": lambda c: c.world.org.memberships.count(),
    "prefetch steps and touchpoints": lambda c: [
        tp
        for j in m.Journey.objects.for_org(c.world.org).prefetch_related("steps__touchpoints")
        for s in j.steps.all()
        for tp in s.touchpoints.all()
    ],
    "prefetch team memberships": lambda c: [
        tm
        for ms in m.Membership.objects.for_org(c.world.org).prefetch_related(
            "team_memberships__team"
        )
        for tm in ms.team_memberships.all()
    ],
}


@pytest.mark.parametrize("relation", list(RELATED))
def test_related_managers_of_an_instance_in_scope_work(cast: Cast, relation: str) -> None:
    result = RELATED[relation](cast)

    assert result
    if isinstance(result, list) and hasattr(result[0], "organisation_id"):
        assert {row.organisation_id for row in result} == {cast.world.org.pk}


# --- unscoped(): the explicit escape hatch ----------------------------------------------------


@pytest.mark.parametrize("model", ORG_MODELS, ids=label)
def test_unscoped_sees_every_organisation(full: Cast, model: Any) -> None:
    everything = model.objects.unscoped()

    assert {row.organisation_id for row in everything} == {full.world.org.pk, full.other.org.pk}
    assert everything.filter(pk__gt=0).count() == everything.count()  # stays unscoped
    assert everything.exists()
    assert everything.aggregate(n=Count("pk"))["n"] == len(list(everything.iterator()))
    assert model.objects.all().unscoped().count() == everything.count()


# --- services refuse references into another organisation ----------------------------------


def _snapshot() -> dict[str, int]:
    counts = {label(model): model._default_manager.unscoped().count() for model in ORG_MODELS}
    counts["step touchpoints"] = m.JourneyStep.touchpoints.through.objects.count()
    counts["invitation teams"] = m.Invitation.teams.through.objects.count()
    return counts


def _new(model: Any, c: Cast, **fields: Any) -> Any:
    return model(organisation=c.world.org, name="Cross", **fields)


CROSS_WRITES: dict[str, Callable[[Cast], Any]] = {
    "step_add-offering-of-globex": lambda c: services.step_add(
        journey=c.world.journey,
        name="Cross",
        offering=c.other.shop,
        touchpoints=[],
        actor=c.leader.user,
    ),
    "step_add-touchpoint-of-globex": lambda c: services.step_add(
        journey=c.world.journey,
        name="Cross",
        offering=c.world.shop,
        touchpoints=[c.world.checkout, c.other.checkout],
        actor=c.leader.user,
    ),
    "usage_add-acme-enabler-globex-offering": lambda c: services.usage_add(
        enabler=c.world.payments, offering=c.other.shop, criticality="low", actor=c.leader.user
    ),
    "usage_add-globex-enabler-acme-offering": lambda c: services.usage_add(
        enabler=c.other.payments, offering=c.world.shop, criticality="low", actor=c.leader.user
    ),
    "item_save-offering-team-of-globex": lambda c: services.item_save(
        item=_new(m.Offering, c, team=c.other.delivery), actor=c.leader.user, created=True
    ),
    "item_save-team-area-of-globex": lambda c: services.item_save(
        item=_new(m.Team, c, business_area=c.other.area), actor=c.leader.user, created=True
    ),
    "enabler_create-owner-team-of-globex": lambda c: services.enabler_create(
        enabler=_new(m.Enabler, c, kind="platform", owner_team=c.other.platform),
        actor=c.leader.user,
        membership=c.leader,
    ),
    "enabler_update-owner-team-of-globex": lambda c: services.enabler_update(
        enabler=c.world.payments,
        fields={"owner_team": c.other.platform},
        base_version=1,
        actor=c.leader.user,
    ),
    "membership_update-team-of-globex": lambda c: services.membership_update(
        membership=c.viewer, role="team_member", teams=[c.other.delivery], actor=c.admin.user
    ),
    "team_member_add-member-of-globex": lambda c: services.team_member_add(
        team=c.world.delivery, membership=c.outsider, actor=c.admin.user
    ),
    "invitation_create-team-of-globex": lambda c: services.invitation_create(
        organisation=c.world.org,
        email="x@example.org",
        role="viewer",
        teams=[c.other.delivery],
        invited_by=c.admin.user,
        accept_url_for=lambda token: "/",
    ),
}


@pytest.mark.parametrize("write", list(CROSS_WRITES))
def test_services_refuse_references_into_another_organisation(cast: Cast, write: str) -> None:
    before = _snapshot()

    with pytest.raises(CrossOrganisationReference):
        CROSS_WRITES[write](cast)

    assert _snapshot() == before
    payments = m.Enabler.objects.for_org(cast.world.org).get(pk=cast.world.payments.pk)
    assert (payments.owner_team_id, payments.version) == (cast.world.platform.pk, 1)
    assert m.Membership.objects.for_org(cast.world.org).get(pk=cast.viewer.pk).role == "viewer"


# --- the same through the web: a form error next to the field, nothing saved ------------------

Data = Callable[[Cast], dict[str, Any]]
WEB_CASES: dict[str, tuple[str, Callable[[Cast], list[Any]], Data, str]] = {
    # id: (url name, args after the slug, POST data, the field with the error)
    "step_add-offering": (
        "step_add",
        lambda c: [c.world.journey.key],
        lambda c: {"name": "Cross", "offering": c.other.shop.pk},
        "offering",
    ),
    "step_add-touchpoint": (
        "step_add",
        lambda c: [c.world.journey.key],
        lambda c: {
            "name": "Cross",
            "offering": c.world.shop.pk,
            "touchpoints": [c.other.checkout.pk],
        },
        "touchpoints",
    ),
    "usage_add-offering": (
        "usage_add",
        lambda c: [c.world.search.key],
        lambda c: {"offering": c.other.shop.pk, "criticality": "low"},
        "offering",
    ),
    "offering_usage_add-enabler": (
        "offering_usage_add",
        lambda c: [c.world.shop.key],
        lambda c: {"enabler": c.other.search.pk, "criticality": "low"},
        "enabler",
    ),
    "offering_create-team": (
        "offering_create",
        lambda c: [],
        lambda c: {"name": "Cross", "kind": "service", "team": c.other.delivery.pk},
        "team",
    ),
    "team_create-area": (
        "team_create",
        lambda c: [],
        lambda c: {"name": "Cross", "kind": "delivery", "business_area": c.other.area.pk},
        "business_area",
    ),
    "enabler_create-owner_team": (
        "enabler_create",
        lambda c: [],
        lambda c: {
            "name": "Cross",
            "kind": "platform",
            "classification": "common",
            "lifecycle": "active",
            "owner_team": c.other.platform.pk,
        },
        "owner_team",
    ),
    "enabler_edit-owner_team": (
        "enabler_edit",
        lambda c: [c.world.payments.key],
        lambda c: {
            "name": "Payments",
            "key": "payments",
            "kind": "platform",
            "classification": "common",
            "lifecycle": "active",
            "owner_team": c.other.platform.pk,
            "version": 1,
        },
        "owner_team",
    ),
    "team_member_add-membership": (
        "team_member_add",
        lambda c: [c.world.delivery.key],
        lambda c: {"membership": c.outsider.pk},
        "membership",
    ),
    "member_edit-teams": (
        "member_edit",
        lambda c: [c.viewer.pk],
        lambda c: {"role": "viewer", "teams": [c.other.delivery.pk]},
        "teams",
    ),
    "member_invite-teams": (
        "member_invite",
        lambda c: [],
        lambda c: {"email": "x@example.org", "role": "viewer", "teams": [c.other.delivery.pk]},
        "teams",
    ),
}


def _form(response: Any) -> Any:
    for name in ("form", "step_form"):
        if response.context.get(name) is not None:
            return response.context[name]
    raise AssertionError("no form in the response")


def _field_error_is_shown(html: str, field: str) -> bool:
    """The field's own block holds the invalid input and the error text under it."""
    start = html.find(f'id="div_id_{field}"')
    if start == -1:
        return False
    end = html.find('id="div_id_', start + 1)
    block = html[start:] if end == -1 else html[start:end]
    return (
        "is-invalid" in block
        and re.search(rf'id="error_\d+_id_{field}"', block) is not None
        and "Select a valid choice" in block
    )


@pytest.mark.parametrize("case", list(WEB_CASES))
def test_posting_an_id_of_another_organisation_is_a_form_error(cast: Cast, case: str) -> None:
    name, args, data, field = WEB_CASES[case]
    client = client_for(cast.admin)
    before = _snapshot()

    response = client.post(reverse(f"catalogue:{name}", args=["acme", *args(cast)]), data(cast))

    assert response.status_code == 400
    assert list(_form(response).errors) == [field]
    assert _field_error_is_shown(response.content.decode(), field)
    assert _snapshot() == before


def test_htmx_step_with_an_offering_of_another_organisation_shows_the_error(cast: Cast) -> None:
    url = reverse("catalogue:step_add", args=["acme", cast.world.journey.key])
    client = client_for(cast.leader)  # before the snapshot: signing in is audited
    before = _snapshot()

    response = client.post(
        url, {"name": "Cross", "offering": cast.other.shop.pk}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<section id="steps"')  # the partial, not the page
    assert _field_error_is_shown(html, "offering")
    assert _snapshot() == before

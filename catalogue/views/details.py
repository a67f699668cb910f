"""Detail pages of areas, teams, offerings, touchpoints and journeys, and journey steps."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .. import selectors, services
from ..access import get_keyed_for_user, get_object_for_user
from ..forms import StepForm, TeamMemberAddForm, UsageForm, VersionField, beyond_a_list
from ..models import (
    BusinessArea,
    Enabler,
    Journey,
    JourneyStep,
    Offering,
    Team,
    TeamMembership,
    Touchpoint,
)
from ..panels import panels_for
from ..permissions import can
from .base import form_data, org_view, render_page
from .items import KINDS, kind_crumbs


@org_view()
def area_detail(request: HttpRequest, key: str) -> HttpResponse:
    area = get_keyed_for_user(request.membership, BusinessArea, key)  # type: ignore[attr-defined]
    org = area.organisation
    return render_page(
        request,
        "catalogue/area_detail.html",
        {
            "item": area,
            "kind": KINDS["area"],
            "crumbs": kind_crumbs(request, KINDS["area"], area),
            "teams": Team.objects.for_org(org).filter(business_area=area).order_by("name"),
            "offerings": Offering.objects.for_org(org)
            .filter(business_area=area)
            .select_related("team")
            .order_by("name"),
        },
    )


@org_view()
def team_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    team = get_keyed_for_user(membership, Team, key)
    org = team.organisation
    can_manage = can(membership, "org.manage_members")
    return render_page(
        request,
        "catalogue/team_detail.html",
        {
            "item": team,
            "kind": KINDS["team"],
            "crumbs": kind_crumbs(request, KINDS["team"], team),
            "members": selectors.team_members(team=team),
            "offerings": Offering.objects.for_org(org)
            .filter(team=team)
            .select_related("business_area")
            .order_by("name"),
            "enablers": Enabler.objects.for_org(org).filter(owner_team=team).order_by("name"),
            "can_manage": can_manage,
            "add_form": TeamMemberAddForm(team=team) if can_manage else None,
            "panels": panels_for("team", request, team),
        },
    )


@org_view(need="org.manage_members")
def team_member_add(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    team = get_keyed_for_user(membership, Team, key, need="org.manage_members")
    form = TeamMemberAddForm(form_data(request), team=team)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["membership"]
        services.team_member_add(team=team, membership=member, actor=request.user)
        messages.success(request, f"{member.user.get_username()} added to {team.name}.")
        return redirect(team.get_absolute_url())
    return render_page(
        request,
        "catalogue/simple_form.html",
        {
            "form": form,
            "title": f"Add a member to {team.name}",
            "crumbs": kind_crumbs(request, KINDS["team"], team) + [("Add a member", "")],
            "cancel_url": team.get_absolute_url(),
            "submit": "Add to team",
        },
        status=400 if form.is_bound else 200,
    )


@org_view(need="org.manage_members")
def team_member_remove(request: HttpRequest, key: str, member_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    team = get_keyed_for_user(membership, Team, key, need="org.manage_members")
    link = get_object_for_user(
        membership,
        TeamMembership.objects.select_related("membership__user"),
        need="org.manage_members",
        team=team,
        membership_id=member_id,
    )
    if request.method == "POST":
        name = link.membership.user.get_username()
        link.delete()
        services.record_change(
            organisation=team.organisation,
            actor=request.user,
            summary=f"{name} left team “{team.name}”",
            url=team.get_absolute_url(),
        )
        messages.success(request, f"{name} removed from {team.name}.")
        return redirect(team.get_absolute_url())
    return render_page(
        request,
        "catalogue/confirm.html",
        {
            "title": f"Remove {link.membership.user.get_username()} from {team.name}?",
            "crumbs": kind_crumbs(request, KINDS["team"], team) + [("Remove a member", "")],
            "cancel_url": team.get_absolute_url(),
            "submit": "Remove from team",
        },
    )


@org_view()
def offering_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    offering = get_object_for_user(
        membership, Offering.objects.select_related("business_area", "team"), key=key
    )
    can_use = can(membership, "usage.edit", offering)
    return render_page(
        request,
        "catalogue/offering_detail.html",
        {
            "item": offering,
            "kind": KINDS["offering"],
            "crumbs": kind_crumbs(request, KINDS["offering"], offering),
            "usages": selectors.offering_usages(offering=offering),
            "journeys": Journey.objects.for_org(offering.organisation)
            .filter(steps__offering=offering)
            .distinct()
            .order_by("name"),
            "can_edit": can(membership, "offering.edit", offering),
            "can_use": can_use,
            "usage_form": UsageForm(
                organisation=offering.organisation, membership=membership, pick="enabler"
            )
            if can_use
            else None,
            "panels": panels_for("offering", request, offering),
        },
    )


@org_view()
def touchpoint_detail(request: HttpRequest, key: str) -> HttpResponse:
    touchpoint = get_keyed_for_user(request.membership, Touchpoint, key)  # type: ignore[attr-defined]
    return render_page(
        request,
        "catalogue/touchpoint_detail.html",
        {
            "item": touchpoint,
            "kind": KINDS["touchpoint"],
            "crumbs": kind_crumbs(request, KINDS["touchpoint"], touchpoint),
            "journeys": Journey.objects.for_org(touchpoint.organisation)
            .filter(steps__touchpoints=touchpoint)
            .annotate(passes=Count("steps"))
            .order_by("name"),
        },
    )


def _journey_context(
    request: HttpRequest,
    journey: Journey,
    form: StepForm | None = None,
    *,
    offerings_listed: bool | None = None,
) -> dict:
    """``offerings_listed``: whether the step form lists the offerings, where the page knows
    (PickField's ``listed``)."""
    membership = request.membership  # type: ignore[attr-defined]
    can_edit = can(membership, "structure.edit")
    if form is None and can_edit:
        form = StepForm(organisation=journey.organisation, offerings_listed=offerings_listed)
    return {
        "item": journey,
        "kind": KINDS["journey"],
        "crumbs": kind_crumbs(request, KINDS["journey"], journey),
        "steps": selectors.journey_steps(journey=journey),
        "can_edit": can_edit,
        "step_form": form,
    }


@org_view()
def journey_detail(request: HttpRequest, key: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    # Whether the step form can list every offering comes with the journey.
    journeys = Journey.objects.annotate(
        offerings_beyond_list=beyond_a_list(Offering.objects.for_org(membership.organisation))
    )
    journey = get_object_for_user(membership, journeys, key=key)
    context = _journey_context(request, journey, offerings_listed=not journey.offerings_beyond_list)
    return render_page(request, "catalogue/journey_detail.html", context)


def _posted_version(request: HttpRequest) -> int | None:
    """The journey version the page was showing when the step form was sent (None: not
    sent, so not checked). ValidationError when it is not a version at all."""
    value: int | None = VersionField().clean(request.POST.get("version"))
    return value


@org_view()
def step_add(request: HttpRequest, key: str) -> HttpResponse:
    journey = get_keyed_for_user(request.membership, Journey, key, need="structure.edit")  # type: ignore[attr-defined]
    form: StepForm | None = StepForm(form_data(request), organisation=journey.organisation)
    conflict: services.StaleItem | None = None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            step = services.step_add(
                journey=journey,
                name=form.cleaned_data["name"],
                offering=form.cleaned_data["offering"],
                touchpoints=list(form.cleaned_data["touchpoints"]),
                actor=request.user,
                base_version=_posted_version(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        except services.StaleItem as stale:
            # The steps as saved now, with the typed step kept so it can be sent again.
            conflict, journey = stale, stale.current
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, f"Step “{step.name}” added.")
                return redirect(journey.get_absolute_url())
            form = None
    context = _journey_context(request, journey, form)
    context["step_added"] = form is None
    context["conflict"] = conflict
    status = 409 if conflict else (400 if form is not None and form.is_bound else 200)
    return render_page(
        request, "catalogue/journey_detail.html", context, partial="steps", status=status
    )


def _step_action(request: HttpRequest, key: str, step_id: int, action: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    journey = get_keyed_for_user(membership, Journey, key, need="structure.edit")
    step = get_object_for_user(
        membership, JourneyStep.objects.all(), need="structure.edit", journey=journey, pk=step_id
    )
    step.journey = journey
    if request.method != "POST":
        return redirect(journey.get_absolute_url())
    status, conflict, problem = 200, None, ""
    try:
        base_version = _posted_version(request)
        if action == "remove":
            services.step_remove(step=step, actor=request.user, base_version=base_version)
        else:
            direction = -1 if action == "up" else 1
            services.step_move(
                step=step, direction=direction, actor=request.user, base_version=base_version
            )
    except ValidationError as error:
        status, problem = 400, " ".join(error.messages)
    except services.StaleItem as stale:
        status, conflict, journey = 409, stale, stale.current
    if status == 200 and not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, "Journey steps updated.")
        return redirect(journey.get_absolute_url())
    context = _journey_context(request, journey)
    context["moved"] = (step.pk, action) if status == 200 else None
    context["conflict"] = conflict
    context["step_problem"] = problem
    return render_page(
        request, "catalogue/journey_detail.html", context, partial="steps", status=status
    )


@org_view()
def step_remove(request: HttpRequest, key: str, step_id: int) -> HttpResponse:
    return _step_action(request, key, step_id, "remove")


@org_view()
def step_up(request: HttpRequest, key: str, step_id: int) -> HttpResponse:
    return _step_action(request, key, step_id, "up")


@org_view()
def step_down(request: HttpRequest, key: str, step_id: int) -> HttpResponse:
    return _step_action(request, key, step_id, "down")

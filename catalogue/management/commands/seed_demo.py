"""Load the demo organisations of ``catalogue.demo_data`` with one login per role.

Idempotent: every record is found by its organisation and key (usages by enabler and
offering, memberships by organisation and user) and only written when it differs from the
data, so a second run writes nothing, adds no history and creates no duplicates. Records
that the data does not mention are left alone, except that a journey's steps are replaced
when they differ from the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand
from django.db import models, transaction

from catalogue.demo_data import ORGANISATIONS
from catalogue.models import (
    BusinessArea,
    ChangeRecord,
    Enabler,
    EnablerUsage,
    Journey,
    JourneyStep,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    TeamMembership,
    Touchpoint,
)

DEMO_PASSWORD = "demo-pass-2026"

# The login that belongs to every demo organisation as admin, to show switching.
SWITCHING_USERNAME = "demo"

# Username suffix, role and the demo section naming the team the user joins (if any).
ROLE_LOGINS: list[tuple[str, Role, str | None]] = [
    ("admin", Role.ADMIN, None),
    ("leader", Role.LEADERSHIP, "leader_team"),
    ("owner", Role.ENABLER_OWNER, "owner_team"),
    ("member", Role.TEAM_MEMBER, "member_team"),
    ("viewer", Role.VIEWER, None),
]


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    actor: Any = None  # who the enablers' history names as having made the change


@dataclass
class Loaded:
    organisation: Organisation
    logins: list[tuple[str, str]] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Load the demo organisations (Northfield, Harbour, Kingsbridge) and a login per role. "
        f"Safe to run again. Every demo login uses the password {DEMO_PASSWORD}."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        tally = Tally()
        with transaction.atomic():
            switcher = _demo_user(SWITCHING_USERNAME, tally)
            tally.actor = switcher
            loaded = [_load_organisation(data, switcher, tally) for data in ORGANISATIONS]
        self._report(loaded, tally)

    def _report(self, loaded: list[Loaded], tally: Tally) -> None:
        rows: list[tuple[str, str, str]] = []
        for item in loaded:
            org = item.organisation
            for i, (username, role) in enumerate(item.logins):
                first = i == 0
                rows.append(
                    (
                        org.name if first else "",
                        f"/o/{org.slug}/" if first else "",
                        f"{username} / {role}",
                    )
                )
        header = ("Organisation", "Address", "Login / role")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(2)]

        def line(row: tuple[str, str, str]) -> str:
            return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip()

        out = self.stdout
        out.write(f"Demo data loaded: {tally.created} records created, {tally.updated} updated.")
        out.write("")
        out.write(line(header))
        out.write(line(("-" * widths[0], "-" * widths[1], "-" * 12)))
        for row in rows:
            out.write(line(row))
        out.write("")
        out.write(
            f"'{SWITCHING_USERNAME}' is admin in every demo organisation. "
            f"Password for every login above: {DEMO_PASSWORD}"
        )


def _demo_user(username: str, tally: Tally) -> AbstractUser:
    """The demo login ``username``, with the known password and able to sign in."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"email": f"{username}@demo.invalid"}
    )
    if created:
        tally.created += 1
    # Resetting only when it differs keeps a second run from rewriting the hash (new salt).
    if created or not user.is_active or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.is_active = True
        user.save()
        if not created:
            tally.updated += 1
    return user  # type: ignore[return-value]


def _save_if_changed(obj: models.Model, values: dict[str, Any], tally: Tally) -> None:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj._history_user = tally.actor  # type: ignore[attr-defined]
        obj.save()
        tally.updated += 1


def _upsert(
    model: type[models.Model],
    organisation: Organisation,
    key: str,
    values: dict[str, Any],
    tally: Tally,
    *,
    on_create: dict[str, Any] | None = None,
) -> Any:
    """The ``model`` record with this key: created, updated where it differs, or untouched."""
    obj = model.objects.filter(organisation=organisation, key=key).first()  # type: ignore[attr-defined]
    if obj is None:
        tally.created += 1
        obj = model(organisation=organisation, key=key, **values, **(on_create or {}))
        obj._history_user = tally.actor  # type: ignore[attr-defined]
        obj.save()
        return obj
    _save_if_changed(obj, values, tally)
    return obj


def _load_organisation(data: dict[str, Any], switcher: AbstractUser, tally: Tally) -> Loaded:
    info = data["organisation"]
    values = {
        "name": info["name"],
        "delivery_model": info.get("delivery_model", ""),
        "description": info.get("description", ""),
    }
    org = Organisation.objects.filter(slug=info["slug"]).first()
    created = org is None
    if org is None:
        org = Organisation.objects.create(slug=info["slug"], **values)
        tally.created += 1
    else:
        _save_if_changed(org, values, tally)
    loaded = Loaded(organisation=org)

    areas = {
        item["key"]: _upsert(BusinessArea, org, item["key"], _described(item), tally)
        for item in data["business_areas"]
    }
    teams = {
        item["key"]: _upsert(
            Team,
            org,
            item["key"],
            {
                **_described(item),
                "kind": item["kind"],
                "business_area_id": _pk(areas, item.get("business_area")),
            },
            tally,
        )
        for item in data["teams"]
    }

    users: dict[str, AbstractUser] = {}
    for suffix, role, team_section in ROLE_LOGINS:
        user = _demo_user(f"{org.slug}-{suffix}", tally)
        users[suffix] = user
        membership = _membership(org, user, role, tally)
        if team_section:
            _join_team(org, teams[data["demo"][team_section]], membership, tally)
        loaded.logins.append((user.username, role.label))
    _membership(org, switcher, Role.ADMIN, tally)
    loaded.logins.append((switcher.username, Role.ADMIN.label))

    offerings = {
        item["key"]: _upsert(
            Offering,
            org,
            item["key"],
            {
                **_described(item),
                "kind": item["kind"],
                "business_area_id": _pk(areas, item.get("business_area")),
                "team_id": _pk(teams, item.get("team")),
            },
            tally,
        )
        for item in data["offerings"]
    }
    touchpoints = {
        item["key"]: _upsert(Touchpoint, org, item["key"], _described(item), tally)
        for item in data["touchpoints"]
    }
    for item in data["journeys"]:
        journey = _upsert(
            Journey,
            org,
            item["key"],
            {**_described(item), "segment": item.get("segment", "")},
            tally,
        )
        _sync_steps(org, journey, item["steps"], offerings, touchpoints, tally)

    for item in data["enablers"]:
        enabler = _upsert(
            Enabler,
            org,
            item["key"],
            {
                **_described(item),
                "kind": item["kind"],
                "capability": item.get("capability", ""),
                "classification": item["classification"],
                "lifecycle": item.get("lifecycle", "active"),
                "owner_team_id": _pk(teams, item.get("owner")),
                "tags": list(item.get("tags", [])),
            },
            tally,
            on_create={"created_by": users["owner"]},
        )
        for usage in item.get("used_by", []):
            _usage(org, enabler, offerings[usage["offering"]], usage["criticality"], tally)

    if created:
        ChangeRecord.objects.create(
            organisation=org, actor=switcher, summary="Demo data loaded", url=f"/o/{org.slug}/"
        )
        tally.created += 1
    return loaded


def _described(item: dict[str, Any]) -> dict[str, Any]:
    return {"name": item["name"], "description": item.get("description", "")}


def _pk(objects: dict[str, models.Model], key: str | None) -> int | None:
    return objects[key].pk if key else None


def _membership(org: Organisation, user: AbstractUser, role: Role, tally: Tally) -> Membership:
    membership = Membership.objects.filter(organisation=org, user=user).first()
    if membership is None:
        tally.created += 1
        return Membership.objects.create(organisation=org, user=user, role=role)
    _save_if_changed(membership, {"role": role.value}, tally)
    return membership


def _join_team(org: Organisation, team: Team, membership: Membership, tally: Tally) -> None:
    _, created = TeamMembership.objects.get_or_create(
        organisation=org, team=team, membership=membership
    )
    if created:
        tally.created += 1


def _sync_steps(
    org: Organisation,
    journey: Journey,
    steps: list[dict[str, Any]],
    offerings: dict[str, Offering],
    touchpoints: dict[str, Touchpoint],
    tally: Tally,
) -> None:
    """Replace the journey's steps when they differ from ``steps`` (in order)."""
    wanted = [
        (
            position,
            step["name"],
            offerings[step["offering"]].pk,
            sorted(touchpoints[key].pk for key in step.get("touchpoints", [])),
        )
        for position, step in enumerate(steps, start=1)
    ]
    current = [
        (s.position, s.name, s.offering_id, sorted(tp.pk for tp in s.touchpoints.all()))
        for s in journey.steps.prefetch_related("touchpoints").order_by("position")
    ]
    if current == wanted:
        return
    JourneyStep.objects.for_org(org).filter(journey=journey).delete()
    for position, name, offering_id, touchpoint_ids in wanted:
        step = JourneyStep.objects.create(
            organisation=org,
            journey=journey,
            position=position,
            name=name,
            offering_id=offering_id,
        )
        step.touchpoints.set(touchpoint_ids)
    if current:
        tally.updated += 1
    else:
        tally.created += len(wanted)


def _usage(
    org: Organisation, enabler: Enabler, offering: Offering, criticality: str, tally: Tally
) -> None:
    usage = EnablerUsage.objects.filter(
        organisation=org, enabler=enabler, offering=offering
    ).first()
    if usage is None:
        EnablerUsage.objects.create(
            organisation=org, enabler=enabler, offering=offering, criticality=criticality
        )
        tally.created += 1
    else:
        _save_if_changed(usage, {"criticality": criticality}, tally)

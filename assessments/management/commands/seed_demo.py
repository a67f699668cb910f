"""Load the demo organisations (``assessments/demo/*.yaml``) with one login per role.

Idempotent: the organisation files go through the importer, which finds every record by
its key and writes only what differs, and the demo logins, memberships and team
memberships are found before they are made; a second run writes nothing, adds no history
and creates no duplicates. Records the files do not mention are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand
from django.db import transaction

from assessments.services import organisation_file_import, recompute_if_stale
from catalogue.models import Membership, Organisation, Role, Team, TeamMembership

DEMO_PASSWORD = "demo-pass-2026"

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_FILES = ["northfield.yaml", "harbour.yaml", "kingsbridge.yaml"]

# The login that belongs to every demo organisation as admin, to show switching.
SWITCHING_USERNAME = "demo"

# Username suffix and role of each demo login.
ROLE_LOGINS: list[tuple[str, Role]] = [
    ("admin", Role.ADMIN),
    ("leader", Role.LEADERSHIP),
    ("owner", Role.ENABLER_OWNER),
    ("member", Role.TEAM_MEMBER),
    ("viewer", Role.VIEWER),
]

# The team each demo login joins, per organisation (the files carry no memberships): the
# owner sits in a platform team that owns enablers, the member in a delivery team that
# owns offerings, the leader in the leadership team.
DEMO_TEAMS: dict[str, dict[str, str]] = {
    "northfield": {
        "owner": "group-platforms",
        "member": "food-online",
        "leader": "group-executive",
    },
    "harbour": {
        "owner": "digital-platforms",
        "member": "clubs-fitness",
        "leader": "leadership-team",
    },
    "kingsbridge": {
        "owner": "it-digital",
        "member": "admissions",
        "leader": "university-executive",
    },
}


@dataclass
class Tally:
    created: int = 0
    updated: int = 0


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
            loaded = [_load(DEMO_DIR / name, switcher, tally) for name in DEMO_FILES]
            for item in loaded:
                # An import that changed nothing asks for no report; an organisation whose
                # report is older than its data (or has none) gets one after commit.
                organisation_id = item.organisation.pk
                transaction.on_commit(
                    lambda pk=organisation_id: recompute_if_stale(  # type: ignore[misc]
                        organisation_id=pk, reason="Demo data loaded"
                    )
                )
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


def _load(path: Path, switcher: AbstractUser, tally: Tally) -> Loaded:
    """Import one demo file, then its logins, memberships and team memberships."""
    # The import asks for a balance report itself when it changed anything.
    summary = organisation_file_import(path.read_bytes(), filename=path.name, actor=switcher)
    tally.created += summary.created
    tally.updated += summary.updated
    org = summary.organisation
    loaded = Loaded(organisation=org)
    teams = {
        team.key: team
        for team in Team.objects.for_org(org).filter(key__in=DEMO_TEAMS[org.slug].values())
    }
    for suffix, role in ROLE_LOGINS:
        user = _demo_user(f"{org.slug}-{suffix}", tally)
        membership = _membership(org, user, role, tally)
        team_key = DEMO_TEAMS[org.slug].get(suffix)
        if team_key:
            _join_team(org, teams[team_key], membership, tally)
        loaded.logins.append((user.username, role.label))
    _membership(org, switcher, Role.ADMIN, tally)
    loaded.logins.append((switcher.username, Role.ADMIN.label))
    return loaded


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


def _membership(org: Organisation, user: AbstractUser, role: Role, tally: Tally) -> Membership:
    membership = Membership.objects.for_org(org).filter(user=user).first()
    if membership is None:
        tally.created += 1
        return Membership.objects.create(organisation=org, user=user, role=role)
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        tally.updated += 1
    return membership


def _join_team(org: Organisation, team: Team, membership: Membership, tally: Tally) -> None:
    _, created = TeamMembership.objects.for_org(org).get_or_create(
        organisation=org, team=team, membership=membership
    )
    if created:
        tally.created += 1

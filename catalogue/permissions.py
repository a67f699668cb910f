"""The role table of the brief as rules predicates over (membership, object).

Each role can do everything the roles below it can. The access module is the only caller;
views and templates ask it through ``can(membership, perm, obj)``.
"""

from __future__ import annotations

from typing import Any

import rules

from .models import Enabler, Membership, Offering, Role, Team

catalogue_rules = rules.RuleSet()


def _at_least(role: Role) -> Any:
    @rules.predicate(name=f"at_least_{role}")
    def check(membership: Membership, obj: Any = None) -> bool:
        return membership is not None and membership.has_role(role)

    return check


is_admin = _at_least(Role.ADMIN)
is_leadership = _at_least(Role.LEADERSHIP)
is_enabler_owner = _at_least(Role.ENABLER_OWNER)
is_team_member = _at_least(Role.TEAM_MEMBER)
is_viewer = _at_least(Role.VIEWER)


def team_ids(membership: Membership) -> set[int]:
    """The teams this member belongs to (cached on the membership for the request)."""
    cached = getattr(membership, "_team_ids", None)
    if cached is None:
        cached = set(membership.team_memberships.values_list("team_id", flat=True))
        membership._team_ids = cached  # type: ignore[attr-defined]
    return cached


@rules.predicate
def owns_enabler(membership: Membership, enabler: Enabler | None) -> bool:
    return enabler is not None and enabler.owner_team_id in team_ids(membership)


@rules.predicate
def owns_offering(membership: Membership, offering: Offering | None) -> bool:
    return offering is not None and offering.team_id in team_ids(membership)


@rules.predicate
def in_team(membership: Membership, team: Team | None) -> bool:
    return team is not None and team.pk in team_ids(membership)


@rules.predicate
def owns_flagged_enabler(membership: Membership, flag: Any) -> bool:
    # A bottleneck flag (assessments app, not imported here): its enabler's owning team.
    return flag is not None and flag.enabler.owner_team_id in team_ids(membership)


RULES = {
    "org.view": is_viewer,
    "org.manage_members": is_admin,
    "catalogue.delete": is_admin,
    "structure.edit": is_leadership,  # areas, teams, offerings, touchpoints, journeys
    "offering.edit": is_leadership | (is_team_member & owns_offering),
    "usage.edit": is_leadership | (is_team_member & owns_offering),  # obj: the offering
    "usage.add": is_team_member,  # the door to the form; usage.edit then checks the offering
    "enabler.create": is_team_member,
    "enabler.edit": is_leadership | (is_enabler_owner & owns_enabler),
    "enabler.set_lifecycle_on_create": is_enabler_owner,
    "team.act_for": is_leadership | (is_team_member & in_team),
    "report.recompute": is_leadership,
    "round.manage": is_leadership,  # open, change and close assessment rounds
    "round.completion": is_leadership,  # completion per team and overall
    "assessment.edit": is_leadership | (is_team_member & in_team),  # obj: the team
    "flag.raise": is_team_member,  # the door to the form; team.act_for checks the team
    "flag.respond": is_leadership | (is_enabler_owner & owns_flagged_enabler),  # obj: the flag
    "flag.comment": is_team_member,
    "org.settings": is_admin,  # balance thresholds, declared model
    "org.import": is_admin,
    "org.export": is_viewer,
    # Backstage descriptors and enabler/usage spreadsheets: they write areas, teams,
    # offerings and any enabler, which is leadership's part of the catalogue.
    "catalogue.import": is_leadership,
    "api.tokens": is_viewer,  # every member keeps their own API tokens
    "decision.propose": is_enabler_owner,  # propose, and edit while still proposed
    "decision.decide": is_leadership,  # accept or reject
}

for name, predicate in RULES.items():
    catalogue_rules.add_rule(name, predicate)


def can(membership: Membership | None, perm: str, obj: Any = None) -> bool:
    if membership is None:
        return False
    return catalogue_rules.test_rule(perm, membership, obj)

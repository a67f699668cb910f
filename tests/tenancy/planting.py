"""Two organisations full of canaries: every text a page, export, email or API answer can
show carries a marker naming its organisation and its field.

acme (the organisation under test) writes ``OKAPI-<field>``, globex (the other one)
``ZEBRA-<field>``: any "zebra" in an answer to acme is a leak, and the okapis acme's answers
do show prove that the field is shown at all (the same code writes both organisations).

globex holds two worlds: the cast's own, with the same keys as acme's ("shop", "payments":
a lookup by key that forgets the organisation finds it), and a second one whose keys only
globex has ("zebra-shop"), so a key sent to acme names nothing there. The flag and round
planted in each organisation share their keys too, as decisions do (DEC-001 …). Besides
its admin (the cast's outsider) globex has a person in every role, and ``both`` is
leadership in acme and admin in globex: their globex notifications, tokens and events are
theirs, but belong to globex, and must not show in acme either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from catalogue import audit, services
from catalogue import models as m
from tests import factories as f
from tests.conftest import Cast, World, add_member

OWN, FOREIGN = "OKAPI", "ZEBRA"
ROLES = ("viewer", "member", "owner", "leader", "admin")

# Every field a marker is planted in, as ``<prefix>-<field>`` (a name adds ``-<which>``).
FIELDS = (
    "org-name",
    "org-description",
    "area-name",
    "area-description",
    "team-name",
    "team-description",
    "offering-name",
    "offering-description",
    "touchpoint-name",
    "touchpoint-description",
    "journey-name",
    "journey-description",
    "journey-segment",
    "step-name",
    "enabler-name",
    "enabler-description",
    "enabler-capability",
    "enabler-tag",
    "round-name",
    "assessment-comment",
    "flag-summary",
    "flag-details",
    "flag-comment",
    "flag-note",
    "decision-title",
    "decision-context",
    "decision-options",
    "decision-decision",
    "decision-consequences",
    "decision-makers",
    "notification-text",
    "change-summary",
    "audit-detail",
    "token-name",
    "invitation-email",
    "user-first",
    "user-last",
    "user-email",
)

ROUND_KEY, FLAG_KEY = "canary-round", "canary-flag"
KEYED_ATTRS = ("area", "delivery", "platform", "shop", "warehouse", "checkout", "journey")
KIND_OF = {
    "area": "area",
    "delivery": "team",
    "platform": "team",
    "shop": "offering",
    "warehouse": "offering",
    "checkout": "touchpoint",
    "journey": "journey",
    "payments": "enabler",
    "search": "enabler",
}


@dataclass
class Side:
    """One organisation of the canary: its worlds and its people, by role."""

    prefix: str
    world: World
    people: dict[str, m.Membership]

    @property
    def org(self) -> m.Organisation:
        return self.world.org


@dataclass
class Canary:
    cast: Cast
    acme: Side
    globex: Side
    keyed: World  # globex's second world: keys only globex has
    both: m.Membership  # leadership in acme (and admin in globex: ``both_in_globex``)
    both_in_globex: m.Membership
    foreign_strings: tuple[str, ...]  # besides "zebra": globex's slug and token prefixes
    last_notification: int  # the id of the last notification planted


def build_world_in(org: m.Organisation, prefix: str) -> World:
    """The cast's world shape in ``org``, every key starting with ``prefix``."""
    p = prefix.lower()

    def keyed(factory: Any, key: str, **fields: Any) -> Any:
        return factory(organisation=org, key=f"{p}-{key}", name=f"{p}-{key}", **fields)

    area = keyed(f.AreaFactory, "food")
    delivery = keyed(f.TeamFactory, "delivery", business_area=area)
    platform = keyed(f.TeamFactory, "platform", kind=m.TeamKind.PLATFORM)
    shop = keyed(f.OfferingFactory, "shop", team=delivery, business_area=area)
    warehouse = keyed(f.OfferingFactory, "warehouse", team=platform)
    checkout = keyed(f.TouchpointFactory, "checkout")
    journey = keyed(f.JourneyFactory, "weekly-shop")
    step = m.JourneyStep.objects.create(
        organisation=org, journey=journey, position=1, name="Browse", offering=shop
    )
    step.touchpoints.add(checkout)
    payments = keyed(f.EnablerFactory, "payments", owner_team=platform)
    search = keyed(f.EnablerFactory, "search", owner_team=delivery)
    usage = m.EnablerUsage.objects.create(organisation=org, enabler=payments, offering=shop)
    return World(
        org,
        area,
        delivery,
        platform,
        shop,
        warehouse,
        checkout,
        journey,
        step,
        payments,
        search,
        usage,
    )


def mark_world(world: World, prefix: str, which: str) -> None:
    """Names, descriptions, segment, step, capability and tags of one world: markers."""
    for attr in (*KEYED_ATTRS, "payments", "search"):
        item = getattr(world, attr)
        kind = KIND_OF[attr]
        item.name = f"{prefix}-{kind}-name-{attr}{which}"
        item.description = f"{prefix}-{kind}-description-{attr}{which}"
        if kind == "journey":
            item.segment = f"{prefix}-journey-segment{which}"
        if kind == "enabler":
            item.capability = f"{prefix}-enabler-capability{which}"
            item.tags = [f"{prefix}-enabler-tag{which}"]
        item.save()  # history records the marked values too
    world.step.name = f"{prefix}-step-name{which}"
    world.step.save()


def mark_person(membership: m.Membership, prefix: str) -> None:
    user = membership.user
    user.first_name = f"{prefix}-user-first"
    user.last_name = f"{prefix}-user-last"
    user.email = f"{prefix.lower()}-user-email-{user.username}@example.org"
    user.save()


def plant_activity(side: Side, world: World) -> None:
    """Rounds, assessments, flags, decisions, reports, notifications, changes, audit events,
    tokens and an invitation in one world, made through the services, as people make them."""
    from assessments import services as a
    from assessments.models import AssessmentRound, BottleneckFlag, Decision, FlagAction

    org, p, people = side.org, side.prefix, side.people
    today = timezone.localdate()
    assessment_round = a.round_open(
        organisation=org, name=f"{p}-round-name", due_on=today, actor=people["leader"].user
    )
    # The same keys in both organisations (decisions share theirs already: DEC-001 …), so a
    # lookup by key that forgets the organisation finds two.
    AssessmentRound.objects.for_org(org).filter(pk=assessment_round.pk).update(key=ROUND_KEY)
    assessment_round.refresh_from_db()
    a.assessment_save(
        assessment_round=assessment_round,
        team=world.delivery,
        enabler=world.payments,
        fit=2,
        pace=-1,
        preferred="common",
        comment=f"{p}-assessment-comment",
        actor=people["member"].user,
    )
    a.round_close(assessment_round=assessment_round, actor=people["leader"].user)
    flag = a.flag_raise(
        organisation=org,
        team=world.delivery,
        enabler=world.payments,
        offering=world.shop,
        journey=world.journey,
        severity="high",
        summary=f"{p}-flag-summary",
        details=f"{p}-flag-details",
        actor=people["member"].user,
    )
    BottleneckFlag.objects.for_org(org).filter(pk=flag.pk).update(key=FLAG_KEY)
    flag.refresh_from_db()
    a.flag_comment(flag=flag, body=f"{p}-flag-comment", actor=people["member"].user)
    a.flag_transition(
        flag=flag,
        action=FlagAction.ACKNOWLEDGED,
        note=f"{p}-flag-note",
        actor=people["owner"].user,
    )
    report, _ = a.report_compute_now(organisation=org)
    decision = a.decision_propose(
        organisation=org,
        draft=a.DecisionDraft(
            title=f"{p}-decision-title",
            context=f"{p}-decision-context",
            options=f"{p}-decision-options",
            decision=f"{p}-decision-decision",
            consequences=f"{p}-decision-consequences",
            review_on=today - timedelta(days=1),
            enablers=(world.payments,),
            changes=((world.search, "repeatable"),),
            flags=(flag,),
            report=report,
        ),
        actor=people["owner"].user,
    )
    decision = a.decision_accept(decision=decision, actor=people["leader"].user)
    Decision.objects.for_org(org).filter(pk=decision.pk).update(
        decision_makers=f"{p}-decision-makers"
    )
    a.decision_propose(
        organisation=org,
        draft=a.DecisionDraft(
            title=f"{p}-decision-title-proposed",
            context=f"{p}-decision-context-proposed",
            changes=((world.payments, "repeatable"),),
            supersedes=decision,
        ),
        actor=people["owner"].user,
    )
    a.notify(
        organisation=org,
        recipients=[person.user for person in people.values()],
        kind="flag_raised",
        text=f"{p}-notification-text",
        url=flag.get_absolute_url(),
        flag=flag,
    )
    services.record_change(
        organisation=org, actor=people["admin"].user, summary=f"{p}-change-summary"
    )
    audit.record(
        kind=m.AuditKind.ROLE_CHANGED,
        organisation=org,
        user=people["admin"].user,
        detail=f"{p}-audit-detail",
    )
    # A failed sign-in belongs to no organisation: the admins of the member's see it (with
    # the account's name; the name as typed is never shown when it names an account).
    audit.record(
        kind=m.AuditKind.LOGIN_FAILED,
        user_id=people["member"].user.pk,
        username=f"{p}-audit-username",
    )
    for person in people.values():
        services.token_create(membership=person, name=f"{p}-token-name", valid_days=30)
    services.invitation_create(
        organisation=org,
        email=f"{p.lower()}-invitation-email@example.org",
        role=m.Role.VIEWER,
        teams=[world.delivery],
        invited_by=people["admin"].user,
        accept_url_for=lambda token: f"/invitations/{token}/",
    )
    a.report_compute_now(organisation=org)  # the latest report knows the flag and decision


def plant(cast: Cast) -> Canary:
    """Mark both organisations of the cast and fill them with activity."""
    acme_people = {role: getattr(cast, role) for role in ROLES}
    globex = cast.other.org
    outsider = cast.outsider
    outsider.user.username = "zebra-outsider"
    outsider.user.save()
    globex_people = {
        "viewer": add_member(globex, "zebra-viewer", m.Role.VIEWER),
        "member": add_member(globex, "zebra-member", m.Role.TEAM_MEMBER, cast.other.delivery),
        "owner": add_member(globex, "zebra-owner", m.Role.ENABLER_OWNER, cast.other.platform),
        "leader": add_member(globex, "zebra-leader", m.Role.LEADERSHIP),
        "admin": outsider,
    }
    both = add_member(cast.world.org, "both", m.Role.LEADERSHIP)
    both_in_globex = m.Membership.objects.create(
        organisation=globex, user=both.user, role=m.Role.ADMIN
    )
    acme = Side(OWN, cast.world, acme_people)
    other = Side(FOREIGN, cast.other, globex_people)

    for side, org in ((acme, cast.world.org), (other, globex)):
        org.name = f"{side.prefix}-org-name"
        org.description = f"{side.prefix}-org-description"
        org.save()
        for person in side.people.values():
            mark_person(person, side.prefix)
    mark_world(cast.world, OWN, "")
    mark_world(cast.other, FOREIGN, "")
    keyed = build_world_in(globex, "zebra")
    mark_world(keyed, FOREIGN, "-keyed")
    for role, team in (("member", keyed.delivery), ("owner", keyed.platform)):
        m.TeamMembership.objects.create(
            organisation=globex, team=team, membership=globex_people[role]
        )

    plant_activity(acme, cast.world)
    plant_activity(other, cast.other)
    _plant_for_both(other, both_in_globex)

    prefixes = tuple(
        m.ApiToken.objects.for_org(globex).values_list("prefix", flat=True).order_by("pk")
    )
    from assessments.models import Notification

    last = Notification.objects.unscoped().order_by("-pk").values_list("pk", flat=True).first()
    return Canary(cast, acme, other, keyed, both, both_in_globex, ("globex", *prefixes), last or 0)


def _plant_for_both(globex: Side, membership: m.Membership) -> None:
    """What the person in both organisations has in globex: their own, but globex's."""
    from assessments import services as a

    services.token_create(membership=membership, name="ZEBRA-token-name-both", valid_days=30)
    a.notify(
        organisation=globex.org,
        recipients=[membership.user],
        kind="flag_raised",
        text="ZEBRA-notification-text-both",
    )
    audit.record(
        kind=m.AuditKind.ROLE_CHANGED,
        organisation=globex.org,
        user=membership.user,
        detail="ZEBRA-audit-detail-both",
    )


def mirror(canary: Canary, world: World) -> Cast:
    """The cast seen from globex: its ``world`` (either of globex's) and globex's people.

    The permission matrix's builders, given this, make and name globex's objects; sent to
    acme's addresses they name another organisation's ids and keys."""
    people = canary.globex.people
    return Cast(
        world=world,
        other=canary.cast.world,
        admin=people["admin"],
        leader=people["leader"],
        owner=people["owner"],
        member=people["member"],
        viewer=people["viewer"],
        outsider=canary.cast.admin,
    )


def key_map(canary: Canary) -> dict[str, str]:
    """acme's keys -> the keys only globex has, for values the builders spell out."""
    keyed = canary.keyed
    return {
        getattr(canary.cast.world, attr).key: getattr(keyed, attr).key
        for attr in (*KEYED_ATTRS, "payments", "search")
    }


def foreign_values(value: Any, keys: dict[str, str]) -> Any:
    """``value`` with every acme key in it swapped for globex's (lists and dicts too)."""
    if isinstance(value, str):
        return keys.get(value, value)
    if isinstance(value, list | tuple):
        return type(value)(foreign_values(v, keys) for v in value)
    if isinstance(value, dict):
        return {k: foreign_values(v, keys) for k, v in value.items()}
    return value

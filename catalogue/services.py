"""Writes to the catalogue. Each is one transaction; callers have checked access already."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from . import audit
from .access import ensure_same_organisation
from .models import (
    KEY_MAX_LENGTH,
    ApiToken,
    ChangeRecord,
    Enabler,
    EnablerUsage,
    Invitation,
    Journey,
    JourneyStep,
    Keyed,
    Lifecycle,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    TeamMembership,
    Touchpoint,
)
from .signals import balance_inputs_changed

User = get_user_model()
# Views pass request.user, authenticated by the org_view decorator before any service runs.
Actor = AbstractBaseUser | AnonymousUser


def _label(model: Any, field: str) -> str:
    return str(getattr(model._meta.get_field(field), "verbose_name", field))


def record_change(
    *, organisation: Organisation, actor: Actor | None, summary: str, url: str = ""
) -> None:
    ChangeRecord.objects.create(
        organisation=organisation,
        actor=actor if actor is not None and actor.is_authenticated else None,
        summary=summary[:300],
        url=url,
    )


def lock_organisation(organisation: Organisation) -> None:
    """Lock the organisation's row (FOR NO KEY UPDATE: rows referring to it still insert).

    Every write that changes the balance inputs takes this lock first, before any other row:
    ``inputs_changed`` updates the same row at the end, so a write that locked an item first
    and another that locked the organisation first would wait for each other for ever (a
    deadlock, seen between accepting a decision and editing one of its enablers). One order
    everywhere, the organisation first, makes them queue instead. It also serialises writes
    that pick a new key or check a one-per-organisation rule.
    """
    Organisation.objects.select_for_update(no_key=True).values_list("pk", flat=True).get(
        pk=organisation.pk
    )


def lock_row(queryset: Any, pk: Any, **related: Any) -> Any:
    """The row ``pk`` of ``queryset``, locked (its own row only) until the transaction ends.

    Someone may have deleted it since the page or the API call loaded it: then Http404
    (a plain "not found", as if the address were followed a moment later), not a 500.
    """
    try:
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    except ObjectDoesNotExist:
        name = queryset.model._meta.verbose_name
        raise Http404(f"This {name} no longer exists: someone deleted it.") from None


def inputs_changed(*, organisation: Organisation, reason: str) -> None:
    """Something the balance method reads changed: move the organisation's generation on.

    Call it inside the transaction that makes the change, so the new generation commits with
    it (or not at all). After commit ``balance_inputs_changed`` is sent; the assessments app
    queues a recompute from it. Catalogue does not know who listens.
    """
    Organisation.objects.filter(pk=organisation.pk).update(generation=F("generation") + 1)
    organisation_id = organisation.pk
    transaction.on_commit(
        lambda: balance_inputs_changed.send(
            sender=Organisation, organisation_id=organisation_id, reason=reason
        )
    )


# Keys that name a page rather than an item: "/enablers/new/" is the form for a new enabler.
RESERVED_KEYS = frozenset({"new"})


def unique_key(
    *, model: type[Any], organisation: Organisation, name: str, length: int = KEY_MAX_LENGTH - 4
) -> str:
    """A key made from ``name`` (at most ``length`` characters before any suffix) that no
    other item of this kind in the organisation uses, and that no page's address uses."""
    # slugify keeps underscores and repeated hyphens, which keys do not allow.
    base = re.sub(r"[-_]+", "-", slugify(name))[:length].strip("-")
    base = base or str(model._meta.model_name or "item")
    taken = RESERVED_KEYS | set(
        model.objects.for_org(organisation)
        .filter(key__startswith=base)
        .values_list("key", flat=True)
    )
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# --- generic keyed items -------------------------------------------------------------------


@dataclass
class StaleItem(Exception):
    """Someone saved the item after the editor read ``base_version``; nothing was written.

    ``current`` is the stored item as the refused transaction read it (under its row lock),
    so the page can show it and the API can name its version. Offerings, journeys, decisions
    and bottleneck flags use it; enablers have their own (StaleVersion, with the history).
    """

    current: Any
    base_version: int


def _locked_version(item: Any, base_version: int | None) -> int:
    """Lock the item's row and return its stored version; raise StaleItem when the editor
    started from another one. ``base_version`` None: the caller did not say (no check)."""
    current = lock_row(type(item).objects.for_org(item.organisation), item.pk)
    if base_version is not None and current.version != base_version:
        raise StaleItem(current=current, base_version=base_version)
    return int(current.version)


def item_save(
    *, item: Keyed, actor: Actor, created: bool, base_version: int | None = None
) -> Keyed:
    """Save an area, team, offering, touchpoint or journey built by a form.

    Offerings and journeys count their saves in ``version``. With ``base_version`` (the
    version the editor read) an edit made since by someone else refuses this one: StaleItem,
    nothing written, so their change is kept.
    """
    organisation = item.organisation
    ensure_same_organisation(
        organisation,
        *(getattr(item, f) for f in ("business_area", "team") if hasattr(item, f)),
    )
    with transaction.atomic():
        lock_organisation(organisation)
        if isinstance(item, (Offering, Journey)):
            # Bump from the stored version, not the one the form's copy was read with.
            item.version = 1 if created else _locked_version(item, base_version) + 1
        if not item.key:
            item.key = unique_key(model=type(item), organisation=organisation, name=item.name)
        item.save()
        verb = "added" if created else "changed"
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{str(item._meta.verbose_name).capitalize()} “{item.name}” {verb}",
            url=item.get_absolute_url(),
        )
        inputs_changed(organisation=organisation, reason=f"{item._meta.verbose_name} {verb}")
    return item


def item_delete(*, item: Keyed, actor: Actor) -> None:
    with transaction.atomic():
        lock_organisation(item.organisation)
        label = f"{str(item._meta.verbose_name).capitalize()} “{item.name}” deleted"
        organisation = item.organisation
        item.delete()
        record_change(organisation=organisation, actor=actor, summary=label)
        inputs_changed(organisation=organisation, reason=f"{item._meta.verbose_name} deleted")


# --- enablers -------------------------------------------------------------------------------

TRACKED_FIELDS = (
    "name",
    "key",
    "kind",
    "capability",
    "classification",
    "lifecycle",
    "owner_team_id",
    "description",
    "tags",
)


@dataclass
class StaleVersion(Exception):
    """The enabler changed since the editor loaded it; ``changes`` says what changed."""

    current: Enabler
    changes: list[tuple[str, Any, Any]]


def enabler_create(*, enabler: Enabler, actor: Actor, membership: Membership) -> Enabler:
    """Log a new enabler. Team members' new enablers start as proposed."""
    ensure_same_organisation(enabler.organisation, enabler.owner_team)
    if not membership.has_role(Role.ENABLER_OWNER):
        enabler.lifecycle = Lifecycle.PROPOSED
    with transaction.atomic():
        lock_organisation(enabler.organisation)
        if not enabler.key:
            enabler.key = unique_key(
                model=Enabler, organisation=enabler.organisation, name=enabler.name
            )
        enabler.version = 1
        enabler.created_by = actor  # type: ignore[assignment]
        enabler._history_user = actor  # type: ignore[attr-defined]
        enabler.save()
        record_change(
            organisation=enabler.organisation,
            actor=actor,
            summary=f"Enabler “{enabler.name}” logged",
            url=enabler.get_absolute_url(),
        )
        inputs_changed(organisation=enabler.organisation, reason="enabler logged")
    return enabler


def _changes_since(enabler: Enabler, base_version: int) -> list[tuple[str, Any, Any]]:
    """Fields that differ between the version an editor started from and the current one."""
    base = enabler.history.filter(version=base_version).order_by("-history_id").first()
    if base is None:
        return []
    changes = []
    for field in TRACKED_FIELDS:
        before, after = getattr(base, field), getattr(enabler, field)
        if before != after:
            changes.append((_label(Enabler, field.removesuffix("_id")), before, after))
    return changes


def enabler_update(
    *, enabler: Enabler, fields: dict[str, Any], base_version: int, actor: Actor
) -> Enabler:
    """Apply ``fields`` to the enabler if nobody saved it since ``base_version``.

    Raises StaleVersion (and changes nothing) when the stored version is newer, so the other
    person's change is kept and the editor is shown what changed.
    """
    organisation = enabler.organisation
    ensure_same_organisation(organisation, fields.get("owner_team"))
    with transaction.atomic():
        lock_organisation(organisation)
        current = lock_row(Enabler.objects.for_org(organisation), enabler.pk)
        if current.version != base_version:
            raise StaleVersion(current=current, changes=_changes_since(current, base_version))
        changed = [name for name, value in fields.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name, value in fields.items():
            setattr(current, name, value)
        if not current.key:
            current.key = unique_key(model=Enabler, organisation=organisation, name=current.name)
        current.version += 1
        current._history_user = actor  # type: ignore[attr-defined]
        current.save()
        described = ", ".join(_label(Enabler, n) for n in changed)
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Enabler “{current.name}”: {described} changed",
            url=current.get_absolute_url(),
        )
        inputs_changed(organisation=organisation, reason="enabler changed")
    return current


# --- usages ---------------------------------------------------------------------------------


def usage_add(
    *, enabler: Enabler, offering: Offering, criticality: str, actor: Actor
) -> EnablerUsage:
    ensure_same_organisation(enabler.organisation, offering)
    with transaction.atomic():
        lock_organisation(enabler.organisation)
        usage, _ = EnablerUsage.objects.for_org(enabler.organisation).update_or_create(
            enabler=enabler,
            offering=offering,
            defaults={"criticality": criticality, "organisation": enabler.organisation},
        )
        record_change(
            organisation=enabler.organisation,
            actor=actor,
            summary=f"“{offering.name}” now uses “{enabler.name}”",
            url=enabler.get_absolute_url(),
        )
        inputs_changed(organisation=enabler.organisation, reason="usage added")
    return usage


def usage_remove(*, usage: EnablerUsage, actor: Actor) -> None:
    with transaction.atomic():
        lock_organisation(usage.organisation)
        summary = f"“{usage.offering.name}” no longer uses “{usage.enabler.name}”"
        url = usage.enabler.get_absolute_url()
        usage.delete()
        record_change(organisation=usage.organisation, actor=actor, summary=summary, url=url)
        inputs_changed(organisation=usage.organisation, reason="usage removed")


# --- journeys -------------------------------------------------------------------------------
# A step added, removed, moved or replaced is a change of the journey: it is checked against
# the version the editor read and counts as a new version, like an edit of its name.


def _journey_lock(journey: Journey, base_version: int | None) -> None:
    """Lock the journey's row (step changes queue behind each other) and check the version."""
    journey.version = _locked_version(journey, base_version)


def _journey_changed(journey: Journey, *, bump: bool = True) -> None:
    """Count the change in the stored journey and in ``journey``, which the page shows next."""
    if bump:
        journey.version += 1
    Journey.objects.for_org(journey.organisation).filter(pk=journey.pk).update(
        version=journey.version, updated_at=timezone.now()
    )


def step_add(
    *,
    journey: Journey,
    name: str,
    offering: Offering,
    touchpoints: list[Touchpoint],
    actor: Actor,
    base_version: int | None = None,
) -> JourneyStep:
    """Append a step to the end of the journey (a change of the journey: see _journey_lock)."""
    ensure_same_organisation(journey.organisation, offering, *touchpoints)
    with transaction.atomic():
        lock_organisation(journey.organisation)
        _journey_lock(journey, base_version)
        last = journey.steps.aggregate(last=Max("position"))["last"]
        step = JourneyStep.objects.create(
            organisation=journey.organisation,
            journey=journey,
            position=(last or 0) + 1,
            name=name,
            offering=offering,
        )
        step.touchpoints.set(touchpoints)
        _journey_changed(journey)
        record_change(
            organisation=journey.organisation,
            actor=actor,
            summary=f"Step “{name}” added to journey “{journey.name}”",
            url=journey.get_absolute_url(),
        )
        inputs_changed(organisation=journey.organisation, reason="journey step added")
    return step


@dataclass(frozen=True)
class StepSpec:
    """One step of a journey as a whole list of steps gives it (the API's journey body)."""

    name: str
    offering: Offering
    touchpoints: tuple[Touchpoint, ...] = ()


def steps_replace(
    *,
    journey: Journey,
    steps: list[StepSpec],
    actor: Actor,
    base_version: int | None = None,
    bump: bool = True,
) -> None:
    """Make the journey's steps exactly ``steps``, in that order (one transaction).

    ``bump`` False: the caller's change already counted (the API's PATCH of a journey's
    fields and steps, or a new journey with its steps, is one change: one version).
    """
    organisation = journey.organisation
    ensure_same_organisation(
        organisation, *(s.offering for s in steps), *(t for s in steps for t in s.touchpoints)
    )
    with transaction.atomic():
        lock_organisation(organisation)
        _journey_lock(journey, base_version)
        JourneyStep.objects.for_org(organisation).filter(journey=journey).delete()
        made = JourneyStep.objects.bulk_create(
            JourneyStep(
                organisation=organisation,
                journey=journey,
                position=position,
                name=spec.name,
                offering=spec.offering,
            )
            for position, spec in enumerate(steps, start=1)
        )
        JourneyStep.touchpoints.through.objects.bulk_create(
            JourneyStep.touchpoints.through(journeystep_id=step.pk, touchpoint_id=touchpoint.pk)
            for step, spec in zip(made, steps, strict=True)
            for touchpoint in dict.fromkeys(spec.touchpoints)
        )
        _journey_changed(journey, bump=bump)
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Steps of journey “{journey.name}” replaced ({len(steps)})",
            url=journey.get_absolute_url(),
        )
        inputs_changed(organisation=organisation, reason="journey steps changed")


def _renumber(journey: Journey, ordered: list[JourneyStep]) -> None:
    # Positions are unique per journey: park them out of the way, then number from 1.
    offset = 1_000_000
    for index, step in enumerate(ordered):
        step.position = offset + index
        step.save(update_fields=["position"])
    for index, step in enumerate(ordered, start=1):
        step.position = index
        step.save(update_fields=["position"])


def step_remove(*, step: JourneyStep, actor: Actor, base_version: int | None = None) -> None:
    journey = step.journey
    with transaction.atomic():
        lock_organisation(journey.organisation)
        _journey_lock(journey, base_version)
        step.delete()
        _renumber(journey, list(journey.steps.select_for_update().order_by("position")))
        _journey_changed(journey)
        record_change(
            organisation=journey.organisation,
            actor=actor,
            summary=f"Step “{step.name}” removed from journey “{journey.name}”",
            url=journey.get_absolute_url(),
        )
        inputs_changed(organisation=journey.organisation, reason="journey step removed")


def step_move(
    *, step: JourneyStep, direction: int, actor: Actor, base_version: int | None = None
) -> None:
    """Move a step one place up (-1) or down (+1); at either end nothing happens."""
    journey = step.journey
    with transaction.atomic():
        lock_organisation(journey.organisation)
        _journey_lock(journey, base_version)
        ordered = list(journey.steps.select_for_update().order_by("position"))
        index = next(i for i, s in enumerate(ordered) if s.pk == step.pk)
        target = index + direction
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(journey, ordered)
        _journey_changed(journey)
        record_change(
            organisation=journey.organisation,
            actor=actor,
            summary=f"Steps of journey “{journey.name}” reordered",
            url=journey.get_absolute_url(),
        )
        inputs_changed(organisation=journey.organisation, reason="journey steps reordered")


# --- organisations, members, invitations ----------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    teams: list[Team],
    invited_by: Actor | None,
    accept_url_for: Any,
) -> Invitation:
    """Create a one-time invitation and email its link. Only a hash of the token is stored.

    ``accept_url_for(token)`` builds the absolute link for the email.
    """
    ensure_same_organisation(organisation, *teams)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email.strip().lower(),
            role=role,
            token_hash=_hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        invitation.teams.set(teams)
        record_change(
            organisation=organisation,
            actor=invited_by,
            summary=f"{email} invited as {Role(role).label.lower()}",
        )
        link = accept_url_for(token)
        body = render_to_string(
            "catalogue/email/invitation.txt",
            {"organisation": organisation, "invitation": invitation, "link": link},
        )
        transaction.on_commit(
            lambda: send_mail(
                f"You are invited to {organisation.name} on Enabling Model",
                body,
                None,
                [invitation.email],
            )
        )
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    """The pending, unexpired invitation for a token, if any."""
    invitation = (
        Invitation.objects.filter(token_hash=_hash_token(token))
        .unscoped()  # the token is the credential: it names exactly one invitation
        .select_related("organisation")
        .first()
    )
    if invitation is None or invitation.accepted_at or invitation.expires_at < timezone.now():
        return None
    return invitation


def invitation_accept(*, invitation: Invitation, user: Actor) -> Membership:
    """Make the user a member with the invited role and teams; the link is then spent."""
    with transaction.atomic():
        locked = (
            Invitation.objects.for_org(invitation.organisation)
            .select_for_update()
            .get(pk=invitation.pk)
        )
        if locked.accepted_at:
            raise ValueError("This invitation has already been used.")
        membership, _ = Membership.objects.for_org(invitation.organisation).get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        for team in locked.teams.all():
            TeamMembership.objects.for_org(invitation.organisation).get_or_create(
                organisation=invitation.organisation, team=team, membership=membership
            )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        record_change(
            organisation=invitation.organisation,
            actor=user,
            summary=f"{user.get_username()} joined",
        )
    return membership


def membership_update(
    *, membership: Membership, role: str, teams: list[Team], actor: Actor
) -> Membership:
    """Set a member's role and teams; a role change goes to the audit log too."""
    organisation = membership.organisation
    ensure_same_organisation(organisation, *teams)
    with transaction.atomic():
        if membership.role != role:
            before = Role(membership.role).label
            membership.role = role
            membership.save(update_fields=["role"])
            audit.record(
                kind=audit.AuditKind.ROLE_CHANGED,
                organisation=organisation,
                user=membership.user,
                detail=f"{before} → {Role(role).label}{audit.by(actor)}",
            )
        wanted = {team.pk for team in teams}
        existing = TeamMembership.objects.for_org(organisation).filter(membership=membership)
        existing.exclude(team_id__in=wanted).delete()
        have = set(existing.values_list("team_id", flat=True))
        TeamMembership.objects.bulk_create(
            TeamMembership(organisation=organisation, team_id=pk, membership=membership)
            for pk in wanted - have
        )
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{membership.user.get_username()} is now {Role(role).label.lower()}",
        )
    return membership


def membership_remove(*, membership: Membership, actor: Actor) -> None:
    """Remove a member; they are signed out everywhere at once (their sessions are deleted).

    Ending every session, not only those that were in this organisation, is deliberate: a
    session is not tied to one organisation, and a removal should take effect now.
    """
    with transaction.atomic():
        user = membership.user
        name = user.get_username()
        organisation = membership.organisation
        membership.delete()
        record_change(organisation=organisation, actor=actor, summary=f"{name} removed")
        audit.record(
            kind=audit.AuditKind.MEMBER_REMOVED,
            organisation=organisation,
            user=user,
            detail=f"Removed{audit.by(actor)}",
        )
        audit.end_sessions(user_id=user.pk)


def team_member_add(*, team: Team, membership: Membership, actor: Actor) -> None:
    ensure_same_organisation(team.organisation, membership)
    with transaction.atomic():
        TeamMembership.objects.for_org(team.organisation).get_or_create(
            organisation=team.organisation, team=team, membership=membership
        )
        record_change(
            organisation=team.organisation,
            actor=actor,
            summary=f"{membership.user.get_username()} joined team “{team.name}”",
            url=team.get_absolute_url(),
        )


def organisation_update(*, organisation: Organisation, actor: Actor) -> Organisation:
    """Save the organisation's settings as a form changed them (name, declared model...)."""
    with transaction.atomic():
        lock_organisation(organisation)
        before = (
            Organisation.objects.filter(pk=organisation.pk)
            .values_list("delivery_model", flat=True)
            .get()
        )
        organisation.save(update_fields=["name", "delivery_model", "description"])
        record_change(
            organisation=organisation, actor=actor, summary="Organisation settings changed"
        )
        if before != organisation.delivery_model:
            inputs_changed(organisation=organisation, reason="declared delivery model changed")
    return organisation


def organisation_create(
    *,
    name: str,
    slug: str,
    delivery_model: str,
    description: str,
    admin_email: str,
    created_by: Actor,
    accept_url_for: Any,
) -> Organisation:
    """A staff user creates an organisation and names its first admin.

    An existing account with that email becomes admin at once; anyone else is invited.
    """
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name, slug=slug, delivery_model=delivery_model, description=description
        )
        record_change(organisation=organisation, actor=created_by, summary="Organisation created")
        existing = User.objects.filter(email__iexact=admin_email).first()
        if existing is not None:
            Membership.objects.create(organisation=organisation, user=existing, role=Role.ADMIN)
        else:
            invitation_create(
                organisation=organisation,
                email=admin_email,
                role=Role.ADMIN,
                teams=[],
                invited_by=created_by,
                accept_url_for=accept_url_for,
            )
    return organisation


# --- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "em_"
TOKEN_SHOWN = 10  # characters of the token kept in clear, so a person can tell tokens apart


def token_create(
    *, membership: Membership, name: str, valid_days: int | None
) -> tuple[ApiToken, str]:
    """A new personal token for ``membership``; returns it with the secret, shown only once."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=membership.organisation,
            membership=membership,
            name=name.strip(),
            prefix=secret[:TOKEN_SHOWN],
            token_hash=_hash_token(secret),
            expires_at=timezone.now() + timedelta(days=valid_days) if valid_days else None,
        )
        record_change(
            organisation=membership.organisation,
            actor=membership.user,
            summary=f"{membership.user.get_username()} made an API token “{token.name}”",
        )
    return token, secret


def token_revoke(*, token: ApiToken, actor: Actor) -> None:
    if token.revoked_at is not None:
        return
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_change(
            organisation=token.organisation,
            actor=actor,
            summary=f"API token “{token.name}” revoked",
        )


# A token's last use is written at most this often, not on every call.
TOKEN_TOUCH_SECONDS = 60


def token_authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, with its membership, organisation and user; else None.

    Revoked and expired tokens, tokens of inactive users and tokens whose membership is gone
    find nothing.
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.filter(token_hash=_hash_token(secret), revoked_at__isnull=True)
        .unscoped()  # found by its secret, which only its owner has
        .select_related("membership", "membership__user", "membership__organisation")
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.membership.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > (
        TOKEN_TOUCH_SECONDS
    ):
        ApiToken.objects.filter(pk=token.pk).unscoped().update(last_used_at=now)
        token.last_used_at = now
    return token

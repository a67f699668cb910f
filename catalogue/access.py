"""The only door to an organisation's objects.

Not a member (or no such organisation, or no such object): 404, so a stranger cannot tell
the three apart. A member without the right role: 403. Every view, htmx partial, task,
command and API call looks things up through these functions.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import DataError, models
from django.http import Http404

from . import audit
from .models import Keyed, Membership, Organisation, OrgOwned
from .permissions import can

K = TypeVar("K", bound=Keyed)
O = TypeVar("O", bound=OrgOwned)  # noqa: E741


class CrossOrganisationReference(ValueError):
    """A write referred to an object of another organisation."""


def get_membership_for_user(
    user: AbstractBaseUser | AnonymousUser, org_slug: str, *, need: str = "org.view"
) -> Membership:
    """The user's membership of the organisation ``org_slug``, with the organisation loaded.

    404 when the user is not a member (or the organisation does not exist); 403 when the
    member's role does not grant ``need``. One query reads all of the user's memberships;
    the page's organisation switcher takes them from the one returned (``memberships_of``).
    """
    if not user.is_authenticated:
        raise Http404("No such organisation")
    mine = _memberships(user)
    membership = next((m for m in mine if m.organisation.slug == org_slug), None)
    if membership is None:
        raise Http404("No such organisation")
    membership.of_user = mine  # type: ignore[attr-defined]
    require(membership, need)
    return membership


def _memberships(user: AbstractBaseUser) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .unscoped()  # the user's own memberships only
        .select_related("organisation", "user")
        .order_by("organisation__name", "pk")
    )


def memberships_of(
    user: AbstractBaseUser | AnonymousUser, membership: Membership | None = None
) -> list[Membership]:
    """Every organisation the user belongs to, for the organisation switcher: those read
    with ``membership`` (the page's, from get_membership_for_user) when given."""
    if not user.is_authenticated:
        return []
    mine = getattr(membership, "of_user", None)
    if mine is not None and membership is not None and membership.user_id == user.pk:
        return list(mine)
    return _memberships(user)


def require(membership: Membership, perm: str, obj: object = None) -> None:
    """Raise PermissionDenied (403) unless the member's role grants ``perm`` on ``obj``.

    Every refusal is written to the audit log (one insert, only when it happens): pages and
    the API both come through here.
    """
    if not can(membership, perm, obj):
        audit.record_denial(membership=membership, perm=perm)
        raise PermissionDenied("Your role in this organisation does not allow this.")


def get_object_for_user(
    membership: Membership,
    queryset: models.QuerySet[O],
    *,
    need: str = "org.view",
    **lookup: object,
) -> O:
    """One object of the member's organisation, or 404; then 403 unless ``need`` holds."""
    try:
        obj = queryset.for_org(membership.organisation).filter(**lookup).first()  # type: ignore[attr-defined]
    except (ValueError, OverflowError, DataError):
        obj = None  # an id no database could hold: not found, like any other
    if obj is None:
        raise Http404("Not found in this organisation")
    obj.organisation = membership.organisation  # spare a query when the object links back
    require(membership, need, obj)
    return obj


def get_keyed_for_user(
    membership: Membership, model: type[K], key: str, *, need: str = "org.view"
) -> K:
    """``get_<thing>_for_user`` for every keyed entity (area, team, offering, enabler, ...)."""
    return get_object_for_user(membership, model.objects.all(), need=need, key=key)


def ensure_same_organisation(organisation: Organisation, *objects: OrgOwned | None) -> None:
    """Refuse a write whose references point into another organisation."""
    for obj in objects:
        if obj is not None and obj.organisation_id != organisation.pk:
            raise CrossOrganisationReference(
                f"{obj._meta.verbose_name} {obj.pk} belongs to another organisation"
            )

"""What the fuzz tests share: who posts, the pools of known values, and the checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.messages import get_messages
from django.test import Client
from hypothesis import HealthCheck

from tests import factories as f
from tests.conftest import Cast, World, client_for

from .fingerprint import Fingerprint, differences, fingerprint

RANKS = ("viewer", "member", "owner", "leader", "admin")
# May use the form or operation (409 and 422: refused by the state of things, not the role).
ALLOWED = {"200", "201", "202", "204", "302", "409", "422"}
TEAM_SCOPED = {"member", "owner"}  # roles acting for their own teams only
FOREIGN_KEY = "globex-only"  # a key only globex has
# The cast is a function-scoped fixture shared by every example (each example rolls back);
# sizes and slowness are what the fuzz is for.
SUPPRESSED = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
]


def actors_for(expect: dict[str, Any]) -> list[str]:
    """Who posts: the lowest role allowed to use the form, and leadership too when that role
    acts for its own teams only (what it may choose differs)."""
    allowed = [actor for actor in RANKS if str(expect[actor]) in ALLOWED]
    if not allowed:
        return []
    chosen = [allowed[0]]
    if allowed[0] in TEAM_SCOPED and "leader" in allowed:
        chosen.append("leader")
    return chosen


def client_as(cast: Cast, actor: str) -> Client:
    if actor == "anonymous":
        return Client()
    if actor == "staff":
        client = Client()
        client.force_login(f.UserFactory(username="fuzz-staff", is_staff=True))
        return client
    return client_for(getattr(cast, actor))


def world_values(world: World) -> list[str]:
    """Every key and id of one organisation's world, as form values."""
    found = []
    for item in vars(world).values():
        found.append(str(item.pk))
        key = getattr(item, "key", "")
        if key:
            found.append(key)
    return found


def foreign_items(cast: Cast) -> list[str]:
    """Keys and ids of globex, with items only globex has, so a form naming them is naming
    another organisation's data (the same keys as acme's are in the world already)."""
    from assessments import services as assessments_services
    from assessments.models import AssessmentRound, BottleneckFlag

    org = cast.other.org
    made: list[Any] = [
        f.AreaFactory(organisation=org, key=FOREIGN_KEY, name="Globex only area"),
        f.TeamFactory(organisation=org, key=FOREIGN_KEY, name="Globex only team"),
        f.OfferingFactory(organisation=org, key=FOREIGN_KEY, name="Globex only offering"),
        f.TouchpointFactory(organisation=org, key=FOREIGN_KEY, name="Globex only touchpoint"),
        f.JourneyFactory(organisation=org, key=FOREIGN_KEY, name="Globex only journey"),
        f.EnablerFactory(organisation=org, key=FOREIGN_KEY, name="Globex only enabler"),
        AssessmentRound.objects.create(
            organisation=org, key="globex-round", name="Globex round", sequence=1
        ),
        BottleneckFlag.objects.create(
            organisation=org,
            key="globex-flag",
            team=cast.other.delivery,
            enabler=cast.other.payments,
            severity="high",
            summary="Globex flag",
            raised_by=cast.outsider.user,
        ),
        assessments_services.decision_propose(
            organisation=org,
            draft=assessments_services.DecisionDraft(title="Globex decision"),
            actor=None,
        ),
        cast.outsider,
    ]
    found = world_values(cast.other)
    for item in made:
        found.append(str(item.pk))
        if getattr(item, "key", ""):
            found.append(item.key)
    return sorted(set(found))


def acme_values(cast: Cast) -> list[str]:
    members = [cast.admin, cast.leader, cast.owner, cast.member, cast.viewer]
    return sorted(set(world_values(cast.world)) | {str(p.pk) for p in members})


def flat(valid: dict[str, Any]) -> list[str]:
    """The plain values of a valid submission (files left out)."""
    found = []
    for value in valid.values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str | int):
                found.append(str(item))
    return found


def was_refused(response: Any) -> bool:
    """A 4xx, or a redirect with an error message of this request (``nothing was saved``)."""
    if response.status_code >= 400:
        return True
    if 300 <= response.status_code < 400 and hasattr(response, "wsgi_request"):
        # Only the messages this request added: the client may carry older ones.
        added = getattr(get_messages(response.wsgi_request), "_queued_messages", [])
        return any(message.level >= messages.ERROR for message in added)
    return False


@dataclass
class Check:
    """The fingerprint before a request, and the checks after it."""

    before: Fingerprint

    @classmethod
    def start(cls) -> Check:
        return cls(fingerprint())

    def after(self, response: Any, what: str) -> None:
        status = response.status_code
        assert status < 500, f"{what}: {status}\n{response.content[:2000]!r}"
        if was_refused(response):
            changed = differences(self.before, fingerprint())
            assert changed == [], f"{what}: refused with {status}, yet wrote: {changed}"

"""Two writes at the same moment, in two threads with their own connections, on PostgreSQL.

Accepting a decision locks the organisation, then the enablers it changes; an enabler edit
or a flag step locked its own row first and the organisation last (moving the balance
inputs on), so the two could each hold what the other waited for: PostgreSQL's "deadlock
detected", a 500. Every write now locks the organisation first; the second one waits for
the first and then sees its version (refused as stale, nothing lost).

Each test holds the first write open at the point where the old order deadlocked and lets
the second one run into it. SQLite runs one writer at a time and cannot deadlock: skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from assessments import services as assessments_services
from assessments.models import BottleneckFlag, Decision, FlagAction
from assessments.services import DecisionDraft, decision_accept, decision_propose
from catalogue import services as catalogue_services
from catalogue.models import Enabler
from catalogue.services import StaleItem, StaleVersion, enabler_update
from tests.conftest import Cast

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
    ),
]

# How long the first write waits, holding its locks, for the second to take its own.
OVERLAP_SECONDS = 2.0


class Outcome:
    """What a thread's write did: its result or the error it raised."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None


def run(work: Callable[[], Any], outcome: Outcome) -> threading.Thread:
    def target() -> None:
        try:
            outcome.result = work()
        except BaseException as error:  # reported by the test
            outcome.error = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def hold_open(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    *,
    arrived: threading.Event,
    then_wait_for: threading.Event,
) -> None:
    """Make ``module.name`` signal ``arrived``, then wait (at most OVERLAP_SECONDS) for the
    other write to get as far as it can, then do its work."""
    original = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        arrived.set()
        then_wait_for.wait(OVERLAP_SECONDS)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)


def test_an_enabler_edit_during_an_acceptance_waits_and_is_refused_as_stale(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, eager_tasks: None
) -> None:
    payments = cast.world.payments
    decision = decision_propose(
        organisation=cast.world.org,
        draft=DecisionDraft(title="Repeatable payments", changes=((payments, "repeatable"),)),
        actor=cast.owner.user,
    )
    read_version = payments.version  # the editor opened the form before the acceptance
    accepting, editing = threading.Event(), threading.Event()
    # The acceptance holds the organisation's lock, about to lock the enablers.
    hold_open(
        monkeypatch,
        assessments_services,
        "_lock_enablers",
        arrived=accepting,
        then_wait_for=editing,
    )
    # The edit, once it holds whatever it takes first, is about to move the inputs on.
    hold_open(
        monkeypatch,
        catalogue_services,
        "record_change",
        arrived=editing,
        then_wait_for=threading.Event(),
    )

    accepted, edited = Outcome(), Outcome()
    first = run(lambda: decision_accept(decision=decision, actor=cast.leader.user), accepted)
    assert accepting.wait(10)
    second = run(
        lambda: enabler_update(
            enabler=payments,
            fields={"description": "Edited while the decision was accepted"},
            base_version=read_version,
            actor=cast.leader.user,
        ),
        edited,
    )
    first.join(30)
    second.join(30)

    assert accepted.error is None, accepted.error
    assert isinstance(edited.error, StaleVersion), edited.error
    stored = Enabler.objects.for_org(cast.world.org).get(pk=payments.pk)
    assert stored.classification == "repeatable"
    assert stored.description != "Edited while the decision was accepted"
    assert Decision.objects.for_org(cast.world.org).get(pk=decision.pk).status == "accepted"


def test_a_flag_step_during_a_merge_waits_and_is_refused_as_stale(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, eager_tasks: None
) -> None:
    # The merge moves the flags of the enabler merged away; acknowledging one of them at the
    # same moment locked the flag (and, with it, its enabler) first.
    world = cast.world
    flag = assessments_services.flag_raise(
        organisation=world.org,
        team=world.delivery,
        enabler=world.search,
        offering=None,
        journey=None,
        severity="high",
        summary="Search is slow to change",
        details="",
        actor=cast.member.user,
    )
    decision = decision_propose(
        organisation=world.org,
        draft=DecisionDraft(
            title="One search", merge_into=world.payments, merge_from=(world.search,)
        ),
        actor=cast.owner.user,
    )
    read_version = flag.version
    accepting, stepping = threading.Event(), threading.Event()
    hold_open(
        monkeypatch,
        assessments_services,
        "_lock_enablers",
        arrived=accepting,
        then_wait_for=stepping,
    )
    hold_open(
        monkeypatch,
        assessments_services,
        "record_change",
        arrived=stepping,
        then_wait_for=threading.Event(),
    )

    accepted, stepped = Outcome(), Outcome()
    first = run(lambda: decision_accept(decision=decision, actor=cast.leader.user), accepted)
    assert accepting.wait(10)
    second = run(
        lambda: assessments_services.flag_transition(
            flag=flag,
            action=FlagAction.ACKNOWLEDGED,
            note="On it",
            actor=cast.owner.user,
            base_version=read_version,
        ),
        stepped,
    )
    first.join(30)
    second.join(30)

    assert accepted.error is None, accepted.error
    assert isinstance(stepped.error, StaleItem), stepped.error
    stored = BottleneckFlag.objects.for_org(world.org).get(pk=flag.pk)
    assert stored.enabler_id == world.payments.pk  # moved by the merge, not lost

"""Writes of the assessments app: rounds and assessments, bottleneck flags and their
notifications, the balance report pipeline, thresholds and the organisation file.

Each write is one transaction. A write that changes an input of the balance method calls
``inputs_changed`` inside it, which moves the organisation's generation on; a recompute is
queued after commit (see ``recompute_if_stale``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, InterfaceError, OperationalError, connections, transaction
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from catalogue.access import ensure_same_organisation
from catalogue.models import (
    Classification,
    Enabler,
    EnablerUsage,
    Journey,
    Lifecycle,
    Membership,
    Offering,
    Organisation,
    Role,
    Team,
    TeamMembership,
)
from catalogue.services import (
    Actor,
    StaleItem,
    inputs_changed,
    lock_organisation,
    lock_row,
    record_change,
    unique_key,
)

from . import madr
from .balance import Thresholds, compute, report_to_dict
from .loader import load_balance_input
from .models import (
    Assessment,
    AssessmentRound,
    BalanceReport,
    BottleneckFlag,
    Decision,
    DecisionChange,
    DecisionStatus,
    FlagAction,
    FlagComment,
    FlagStatus,
    Notification,
    NotificationKind,
    ReportStatus,
    RoundStatus,
)
from .orgfile import ImportSummary, import_organisation, parse_organisation_file
from .portfolio.shapes import journey_shapes
from .portfolio.summary import summarise
from .selectors import latest_ready_generation, organisation_generation, round_pairs

log = logging.getLogger(__name__)


def thresholds_for(organisation: Organisation) -> Thresholds:
    """The organisation's thresholds: the method's defaults with its overrides applied."""
    return Thresholds.with_overrides(organisation.balance_settings or {})


def thresholds_update(
    *, organisation: Organisation, overrides: dict[str, Any], actor: Actor
) -> Organisation:
    """Store the thresholds that differ from the defaults (validated by the method)."""
    Thresholds.with_overrides(overrides)  # raises ValueError naming a bad setting
    defaults = Thresholds().as_dict()
    kept = {name: value for name, value in overrides.items() if value != defaults[name]}
    with transaction.atomic():
        lock_organisation(organisation)
        organisation.balance_settings = kept
        organisation.save(update_fields=["balance_settings"])
        record_change(organisation=organisation, actor=actor, summary="Balance thresholds changed")
        inputs_changed(organisation=organisation, reason="thresholds changed")
    return organisation


def organisation_file_import(
    content: bytes | str,
    *,
    filename: str = "",
    replace: bool = False,
    actor: Actor | None = None,
    into: Organisation | None = None,
) -> ImportSummary:
    """Read an organisation file and import it in one transaction; when anything changed,
    ask for a fresh balance report. Raises OrganisationFileError with every problem."""
    parsed = parse_organisation_file(content, filename=filename)
    with transaction.atomic():
        summary = import_organisation(parsed, replace=replace, actor=actor, into=into)
        if summary.changed:
            inputs_changed(organisation=summary.organisation, reason="organisation file imported")
    return summary


def _user(actor: Actor | None) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


# --- assessment rounds and assessments -------------------------------------------------------


class RoundError(ValueError):
    """A round cannot be opened, changed or assessed in as asked; the message says why."""


def round_open(
    *, organisation: Organisation, name: str, due_on: date | None, actor: Actor
) -> AssessmentRound:
    """Open a new assessment round. Only one round is open at a time."""
    today = timezone.localdate()
    if due_on is not None and due_on < today:
        raise RoundError("The due date has passed: choose today or a later day.")
    with transaction.atomic():
        lock_organisation(organisation)
        rounds = AssessmentRound.objects.for_org(organisation)
        current = rounds.filter(status=RoundStatus.OPEN).first()
        if current is not None:
            raise RoundError(f"Round “{current.name}” is still open: close it first.")
        last = rounds.aggregate(last=Max("sequence"))["last"]
        assessment_round = AssessmentRound.objects.create(
            organisation=organisation,
            key=unique_key(model=AssessmentRound, organisation=organisation, name=name),
            name=name,
            status=RoundStatus.OPEN,
            sequence=(last or 0) + 1,
            opened_on=today,
            due_on=due_on,
        )
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Assessment round “{name}” opened",
            url=assessment_round.get_absolute_url(),
        )
        inputs_changed(organisation=organisation, reason="assessment round opened")
    return assessment_round


def round_update(
    *, assessment_round: AssessmentRound, name: str, due_on: date | None, actor: Actor
) -> AssessmentRound:
    """Rename an open round or move its due date (a new due date gets a new reminder)."""
    if not assessment_round.is_open:
        raise RoundError("This round is closed and can no longer be changed.")
    if due_on is not None and due_on != assessment_round.due_on and due_on < timezone.localdate():
        raise RoundError("The due date has passed: choose today or a later day.")
    with transaction.atomic():
        fields = ["name", "due_on"]
        if due_on != assessment_round.due_on:
            assessment_round.reminder_sent_on = None  # the new date gets its own reminder
            fields.append("reminder_sent_on")
        assessment_round.name, assessment_round.due_on = name, due_on
        assessment_round.save(update_fields=fields)
        record_change(
            organisation=assessment_round.organisation,
            actor=actor,
            summary=f"Assessment round “{name}” changed",
            url=assessment_round.get_absolute_url(),
        )
    return assessment_round


def round_close(*, assessment_round: AssessmentRound, actor: Actor) -> AssessmentRound:
    """Close the round: its assessments are kept and can no longer change."""
    organisation = assessment_round.organisation
    with transaction.atomic():
        lock_organisation(organisation)
        locked = AssessmentRound.objects.for_org(organisation).select_for_update()
        current = locked.get(pk=assessment_round.pk)
        if not current.is_open:
            raise RoundError("This round is already closed.")
        current.status, current.closed_on = RoundStatus.CLOSED, timezone.localdate()
        current.save(update_fields=["status", "closed_on"])
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Assessment round “{current.name}” closed",
            url=current.get_absolute_url(),
        )
        inputs_changed(organisation=organisation, reason="assessment round closed")
    return current


def assessment_save(
    *,
    assessment_round: AssessmentRound,
    team: Team,
    enabler: Enabler,
    fit: int,
    pace: int,
    preferred: str,
    comment: str,
    actor: Actor,
) -> Assessment:
    """Record (or change) one team's view of one enabler in an open round.

    Only enablers on the team's to-do list can be assessed: live enablers used by one of
    the team's offerings.
    """
    organisation = assessment_round.organisation
    ensure_same_organisation(organisation, team, enabler)
    with transaction.atomic():
        lock_organisation(organisation)
        current = (
            AssessmentRound.objects.for_org(organisation)
            .select_for_update()
            .get(pk=assessment_round.pk)
        )
        if not current.is_open:
            raise RoundError("This round is closed: its assessments can no longer change.")
        if (team.pk, enabler.pk) not in round_pairs(organisation=organisation, team=team):
            raise RoundError(
                f"{team.name} does not use {enabler.name} in any of its offerings, "
                "so it is not on the team's list."
            )
        assessment, _ = Assessment.objects.for_org(organisation).update_or_create(
            round=current,
            team=team,
            enabler=enabler,
            defaults={
                "organisation": organisation,
                "fit": fit,
                "pace": pace,
                "preferred": preferred,
                "comment": comment,
                "assessed_by": _user(actor),
            },
        )
        inputs_changed(organisation=organisation, reason="assessment saved")
    return assessment


# --- bottleneck flags ------------------------------------------------------------------------


class FlagError(ValueError):
    """A flag cannot be changed as asked; the message says why."""


def _team_users(organisation: Organisation, team_id: int | None, *, but: Any = None) -> list[Any]:
    if team_id is None:
        return []
    users = (
        get_user_model()
        .objects.filter(
            pk__in=TeamMembership.objects.for_org(organisation)
            .filter(team_id=team_id)
            .values("membership__user_id")
        )
        .filter(is_active=True)
        .order_by("pk")
    )
    return [user for user in users if but is None or user.pk != but.pk]


def notify(
    *,
    organisation: Organisation,
    recipients: Iterable[Any],
    kind: str,
    text: str,
    url: str = "",
    flag: BottleneckFlag | None = None,
    assessment_round: AssessmentRound | None = None,
) -> list[Notification]:
    """Tell people something: in the app now, and by email in their next digest."""
    return Notification.objects.for_org(organisation).bulk_create(
        Notification(
            organisation=organisation,
            recipient=recipient,
            kind=kind,
            text=text[:300],
            url=url[:300],
            flag=flag,
            round=assessment_round,
        )
        for recipient in recipients
    )


def flag_raise(
    *,
    organisation: Organisation,
    team: Team,
    enabler: Enabler,
    offering: Offering | None,
    journey: Journey | None,
    severity: str,
    summary: str,
    details: str,
    actor: Actor,
) -> BottleneckFlag:
    """A team flags a bottleneck on an enabler; the enabler's owner team is told."""
    ensure_same_organisation(organisation, team, enabler, offering, journey)
    with transaction.atomic():
        lock_organisation(organisation)  # the key is unique: pick it under the lock
        flag = BottleneckFlag(
            organisation=organisation,
            key=unique_key(
                model=BottleneckFlag, organisation=organisation, name=summary, length=40
            ),
            team=team,
            enabler=enabler,
            offering=offering,
            journey=journey,
            severity=severity,
            summary=summary,
            details=details,
            raised_by=_user(actor),
        )
        flag._history_user = _user(actor)  # type: ignore[attr-defined]
        flag.save()
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{team.name} flagged “{enabler.name}”: {summary}",
            url=flag.get_absolute_url(),
        )
        notify(
            organisation=organisation,
            recipients=_team_users(organisation, enabler.owner_team_id, but=_user(actor)),
            kind=NotificationKind.FLAG_RAISED,
            text=f"{team.name} flagged {enabler.name} ({flag.get_severity_display().lower()}): "
            f"{summary}",
            url=flag.get_absolute_url(),
            flag=flag,
        )
        inputs_changed(organisation=organisation, reason="bottleneck flag raised")
    return flag


# action -> (statuses it applies to, new status, notification kind, timestamp field)
FLAG_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    FlagAction.ACKNOWLEDGED: (
        (FlagStatus.OPEN,),
        FlagStatus.ACKNOWLEDGED,
        NotificationKind.FLAG_ACKNOWLEDGED,
    ),
    FlagAction.RESOLVED: (
        (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED),
        FlagStatus.RESOLVED,
        NotificationKind.FLAG_RESOLVED,
    ),
    FlagAction.REOPENED: (
        (FlagStatus.RESOLVED, FlagStatus.ACKNOWLEDGED),
        FlagStatus.OPEN,
        NotificationKind.FLAG_REOPENED,
    ),
}


def flag_actions(flag: BottleneckFlag) -> list[str]:
    """The actions that apply to the flag in its current status."""
    return [action for action, (froms, _, _) in FLAG_TRANSITIONS.items() if flag.status in froms]


def flag_transition(
    *,
    flag: BottleneckFlag,
    action: str,
    note: str,
    actor: Actor,
    base_version: int | None = None,
) -> BottleneckFlag:
    """Acknowledge, resolve or reopen a flag with a note; the raising team is told.

    Raises StaleItem (and changes nothing) when someone changed the flag since the responder
    read ``base_version`` (their note may change the answer), and FlagError when the flag's
    status does not allow the action, for example when someone else resolved it a moment ago.
    """
    if action not in FLAG_TRANSITIONS:
        raise FlagError(f"Unknown action “{action}”.")
    froms, to, kind = FLAG_TRANSITIONS[action]
    organisation = flag.organisation
    with transaction.atomic():
        lock_organisation(organisation)
        # The flag's row only (lock_row locks no joined row: not its enabler's or team's).
        current = lock_row(
            BottleneckFlag.objects.for_org(organisation).select_related("enabler", "team"),
            flag.pk,
        )
        if base_version is not None and current.version != base_version:
            raise StaleItem(current=current, base_version=base_version)
        if current.status not in froms:
            raise FlagError(
                f"This flag is {current.get_status_display().lower()}, so it cannot be "
                f"{FlagAction(action).label.lower()} now."
            )
        now = timezone.now()
        current.status = to
        if to == FlagStatus.ACKNOWLEDGED:
            current.acknowledged_at = now
        elif to == FlagStatus.RESOLVED:
            current.resolved_at = now
        else:
            current.resolved_at = None
        current.version += 1
        current._history_user = _user(actor)  # type: ignore[attr-defined]
        current.save()
        FlagComment.objects.create(
            organisation=organisation,
            flag=current,
            author=_user(actor),
            action=action,
            body=note,
            created_at=now,
        )
        verb = FlagAction(action).label.lower()
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"Flag on “{current.enabler.name}” {verb}: {current.summary}",
            url=current.get_absolute_url(),
        )
        who = actor.get_username() if actor.is_authenticated else "Someone"
        notify(
            organisation=organisation,
            recipients=_team_users(organisation, current.team_id, but=_user(actor)),
            kind=kind,
            text=f"{who} {verb} your flag on {current.enabler.name}: {current.summary}",
            url=current.get_absolute_url(),
            flag=current,
        )
        inputs_changed(organisation=organisation, reason=f"bottleneck flag {verb}")
    return current


def flag_comment(*, flag: BottleneckFlag, body: str, actor: Actor) -> FlagComment:
    """Add a comment to a flag's conversation."""
    if not body.strip():
        raise FlagError("Write a comment first.")
    return FlagComment.objects.create(
        organisation=flag.organisation, flag=flag, author=_user(actor), body=body.strip()
    )


# --- notifications ---------------------------------------------------------------------------


def notifications_mark_read(
    *, organisation: Organisation, user: Actor, ids: Iterable[int] | None = None
) -> int:
    """Mark the user's notifications in this organisation as read (all, or those ``ids``)."""
    unread = Notification.objects.for_org(organisation).filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def digests_send(*, now: Any = None) -> int:
    """Email each person one digest of everything they were told since their last one.

    The notifications are claimed first (``emailed_at`` set to this run's time), so two runs
    at once never send the same one twice. Notifications that need no email are claimed and
    left out: those already read in the app, those of people without an email address, no
    longer active, or no longer members of the organisation. When sending fails the claim is
    released, so the next run tries again. Returns the number of emails sent.
    """
    now = now or timezone.now()
    pending = (
        Notification.objects.unscoped()  # one pass over every organisation, by recipient
        .filter(emailed_at=None)
        .select_related("organisation", "recipient")
        .order_by("recipient_id", "organisation__name", "organisation_id", "created_at", "id")
    )
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for note in pending[:5000]:
        by_recipient[note.recipient_id].append(note)
    members = set(
        Membership.objects.unscoped()
        .filter(user_id__in=list(by_recipient))
        .values_list("user_id", "organisation_id")
    )
    unscoped = Notification.objects.unscoped
    sent = 0
    for notes in by_recipient.values():
        ids = [n.pk for n in notes]
        claimed = unscoped().filter(pk__in=ids, emailed_at=None).update(emailed_at=now)
        if claimed == 0:
            continue  # another run took them all; it sends them
        if claimed != len(notes):
            # Another run took some between our read and our claim: send only ours.
            ours = set(unscoped().filter(pk__in=ids, emailed_at=now).values_list("pk", flat=True))
            notes = [n for n in notes if n.pk in ours]
        recipient = notes[0].recipient
        notes = [
            n for n in notes if n.read_at is None and (recipient.pk, n.organisation_id) in members
        ]
        if not notes or not recipient.email or not recipient.is_active:
            continue
        count = len(notes)
        body = render_to_string(
            "assessments/email/digest.txt",
            {
                "recipient": recipient,
                "notes": notes,
                "base_url": settings.SITE_URL.rstrip("/"),
                "interval_minutes": max(1, round(settings.NOTIFICATION_DIGEST_SECONDS / 60)),
            },
        )
        # A header must be one line: texts come from what people typed.
        first = " ".join(notes[0].text.split())
        subject = (
            f"Enabling Model: {count} updates for you"
            if count != 1
            else f"Enabling Model: {first}"[:150]
        )
        try:
            send_mail(subject, body, None, [recipient.email])
        except Exception:
            log.exception(
                "Digest to user %s could not be sent; it will be tried again", recipient.pk
            )
            unscoped().filter(pk__in=[n.pk for n in notes], emailed_at=now).update(emailed_at=None)
            continue
        sent += 1
    return sent


def round_reminders_send(*, today: date | None = None) -> int:
    """Remind teams with enablers left to assess, a few days before an open round is due.

    Each round's reminder goes once (a new due date gets a new one). Returns how many people
    were reminded.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.ROUND_REMINDER_DAYS)
    due = (
        AssessmentRound.objects.unscoped()  # a periodic job over every organisation
        .filter(status=RoundStatus.OPEN, reminder_sent_on=None, due_on__gte=today)
        .filter(due_on__lte=horizon)
        .select_related("organisation")
    )
    reminded = 0
    for assessment_round in due:
        organisation = assessment_round.organisation
        with transaction.atomic():
            claimed = (
                AssessmentRound.objects.for_org(organisation)
                .filter(pk=assessment_round.pk, reminder_sent_on=None)
                .update(reminder_sent_on=today)
            )
            if not claimed:
                continue
            pairs = round_pairs(organisation=organisation)
            done = set(
                Assessment.objects.for_org(organisation)
                .filter(round=assessment_round)
                .values_list("team_id", "enabler_id")
            )
            left: dict[int, int] = defaultdict(int)
            for team_id, _enabler in pairs - done:
                left[team_id] += 1
            teams = Team.objects.for_org(organisation).in_bulk(list(left))
            for team_id, count in sorted(left.items()):
                team = teams[team_id]
                url = assessment_round.get_team_url(team)
                recipients = _team_users(organisation, team_id)
                notify(
                    organisation=organisation,
                    recipients=recipients,
                    kind=NotificationKind.ROUND_REMINDER,
                    text=f"{team.name} has {count} enabler{'s' if count != 1 else ''} left to "
                    f"assess in “{assessment_round.name}”, due "
                    f"{assessment_round.due_on.day} {assessment_round.due_on:%B}",
                    url=url,
                    assessment_round=assessment_round,
                )
                reminded += len(recipients)
    return reminded


# --- the balance report pipeline -------------------------------------------------------------


def is_stale(organisation_id: int) -> bool:
    """True when the organisation changed since its latest ready report was computed."""
    latest = latest_ready_generation(organisation_id)
    return latest is None or latest < organisation_generation(organisation_id)


def _queue(report_id: int, countdown: float = 0.0) -> None:
    from .tasks import compute_balance_report

    if (
        countdown > 0
        and compute_balance_report.app.conf.task_always_eager
        and settings.BALANCE_EAGER_WAIT_IN_THREAD
    ):
        # No broker (the embedded default): eager tasks ignore countdowns, so wait out the
        # interval in a background thread; a burst still coalesces into a few recomputes.
        timer = threading.Timer(countdown, _run_later, args=(report_id,))
        timer.daemon = True
        timer.start()
        return
    compute_balance_report.apply_async((report_id,), countdown=countdown)


def _run_later(report_id: int) -> None:
    from .tasks import compute_balance_report

    try:
        compute_balance_report.apply(args=(report_id,))
    finally:
        connections.close_all()  # this thread's own database connection


def _countdown(organisation: Organisation) -> float:
    """Seconds until the organisation's next recompute may start (BALANCE_RECOMPUTE_INTERVAL
    after the last one started)."""
    last = (
        BalanceReport.objects.for_org(organisation)
        .exclude(started_at=None)
        .aggregate(last=Max("started_at"))["last"]
    )
    if last is None:
        return 0.0
    wait = settings.BALANCE_RECOMPUTE_INTERVAL - (timezone.now() - last).total_seconds()
    return max(0.0, min(wait, settings.BALANCE_RECOMPUTE_INTERVAL))


def report_request(
    *, organisation: Organisation, requested_by: Actor | None = None, reason: str = ""
) -> BalanceReport | None:
    """Make sure a recompute is coming: a pending report now, its task queued after commit.

    When a pending report already waits, nothing more is queued: it computes from the
    organisation as it is when it starts, so it covers this change too. The task starts at
    most once per BALANCE_RECOMPUTE_INTERVAL, so a burst of changes coalesces into a few
    recomputes. Returns the new pending report, or None when one was waiting.
    """
    try:
        with transaction.atomic():
            report = BalanceReport.objects.create(
                organisation=organisation,
                requested_by=_user(requested_by),
                reason=reason[:200],
            )
    except IntegrityError:
        return None  # one pending report per organisation: it is already waiting
    countdown = _countdown(organisation)
    transaction.on_commit(lambda: _queue(report.pk, countdown))
    return report


def recompute_if_stale(*, organisation_id: int, reason: str = "") -> BalanceReport | None:
    """Queue a recompute when the organisation's latest report is older than its inputs."""
    if not is_stale(organisation_id):
        return None
    organisation = Organisation.objects.get(pk=organisation_id)
    return report_request(organisation=organisation, reason=reason)


def report_ask(*, organisation: Organisation, actor: Actor) -> None:
    """Leadership asks for a fresh report: counts as a change, so one is always computed."""
    with transaction.atomic():
        lock_organisation(organisation)
        record_change(
            organisation=organisation, actor=actor, summary="Fresh balance report asked for"
        )
        inputs_changed(organisation=organisation, reason="asked for")


@dataclass(frozen=True)
class Timings:
    load_s: float
    compute_s: float
    store_s: float

    @property
    def total_s(self) -> float:
        return self.load_s + self.compute_s + self.store_s


@dataclass(frozen=True)
class Computed:
    """A report computed from the organisation as it is now, ready to store."""

    result: dict[str, Any]
    shapes: dict[str, Any]
    summary: dict[str, Any]  # the portfolio page's share of the result
    thresholds: Thresholds
    load_seconds: float
    compute_seconds: float


def _compute(organisation: Organisation) -> Computed:
    """The organisation's report as it is now, with the seconds spent loading and computing."""
    started = time.perf_counter()
    thresholds = thresholds_for(organisation)
    snapshot = load_balance_input(organisation)
    loaded = time.perf_counter()
    if settings.BALANCE_COMPUTE_TEST_DELAY:
        # Test-only: widen the window in which a worker can be killed mid-recompute.
        time.sleep(settings.BALANCE_COMPUTE_TEST_DELAY)
    report = compute(snapshot, thresholds)
    try:
        shapes = journey_shapes(snapshot, report)
    except Exception:
        # The pictures must never cost the report itself: store it without them.
        log.exception("Journey layouts for %s failed", organisation.pk)
        shapes = {}
    result = report_to_dict(report)
    return Computed(
        result=result,
        shapes=shapes,
        summary=summarise(result),
        thresholds=thresholds,
        load_seconds=loaded - started,
        compute_seconds=time.perf_counter() - loaded,
    )


def _store(
    report: BalanceReport, generation: int, computed: Computed, *, even_if_covered: bool = False
) -> bool:
    """Store a computed result unless a report at least as new is already stored (or, with
    ``even_if_covered``, whatever is stored: an explicit command).

    The organisation row is locked while checking and storing, so two recomputes finishing
    at once store one report per generation, and never one older than a stored one.
    """
    result = computed.result
    with transaction.atomic():
        lock_organisation(report.organisation)
        latest = latest_ready_generation(report.organisation_id)
        if not even_if_covered and latest is not None and latest >= generation:
            report.delete()
            return False
        report.status = ReportStatus.READY
        report.generation = generation
        report.computed_at = timezone.now()
        report.method_version = result["method_version"]
        report.thresholds = computed.thresholds.as_dict()
        report.result = result
        report.shapes = computed.shapes
        report.summary = computed.summary
        report.balance_score = result["balance_score"]
        report.open_flags = result["counts"]["counting_flags"]
        report.model_in_force = result["model_in_force"]
        report.inferred_model = result["inferred_model"]
        report.error = ""
        report.save()
    return True


def _fail(report: BalanceReport, error: Exception) -> None:
    log.exception("Balance report %s failed", report.pk)
    report.status, report.error = ReportStatus.FAILED, f"{type(error).__name__}: {error}"
    report.save(update_fields=["status", "error", "generation"])


DATABASE_ERRORS = (OperationalError, InterfaceError)


def report_run(*, report_id: int, task_id: str = "") -> str:
    """Compute one pending report if the organisation needs it; the Celery task's body.

    Claims the report (pending → running, noting ``task_id``) so only one run computes it;
    the same task (a retry, or its message redelivered after its worker died) may take it
    back from running. Skips the work when a stored report already covers the
    organisation's generation, and stores nothing older than a stored report. Returns what
    happened: "ready", "fresh" (nothing to do), "superseded", "taken" or "missing".
    Database errors are raised as they are, the report left running for the task's retry;
    any other failure is stored on the report (status failed) and raised.
    """
    rows = BalanceReport.objects.unscoped()  # a task has no request: the row names its org
    claimable = Q(status=ReportStatus.PENDING)
    if task_id:
        claimable |= Q(status=ReportStatus.RUNNING, claimed_by=task_id)
    claimed = rows.filter(claimable, pk=report_id).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), claimed_by=task_id[:64]
    )
    if not claimed:
        return "missing" if not rows.filter(pk=report_id).exists() else "taken"
    report = rows.select_related("organisation").get(pk=report_id)
    generation = organisation_generation(report.organisation_id)
    latest = latest_ready_generation(report.organisation_id)
    if latest is not None and latest >= generation:
        report.delete()
        return "fresh"
    report.generation = generation
    report.save(update_fields=["generation"])
    try:
        started = time.perf_counter()
        computed = _compute(report.organisation)
    except DATABASE_ERRORS:
        raise  # the task retries; the report stays running for it
    except Exception as error:
        _fail(report, error)
        raise
    stored = _store(report, generation, computed)
    log.info(
        "Balance report %s for generation %s %s in %.3fs",
        report_id,
        generation,
        "ready" if stored else "superseded",
        time.perf_counter() - started,
    )
    return "ready" if stored else "superseded"


INTERRUPTED = "Interrupted: the worker stopped before the report was computed."


def _sweep_one(organisation: Organisation, rows: Any, latest: int | None, now: Any) -> bool:
    """The sweeper's decision for one organisation; True when it queued a recompute."""
    if latest is not None and latest >= organisation.generation:
        return False
    if latest is None and organisation.generation == 0:
        return False  # a new, empty organisation: nothing to report on yet
    pending = rows.filter(organisation=organisation, status=ReportStatus.PENDING).first()
    if pending is not None:
        overdue = now - timedelta(
            seconds=settings.BALANCE_RECOMPUTE_INTERVAL + settings.BALANCE_SWEEP_SECONDS
        )
        if pending.requested_at >= overdue:
            return False  # its task is due soon
        _queue(pending.pk)  # its task was lost: queue it again (a duplicate is harmless)
        return True
    recently = now - timedelta(seconds=settings.BALANCE_SWEEP_SECONDS)
    if rows.filter(
        organisation=organisation, status=ReportStatus.RUNNING, started_at__gte=recently
    ).exists():
        return False  # one is under way; an older run may have lost its worker: start anew
    failed = (
        rows.filter(organisation=organisation, status=ReportStatus.FAILED)
        .exclude(error=INTERRUPTED)
        .filter(generation=organisation.generation)
        .exists()
    )
    if failed:
        return False  # it would fail again; the next change tries again
    return report_request(organisation=organisation, reason="Stale report found") is not None


def reports_sweep(*, now: Any = None) -> list[int]:
    """Make sure every stale organisation has a recompute coming; the periodic sweeper.

    - a report running for longer than BALANCE_RUNNING_TIMEOUT is marked failed (its worker
      died, e.g. killed or restarted);
    - a pending report whose task should have run by now is queued again (a task lost with
      a broker restart); running it twice is harmless;
    - a stale organisation with nothing pending gets a pending report and a task, unless
      its last attempt at this very generation failed with an error (that would fail again;
      the next change tries again).

    Returns the ids of the organisations it queued a recompute for.
    """
    now = now or timezone.now()
    rows = BalanceReport.objects.unscoped()  # the sweeper looks at every organisation
    rows.filter(
        status=ReportStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.BALANCE_RUNNING_TIMEOUT),
    ).update(status=ReportStatus.FAILED, error=INTERRUPTED)
    ready = dict(
        rows.filter(status=ReportStatus.READY)
        .exclude(generation=None)
        .values_list("organisation_id")
        .annotate(latest=Max("generation"))
        .values_list("organisation_id", "latest")
    )
    queued = []
    for organisation in Organisation.objects.order_by("pk"):
        try:
            if _sweep_one(organisation, rows, ready.get(organisation.pk), now):
                queued.append(organisation.pk)
        except Exception:
            # One organisation's trouble (say, the broker refusing a task) must not stop
            # the sweep for the others; the next sweep tries again.
            log.exception("Sweeping organisation %s failed", organisation.pk)
    return queued


def report_compute_now(
    *, organisation: Organisation, requested_by: Actor | None = None, reason: str = ""
) -> tuple[BalanceReport, Timings]:
    """Compute a report in this process and store it, whatever is stored already (commands
    and benchmarks). Failures are stored on the report and raised."""
    report = BalanceReport.objects.create(
        organisation=organisation,
        requested_by=_user(requested_by),
        reason=reason[:200],
        status=ReportStatus.RUNNING,
        started_at=timezone.now(),
        generation=organisation_generation(organisation),
    )
    assert report.generation is not None
    try:
        computed = _compute(organisation)
    except Exception as error:
        _fail(report, error)
        raise
    started = time.perf_counter()
    _store(report, report.generation, computed, even_if_covered=True)
    return report, Timings(
        computed.load_seconds, computed.compute_seconds, time.perf_counter() - started
    )


# --- decisions ----------------------------------------------------------------------------------


class DecisionError(ValueError):
    """A decision cannot be made or changed as asked; the message says why, in plain words."""


@dataclass(frozen=True)
class DecisionDraft:
    """What a person writes in a decision (the form's cleaned data, or an imported file)."""

    title: str
    context: str = ""
    options: str = ""
    decision: str = ""
    consequences: str = ""
    review_on: date | None = None
    enablers: tuple[Enabler, ...] = ()
    # (enabler, to): "from" is the enabler's classification when the change is written.
    changes: tuple[tuple[Enabler, str], ...] = ()
    flags: tuple[BottleneckFlag, ...] = ()
    report: BalanceReport | None = None
    supersedes: Decision | None = None
    merge_into: Enabler | None = None
    merge_from: tuple[Enabler, ...] = ()


def _check_draft(organisation: Organisation, draft: DecisionDraft, *, number: int | None) -> None:
    ensure_same_organisation(
        organisation,
        *draft.enablers,
        *(enabler for enabler, _ in draft.changes),
        *draft.flags,
        *draft.merge_from,
        *[x for x in (draft.report, draft.supersedes, draft.merge_into) if x is not None],
    )
    if draft.supersedes is not None:
        if draft.supersedes.number == number:
            raise DecisionError("A decision cannot supersede itself.")
        if draft.supersedes.status in (DecisionStatus.REJECTED, DecisionStatus.SUPERSEDED):
            raise DecisionError(
                f"{draft.supersedes.reference} was {draft.supersedes.status}: only a proposed or "
                "accepted decision can be superseded."
            )
    if draft.merge_from and draft.merge_into is None:
        raise DecisionError("Choose the enabler the others are merged into.")
    if draft.merge_into is not None and draft.merge_into in draft.merge_from:
        raise DecisionError(f"{draft.merge_into.name} cannot be merged into itself.")


def _write_draft(decision: Decision, draft: DecisionDraft) -> None:
    """Store the text, links and changes of a decision that is still proposed."""
    for field in ("title", "context", "options", "decision", "consequences", "review_on"):
        setattr(decision, field, getattr(draft, field))
    decision.report = draft.report
    decision.supersedes = draft.supersedes
    decision.merge_into = draft.merge_into
    decision.save()
    affected = {e.pk: e for e in (*draft.enablers, *(e for e, _ in draft.changes))}
    affected |= {e.pk: e for e in draft.merge_from}
    if draft.merge_into is not None:
        affected[draft.merge_into.pk] = draft.merge_into
    decision.enablers.set(list(affected.values()))
    decision.flags.set(list(draft.flags))
    decision.merge_from.set(list(draft.merge_from))
    DecisionChange.objects.for_org(decision.organisation).filter(decision=decision).delete()
    DecisionChange.objects.for_org(decision.organisation).bulk_create(
        DecisionChange(
            organisation=decision.organisation,
            decision=decision,
            enabler=enabler,
            from_classification=enabler.classification,
            to_classification=to,
            position=position,
        )
        for position, (enabler, to) in enumerate(draft.changes)
    )


def decision_propose(*, organisation: Organisation, draft: DecisionDraft, actor: Actor) -> Decision:
    """Record a proposed decision, numbered after the organisation's highest (DEC-001, …)."""
    with transaction.atomic():
        lock_organisation(organisation)  # numbers and keys are unique: pick them under it
        number = (
            Decision.objects.for_org(organisation).aggregate(top=Max("number"))["top"] or 0
        ) + 1
        _check_draft(organisation, draft, number=number)
        key = f"dec-{number:03d}"
        if Decision.objects.for_org(organisation).filter(key=key).exists():
            key = unique_key(model=Decision, organisation=organisation, name=key, length=40)
        decision = Decision(
            organisation=organisation,
            key=key,
            number=number,
            status=DecisionStatus.PROPOSED,
            proposed_by=_user(actor),
        )
        decision._history_user = _user(actor)  # type: ignore[attr-defined]
        _write_draft(decision, draft)
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{decision.reference} proposed: {decision.title}",
            url=decision.get_absolute_url(),
        )
    return decision


def _locked_decision(decision: Decision, base_version: int | None) -> Decision:
    """The decision's row, locked, as stored; StaleItem when someone saved, accepted or
    rejected it since the person read ``base_version`` (None: not checked)."""
    current = lock_row(Decision.objects.for_org(decision.organisation), decision.pk)
    if base_version is not None and current.version != base_version:
        raise StaleItem(current=current, base_version=base_version)
    return current


def decision_update(
    *, decision: Decision, draft: DecisionDraft, actor: Actor, base_version: int | None = None
) -> Decision:
    """Change a proposed decision. Once decided its text stands; supersede it instead.

    StaleItem (nothing written) when it changed since ``base_version``, so the other
    person's change is kept.
    """
    with transaction.atomic():
        lock_organisation(decision.organisation)
        current = _locked_decision(decision, base_version)
        if not current.is_open:
            raise DecisionError(
                f"{current.reference} is {current.status}: its text can no longer be changed. "
                "Propose a new decision that supersedes it."
            )
        _check_draft(decision.organisation, draft, number=current.number)
        current.version += 1
        current._history_user = _user(actor)  # type: ignore[attr-defined]
        _write_draft(current, draft)
    return current


def _stale_changes(decision: Decision) -> list[str]:
    stale = []
    for change in decision.changes.select_related("enabler"):
        enabler = change.enabler
        if enabler.classification != change.from_classification:
            stale.append(
                f"{enabler.name} is now {enabler.classification}, not "
                f"{change.from_classification} as the change from "
                f"{change.from_classification} to {change.to_classification} expects"
            )
    return stale


def _move_to(organisation: Organisation, keep: Enabler, gone: Enabler) -> None:
    """Move one merged enabler's usages, flags and assessments to the one that remains;
    where both already have the same usage or assessment, the remaining one's is kept."""
    usages = EnablerUsage.objects.for_org(organisation)
    kept_offerings = set(usages.filter(enabler=keep).values_list("offering_id", flat=True))
    usages.filter(enabler=gone, offering_id__in=kept_offerings).delete()
    usages.filter(enabler=gone).update(enabler=keep)
    # A flag moved to another enabler has changed: a responder's older copy is refused.
    BottleneckFlag.objects.for_org(organisation).filter(enabler=gone).update(
        enabler=keep, version=F("version") + 1
    )
    assessments = Assessment.objects.for_org(organisation)
    kept = set(assessments.filter(enabler=keep).values_list("round_id", "team_id"))
    clashing = [
        pk
        for pk, round_id, team_id in assessments.filter(enabler=gone).values_list(
            "pk", "round_id", "team_id"
        )
        if (round_id, team_id) in kept
    ]
    assessments.filter(pk__in=clashing).delete()
    assessments.filter(enabler=gone).update(enabler=keep)


def _lock_enablers(decision: Decision) -> None:
    """Lock the rows of the enablers accepting ``decision`` changes: an edit of one waits for
    the acceptance, then finds the new version; the acceptance reads them as stored."""
    ids = set(decision.changes.values_list("enabler_id", flat=True))
    ids |= set(decision.merge_from.values_list("pk", flat=True))
    if decision.merge_into_id is not None:
        ids.add(decision.merge_into_id)
    if ids:
        enablers = Enabler.objects.for_org(decision.organisation).select_for_update()
        list(enablers.filter(pk__in=ids).values_list("pk", flat=True))


def decision_accept(
    *, decision: Decision, actor: Actor, base_version: int | None = None
) -> Decision:
    """Accept a proposed decision and apply it in the same transaction: its classification
    changes, its merge, and the decision it supersedes. Refused, with nothing changed, when
    an enabler's classification no longer matches a change's "from", or (StaleItem) when the
    decision changed since the person read ``base_version``.

    Every enabler and decision it changes counts a new version, so an edit someone started
    before the acceptance is refused rather than undoing it."""
    organisation = decision.organisation
    with transaction.atomic():
        lock_organisation(organisation)
        current = _locked_decision(decision, base_version)
        if not current.is_open:
            raise DecisionError(f"{current.reference} is already {current.status}.")
        _lock_enablers(current)
        stale = _stale_changes(current)
        if stale:
            raise DecisionError(
                f"{current.reference} cannot be accepted: " + "; ".join(stale) + ". "
                "Edit the decision so its changes start from the classifications as they are."
            )
        older = current.supersedes
        if older is not None and older.status not in (
            DecisionStatus.PROPOSED,
            DecisionStatus.ACCEPTED,
        ):
            raise DecisionError(
                f"{older.reference} was {older.status}: a decision cannot supersede it."
            )
        user = _user(actor)
        reason = f"{current.reference} accepted"
        for change in current.changes.select_related("enabler"):
            enabler = change.enabler
            enabler.classification = change.to_classification
            enabler.version += 1
            enabler._history_user = user  # type: ignore[attr-defined]
            enabler._change_reason = reason  # type: ignore[attr-defined]
            enabler.save()
        if current.merge_into is not None:
            keep = current.merge_into
            for gone in current.merge_from.all():
                _move_to(organisation, keep, gone)
                gone.lifecycle = Lifecycle.RETIRED
                gone.version += 1
                gone._history_user = user  # type: ignore[attr-defined]
                gone._change_reason = f"{reason}: merged into {keep.key}"[:100]  # type: ignore[attr-defined]
                gone.save()
            keep.refresh_from_db()
            keep.classification = Classification.COMMON
            keep.version += 1
            keep._history_user = user  # type: ignore[attr-defined]
            keep._change_reason = f"{reason}: merge"  # type: ignore[attr-defined]
            keep.save()
        if older is not None:
            older.status = DecisionStatus.SUPERSEDED
            older.version += 1
            older._history_user = user  # type: ignore[attr-defined]
            older.save(update_fields=["status", "version"])
        current.status = DecisionStatus.ACCEPTED
        current.version += 1
        current.decided_by = user
        current.decided_on = timezone.localdate()
        current._history_user = user  # type: ignore[attr-defined]
        current.save()
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{current.reference} accepted: {current.title}",
            url=current.get_absolute_url(),
        )
        if current.changes.exists() or current.merge_into_id is not None:
            inputs_changed(organisation=organisation, reason=reason)
    return current


def decision_reject(
    *, decision: Decision, actor: Actor, base_version: int | None = None
) -> Decision:
    """Reject a proposed decision; nothing it proposes is applied. StaleItem (nothing
    changed) when it changed since the person read ``base_version``."""
    with transaction.atomic():
        lock_organisation(decision.organisation)
        current = _locked_decision(decision, base_version)
        if not current.is_open:
            raise DecisionError(f"{current.reference} is already {current.status}.")
        current.status = DecisionStatus.REJECTED
        current.version += 1
        current.decided_by = _user(actor)
        current.decided_on = timezone.localdate()
        current._history_user = _user(actor)  # type: ignore[attr-defined]
        current.save()
        record_change(
            organisation=decision.organisation,
            actor=actor,
            summary=f"{current.reference} rejected: {current.title}",
            url=current.get_absolute_url(),
        )
    return current


def decision_reviews_remind(*, today: date | None = None) -> int:
    """Tell a decision's proposer and the organisation's leadership when its review date
    has passed: once per decision and review date. Returns how many people were told."""
    today = today or timezone.localdate()
    due = (
        Decision.objects.unscoped()  # a periodic job over every organisation
        .filter(status=DecisionStatus.ACCEPTED, review_on__lt=today)
        .exclude(review_reminded_on=F("review_on"))
        .select_related("organisation", "proposed_by")
    )
    told = 0
    for decision in due:
        organisation = decision.organisation
        with transaction.atomic():
            claimed = (
                Decision.objects.for_org(organisation)
                .filter(pk=decision.pk, review_on=decision.review_on)
                .exclude(review_reminded_on=F("review_on"))
                .update(review_reminded_on=F("review_on"))
            )
            if not claimed:
                continue
            leaders = (
                get_user_model()
                .objects.filter(
                    is_active=True,
                    memberships__organisation=organisation,
                    memberships__role__in=[Role.LEADERSHIP, Role.ADMIN],
                )
                .order_by("pk")
            )
            recipients = {user.pk: user for user in leaders}
            if decision.proposed_by is not None and decision.proposed_by.is_active:
                recipients.setdefault(decision.proposed_by.pk, decision.proposed_by)
            assert decision.review_on is not None
            Notification.objects.for_org(organisation).bulk_create(
                Notification(
                    organisation=organisation,
                    recipient=user,
                    kind=NotificationKind.DECISION_REVIEW,
                    text=f"{decision.reference} “{decision.title}” was due for review on "
                    f"{decision.review_on.day} {decision.review_on:%B %Y}"[:300],
                    url=decision.get_absolute_url(),
                    decision=decision,
                )
                for user in recipients.values()
            )
            told += len(recipients)
    return told


# --- decisions as Markdown (MADR) -----------------------------------------------------------


def decision_record(decision: Decision) -> madr.DecisionRecord:
    """A stored decision as the Markdown module's plain record."""
    makers = [u for u in (decision.decided_by, decision.proposed_by) if u is not None]
    return madr.DecisionRecord(
        number=decision.number,
        title=decision.title,
        status=str(decision.status),
        date=(decision.decided_on or timezone.localdate(decision.created_at)).isoformat(),
        decision_makers=tuple(n.strip() for n in decision.decision_makers.split(",") if n.strip())
        or tuple(dict.fromkeys(u.get_full_name() or u.get_username() for u in makers)),
        context=decision.context,
        options=decision.options,
        decision=decision.decision,
        consequences=decision.consequences,
        enablers=tuple(sorted(e.key for e in decision.enablers.all())),
        changes=tuple(
            madr.Change(c.enabler.key, str(c.from_classification), str(c.to_classification))
            for c in decision.changes.select_related("enabler")
        ),
        supersedes=decision.supersedes.number if decision.supersedes else None,
        review_on=decision.review_on.isoformat() if decision.review_on else None,
        merge_into=decision.merge_into.key if decision.merge_into else None,
        merge_from=tuple(sorted(e.key for e in decision.merge_from.all())),
    )


def decisions_import(
    *, organisation: Organisation, files: list[tuple[str, str]], actor: Actor
) -> list[Decision]:
    """Bring in decisions kept as Markdown files (MADR 2, 3, 4 or the classic layout).

    All or nothing: every problem is reported at once (file by file) and nothing is stored
    unless every file can be. Decisions keep their status and text as written: an imported
    accepted decision is a record of the past, so its changes are not applied again.
    """
    records = madr.register_from_markdown(files)  # raises MarkdownError listing every file
    problems: list[str] = []
    with transaction.atomic():
        lock_organisation(organisation)
        existing = {d.number: d for d in Decision.objects.for_org(organisation)}
        enablers = {e.key: e for e in Enabler.objects.for_org(organisation)}
        # Files without a number are numbered after every number in use or in the files.
        top = max([*existing, *(r.number for r in records if r.number is not None)], default=0)
        numbered: list[tuple[int, str, madr.DecisionRecord]] = []
        seen: set[int] = set()
        for (name, _), record in zip(files, records, strict=True):
            number = record.number
            if number is None:
                top += 1
                number = top
            if number in existing or number in seen:
                problems.append(f"{name}: DEC-{number:03d} is already in the register.")
            seen.add(number)
            keys = {*record.enablers, *(c.enabler for c in record.changes), *record.merge_from}
            if record.merge_into:
                keys.add(record.merge_into)
            for key in sorted(keys - set(enablers)):
                problems.append(f"{name}: no enabler has the key “{key}” in this organisation.")
            numbered.append((number, name, record))
        known = set(existing) | {n for n, _, _ in numbered}
        for _number, name, record in numbered:
            if record.supersedes is not None and record.supersedes not in known:
                problems.append(
                    f"{name}: it supersedes DEC-{record.supersedes:03d}, which is not in the "
                    "register or in these files."
                )
        if problems:
            raise DecisionError("These files cannot be imported: " + " ".join(problems))
        created: dict[int, Decision] = {}
        keys_in_use = {d.key for d in existing.values()}
        for number, _name, record in sorted(numbered, key=lambda item: item[0]):
            decision = Decision(
                organisation=organisation,
                key=f"dec-{number:03d}",
                number=number,
                status=record.status,
                title=record.title[:200],
                context=record.context,
                options=record.options,
                decision=record.decision,
                consequences=record.consequences,
                review_on=date.fromisoformat(record.review_on) if record.review_on else None,
                decided_on=date.fromisoformat(record.date)
                if record.date and record.status != DecisionStatus.PROPOSED
                else None,
                proposed_by=_user(actor),
                decision_makers=", ".join(record.decision_makers)[:300],
                merge_into=enablers.get(record.merge_into or ""),
            )
            if decision.key in keys_in_use:
                decision.key = unique_key(
                    model=Decision, organisation=organisation, name=decision.key, length=40
                )
            keys_in_use.add(decision.key)
            decision._history_user = _user(actor)  # type: ignore[attr-defined]
            decision.save()
            affected = {*record.enablers, *(c.enabler for c in record.changes), *record.merge_from}
            decision.enablers.set([enablers[k] for k in sorted(affected)])
            decision.merge_from.set([enablers[k] for k in record.merge_from])
            DecisionChange.objects.for_org(organisation).bulk_create(
                DecisionChange(
                    organisation=organisation,
                    decision=decision,
                    enabler=enablers[c.enabler],
                    from_classification=c.from_classification,
                    to_classification=c.to_classification,
                    position=position,
                )
                for position, c in enumerate(record.changes)
            )
            created[number] = decision
        for number, _name, record in numbered:
            if record.supersedes is not None:
                target = created.get(record.supersedes) or existing[record.supersedes]
                created[number].supersedes = target
                created[number].save(update_fields=["supersedes"])
        record_change(
            organisation=organisation,
            actor=actor,
            summary=f"{len(created)} decision{'s' if len(created) != 1 else ''} imported",
        )
    return [created[n] for n in sorted(created)]


# --- report history retention -------------------------------------------------------------------


@dataclass(frozen=True)
class PrunedReport:
    """One report the pruner looked at, with what it did and why."""

    id: int
    organisation: str  # slug
    status: str
    when: Any  # computed (or, never computed, asked for) at
    kept_because: str  # empty: deleted


@dataclass(frozen=True)
class PruneResult:
    cutoff: Any
    dry_run: bool
    deleted: list[PrunedReport]
    kept: list[PrunedReport]  # older than the cut-off, kept for the reason given
    newer: int  # ready or failed reports at or after the cut-off: never touched


def _prune_verdicts(
    rows: list[dict[str, Any]], linked: set[int], cutoff: Any
) -> list[PrunedReport]:
    """Decide for every ready or failed report older than ``cutoff`` (rows of all of them)."""
    ready = [row for row in rows if row["status"] == ReportStatus.READY]
    # The latest ready report in the order latest_ready_report uses: the one the pages show.
    latest: dict[int, int] = {}
    for row in sorted(
        ready,
        key=lambda r: (r["generation"] is not None, r["generation"] or 0, r["when"], r["id"]),
    ):
        latest[row["organisation_id"]] = row["id"]
    # The last ready report of each calendar month (local time), newer ones included, so a
    # month whose last report is recent loses its earlier ones and still keeps one.
    month_last: dict[tuple[int, int, int], dict[str, Any]] = {}
    for row in sorted(ready, key=lambda r: (r["when"], r["id"])):
        local = timezone.localtime(row["when"])
        month_last[(row["organisation_id"], local.year, local.month)] = row
    last_of_month = {
        row["id"]: f"{timezone.localtime(row['when']):%B %Y}" for row in month_last.values()
    }
    verdicts = []
    for row in sorted(rows, key=lambda r: (r["organisation__slug"], r["when"], r["id"])):
        if row["when"] >= cutoff:
            continue
        if latest.get(row["organisation_id"]) == row["id"]:
            reason = "the latest ready report"
        elif row["id"] in linked:
            reason = "a decision links to it"
        elif row["id"] in last_of_month:
            reason = f"the last report of {last_of_month[row['id']]}"
        else:
            reason = ""
        verdicts.append(
            PrunedReport(
                id=row["id"],
                organisation=row["organisation__slug"],
                status=row["status"],
                when=row["when"],
                kept_because=reason,
            )
        )
    return verdicts


def reports_prune(
    *,
    older_than_days: int,
    organisation: Organisation | None = None,
    dry_run: bool = False,
    now: Any = None,
) -> PruneResult:
    """Delete ready and failed balance reports older than ``older_than_days`` days, keeping
    history for trends: per organisation the last ready report of each calendar month, the
    latest ready report (the one the pages show, however old) and any report a decision
    links to (``Decision.report`` would only be emptied). Pending and running reports are
    never touched. A failed report is never a month's last: it carries no figures.

    Every organisation, or only ``organisation``; ``dry_run`` decides without deleting.
    A fixed number of queries whatever the number of reports (deletes in chunks of 500).
    """
    from django.db.models.functions import Coalesce

    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    # Retention is admin tooling across organisations, unless one is named.
    reports = (
        BalanceReport.objects.for_org(organisation)
        if organisation is not None
        else BalanceReport.objects.unscoped()
    )
    decisions = (
        Decision.objects.for_org(organisation)
        if organisation is not None
        else Decision.objects.unscoped()
    )
    with transaction.atomic():
        rows = list(
            reports.filter(status__in=[ReportStatus.READY, ReportStatus.FAILED])
            .annotate(when=Coalesce("computed_at", "requested_at"))
            .order_by()
            .values("id", "organisation_id", "organisation__slug", "status", "generation", "when")
        )
        linked = set(decisions.exclude(report=None).order_by().values_list("report_id", flat=True))
        verdicts = _prune_verdicts(rows, linked, cutoff)
        doomed = [v.id for v in verdicts if not v.kept_because]
        if not dry_run:
            for start in range(0, len(doomed), 500):
                # Re-checked in the delete: a decision linking one meanwhile keeps it. Only
                # the ids are loaded for the delete, not each report's result.
                reports.filter(pk__in=doomed[start : start + 500], decisions=None).only(
                    "pk"
                ).delete()
    return PruneResult(
        cutoff=cutoff,
        dry_run=dry_run,
        deleted=[v for v in verdicts if not v.kept_because],
        kept=[v for v in verdicts if v.kept_because],
        newer=len(rows) - len(verdicts),
    )

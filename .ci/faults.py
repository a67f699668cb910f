"""Fault tests against the real services: nothing is lost when a process dies (issue 8).

Run by ``.ci/faults.sh`` (which also makes sure PostgreSQL and Redis are up before and
Redis is up again after, whatever happens). Uses its own PostgreSQL database
(``i8_faults``, made fresh and dropped at the end), Redis database 5 as the broker and
its own queue, and real ``celery worker`` and ``celery beat`` processes. The writes go
through the services in this process, as the web process would make them.

Scenarios, each followed by a check that every acknowledged flag, assessment and decision
is in the database and that the latest ready balance report covers the organisation's
generation and counts every open flag and every assessment of the counting round:

1. ``kill -9`` mid-recompute: (a) the pool process computing a report (the worker requeues
   its task); (b) the whole worker, with a report running, one waiting and writes going on
   (a new worker and beat recover; the sweeper marks the interrupted run failed); (c) the
   whole worker computing the only recompute there is (only the sweeper can notice it).
2. Redis restarted (the machine's own command) while flags are being written and tasks are
   queued: writes keep committing to PostgreSQL; the sweeper catches the report up.
3. PostgreSQL connections terminated (``pg_terminate_backend``) several times while a few
   threads write and the worker recomputes: writers re-submit a failed write, as a client
   would; the worker and beat must survive.

Exits 1 when anything acknowledged is missing, a report does not catch up, or a process
that should survive did not. Prints the figures: faults injected, writes acknowledged and
found, seconds until the report caught up.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("FAULTS_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("FAULTS_DATABASE", "i8_faults")
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6390"))
REDIS_DB = 5
QUEUE = "i8-faults"
PIDFILE = os.environ.get("FAULTS_PIDFILE", "")
KEEP_DATABASE = os.environ.get("FAULTS_KEEP_DATABASE") == "1"
WORK = ROOT / "test-artifacts" / "faults"  # the processes' logs, kept for a look afterwards
FIGURES = ROOT / "test-artifacts" / "faults.txt"
DEMO_FILE = ROOT / "assessments" / "demo" / "northfield.yaml"
PREFIX = "Fault test"

# How fast the pipeline moves here; every worker, beat and this process read the same.
SWEEP_SECONDS = 2.0
RUNNING_TIMEOUT = 6.0
DOOMED_DELAY = 4.0  # seconds a recompute takes in the worker that is killed
STEADY_DELAY = 1.0  # and in the workers that keep running
CATCH_UP_TIMEOUT = 45.0

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}",
        # Persistent connections: a terminated one must be noticed (CONN_HEALTH_CHECKS).
        "DATABASE_CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}",
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "BALANCE_RECOMPUTE_INTERVAL": "1",
        "BALANCE_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "BALANCE_RUNNING_TIMEOUT": str(RUNNING_TIMEOUT),
        "BALANCE_COMPUTE_TEST_DELAY": "0",
        "LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("PYTEST_XDIST_WORKER", None)  # the queue name is given whole
shutil.rmtree(WORK, ignore_errors=True)
WORK.mkdir(parents=True)


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- the services: PostgreSQL and Redis ---------------------------------------------------


def admin_sql(statement: str) -> list[tuple[Any, ...]]:
    """Run one statement on the server's ``postgres`` database (never the one under test)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        cursor = conn.execute(statement)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def fresh_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def terminate_connections() -> int:
    """Kill every backend on the database under test; returns how many were killed."""
    rows = admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{DB_NAME}' AND pid <> pg_backend_pid()"
    )
    return sum(1 for (killed,) in rows if killed)


def redis_ping() -> bool:
    done = subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() == "PONG"


def redis_start_command() -> list[str]:
    """The machine's own start command (python-svc); another port gets its own files."""
    if REDIS_PORT == 6379:
        directory, logfile = "/var/lib/redis", "/var/log/redis/ci.log"
    else:  # a private Redis, so a run during development disturbs no one else
        directory, logfile = str(WORK), str(WORK / "redis.log")
    return [
        "redis-server",
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "-::1",
        "--port",
        str(REDIS_PORT),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        directory,
        "--logfile",
        logfile,
    ]


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def redis_start() -> None:
    if not redis_ping():
        subprocess.run(redis_start_command(), check=True, capture_output=True)
    if not wait_until(redis_ping, 15):
        raise RuntimeError(f"Redis on port {REDIS_PORT} did not start")


def redis_stop() -> None:
    """Stop Redis as a crash or a restart would: no save (it keeps nothing on disk anyway)."""
    subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), "shutdown", "nosave"],
        capture_output=True,
        check=False,
    )
    if not wait_until(lambda: not redis_ping(), 10):
        raise RuntimeError(f"Redis on port {REDIS_PORT} did not stop")


def redis_flush() -> None:
    """Empty this script's own Redis database: no task of an earlier run is left in it."""
    subprocess.run(
        ["redis-cli", "-p", str(REDIS_PORT), "-n", str(REDIS_DB), "flushdb"],
        check=True,
        capture_output=True,
    )


# --- worker and beat processes ------------------------------------------------------------


class Process:
    """A celery process in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], ready: str) -> None:
        self.name, self.ready = name, ready
        self.log = WORK / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill takes all of it
            )
        if PIDFILE:
            with open(PIDFILE, "a") as pids:
                pids.write(f"{self.popen.pid}\n")

    def wait_ready(self) -> Process:
        deadline = time.monotonic() + 60
        while self.ready not in self.output():
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def children(self) -> list[int]:
        """The pool processes (forked by any of the worker's threads)."""
        pids: list[int] = []
        for children in Path(f"/proc/{self.popen.pid}/task").glob("*/children"):
            with suppress(OSError):
                pids += [int(pid) for pid in children.read_text().split()]
        return sorted(set(pids))

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no acks, as a crash or an OOM kill."""
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(name: str, delay: float, *, wait: bool = True) -> Process:
    """A worker as production runs it (prefork), one pool process, on this script's queue."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        f"--queues={QUEUE}",
        f"--hostname={name}@%h",
        "--loglevel=INFO",
    ]
    env = {"BALANCE_COMPUTE_TEST_DELAY": str(delay), "LOG_LEVEL": "INFO"}
    process = Process(name, command, env, ready=" ready.")
    return process.wait_ready() if wait else process


def start_beat(*, wait: bool = True) -> Process:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel=INFO",
        f"--schedule={WORK / 'beat-schedule'}",
        f"--pidfile={WORK / 'beat.pid'}",
    ]
    process = Process("beat", command, {"LOG_LEVEL": "INFO"}, ready="beat: Starting")
    return process.wait_ready() if wait else process


# --- the organisation and the writes -----------------------------------------------------


@dataclass
class World:
    organisation: Any
    actor: Any
    round: Any
    pairs: list[tuple[Any, Any]]  # (team, enabler) pairs the open round asks about


def build_world() -> World:
    """The Northfield demo organisation, its open round, and a person to write as."""
    from django.contrib.auth import get_user_model

    from assessments import selectors, services
    from catalogue.models import Enabler, Team

    summary = services.organisation_file_import(
        DEMO_FILE.read_bytes(), filename=DEMO_FILE.name, actor=None
    )
    organisation = summary.organisation
    actor = get_user_model().objects.create_user("faults", "faults@example.invalid", "x" * 20)
    assessment_round = selectors.open_round(organisation=organisation)
    if assessment_round is None:
        raise RuntimeError(f"{DEMO_FILE.name} has no open assessment round")
    teams = Team.objects.for_org(organisation).in_bulk()
    enablers = Enabler.objects.for_org(organisation).in_bulk()
    pairs = [
        (teams[team_id], enablers[enabler_id])
        for team_id, enabler_id in sorted(selectors.round_pairs(organisation=organisation))
    ]
    return World(organisation, actor, assessment_round, pairs)


@dataclass
class Ledger:
    """What the services acknowledged (returned without an error), to look for afterwards."""

    flags: dict[str, int] = field(default_factory=dict)  # token -> pk
    decisions: dict[str, int] = field(default_factory=dict)
    # (team id, enabler id) -> the comment of the last save of that pair, when acknowledged
    assessments: dict[tuple[int, int], str] = field(default_factory=dict)
    attempts: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    slowest: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: Iterator[int] = field(default_factory=itertools.count)

    def token(self, scenario: str) -> str:
        with self.lock:
            return f"{scenario}{next(self.numbers)}"

    @property
    def acknowledged(self) -> int:
        return len(self.flags) + len(self.decisions) + len(self.assessments)


SEVERITIES = ["low", "medium", "high", "blocking"]
DATABASE_FAILURES: tuple[type[Exception], ...] = ()


def submit(ledger: Ledger, write: Callable[[], None], *, retries: int = 0) -> bool:
    """Make one write as a request would (stale connections dropped first), re-submitting
    it up to ``retries`` times when the database fails it; True when acknowledged."""
    from django.db import close_old_connections

    for attempt in range(retries + 1):
        close_old_connections()
        started = time.monotonic()
        with ledger.lock:
            ledger.attempts += 1
        try:
            write()
        except DATABASE_FAILURES as error:
            with ledger.lock:
                ledger.failed_attempts += 1
            if attempt == retries:
                log(f"  write given up after {attempt + 1} attempts: {error!r}"[:300])
                with ledger.lock:
                    ledger.gave_up += 1
                return False
            time.sleep(0.2)
            continue
        with ledger.lock:
            ledger.slowest = max(ledger.slowest, time.monotonic() - started)
        return True
    return False


def raise_flag(world: World, ledger: Ledger, scenario: str, *, retries: int = 0) -> None:
    from assessments import services

    token = ledger.token(scenario)
    n = int(token[len(scenario) :])
    team, enabler = world.pairs[n % len(world.pairs)]

    def write() -> None:
        flag = services.flag_raise(
            organisation=world.organisation,
            team=team,
            enabler=enabler,
            offering=None,
            journey=None,
            severity=SEVERITIES[n % len(SEVERITIES)],
            summary=f"{PREFIX} {token}",
            details="Raised by .ci/faults.py while a fault was injected.",
            actor=world.actor,
        )
        with ledger.lock:
            ledger.flags[token] = flag.pk

    submit(ledger, write, retries=retries)


def save_assessment(
    world: World, ledger: Ledger, scenario: str, pair: tuple[Any, Any], *, retries: int = 0
) -> None:
    from assessments import services

    team, enabler = pair
    token = ledger.token(scenario)
    n = int(token[len(scenario) :])
    comment = f"{PREFIX} {token}"

    def write() -> None:
        services.assessment_save(
            assessment_round=world.round,
            team=team,
            enabler=enabler,
            fit=1 + n % 5,
            pace=n % 5 - 2,
            preferred="",
            comment=comment,
            actor=world.actor,
        )
        with ledger.lock:
            ledger.assessments[(team.pk, enabler.pk)] = comment

    if not submit(ledger, write, retries=retries):
        # Its last attempt may or may not have committed: nothing to hold the pair to.
        with ledger.lock:
            ledger.assessments.pop((team.pk, enabler.pk), None)


def propose_decision(world: World, ledger: Ledger, scenario: str, *, retries: int = 0) -> None:
    from assessments import services

    token = ledger.token(scenario)

    def write() -> None:
        decision = services.decision_propose(
            organisation=world.organisation,
            draft=services.DecisionDraft(
                title=f"{PREFIX} {token}", context="Proposed while a fault was injected."
            ),
            actor=world.actor,
        )
        with ledger.lock:
            ledger.decisions[token] = decision.pk

    submit(ledger, write, retries=retries)


def mixed_writes(
    world: World, ledger: Ledger, scenario: str, count: int, pairs: list[tuple[Any, Any]]
) -> None:
    """``count`` writes: mostly flags, every third an assessment, every fifth a decision."""
    for i in range(count):
        if i % 5 == 4:
            propose_decision(world, ledger, scenario)
        elif i % 3 == 2:
            save_assessment(world, ledger, scenario, pairs[i % len(pairs)])
        else:
            raise_flag(world, ledger, scenario)


# --- checks -------------------------------------------------------------------------------


@dataclass
class Found:
    flags: int
    decisions: int
    assessments: int
    missing: list[str]

    @property
    def total(self) -> int:
        return self.flags + self.decisions + self.assessments


def look_for(world: World, ledger: Ledger) -> Found:
    """Every acknowledged write, looked for in the database."""
    from django.db import close_old_connections

    from assessments.models import Assessment, BottleneckFlag, Decision

    close_old_connections()
    org = world.organisation
    flags = dict(
        BottleneckFlag.objects.for_org(org)
        .filter(summary__startswith=PREFIX)
        .values_list("pk", "summary")
    )
    decisions = dict(
        Decision.objects.for_org(org).filter(title__startswith=PREFIX).values_list("pk", "title")
    )
    comments = {
        (team_id, enabler_id): comment
        for team_id, enabler_id, comment in Assessment.objects.for_org(org)
        .filter(round=world.round)
        .values_list("team_id", "enabler_id", "comment")
    }
    with ledger.lock:
        missing = [
            f"flag {token}"
            for token, pk in ledger.flags.items()
            if flags.get(pk) != f"{PREFIX} {token}"
        ]
        missing += [
            f"decision {token}"
            for token, pk in ledger.decisions.items()
            if decisions.get(pk) != f"{PREFIX} {token}"
        ]
        missing += [
            f"assessment {pair} ({comment})"
            for pair, comment in ledger.assessments.items()
            if comments.get(pair) != comment
        ]
        found_assessments = sum(
            1 for pair, comment in ledger.assessments.items() if comments.get(pair) == comment
        )
        return Found(
            flags=sum(
                1 for token, pk in ledger.flags.items() if flags.get(pk) == f"{PREFIX} {token}"
            ),
            decisions=sum(
                1
                for token, pk in ledger.decisions.items()
                if decisions.get(pk) == f"{PREFIX} {token}"
            ),
            assessments=found_assessments,
            missing=missing,
        )


@dataclass
class Expected:
    generation: int
    counting_flags: int
    counting_assessments: int


def expected(world: World) -> Expected:
    """What an up-to-date report says, counted straight from the database."""
    from assessments.balance.method import COUNTING_FLAG_STATUSES, LIVE_LIFECYCLES
    from assessments.models import Assessment, BottleneckFlag
    from assessments.selectors import organisation_generation

    org = world.organisation
    return Expected(
        generation=organisation_generation(org),
        counting_flags=BottleneckFlag.objects.for_org(org)
        .filter(status__in=COUNTING_FLAG_STATUSES, enabler__lifecycle__in=LIVE_LIFECYCLES)
        .count(),
        counting_assessments=Assessment.objects.for_org(org)
        .filter(round=world.round, enabler__lifecycle__in=LIVE_LIFECYCLES)
        .count(),
    )


def latest_report(world: World) -> Any:
    from assessments.models import BalanceReport, ReportStatus

    return (
        BalanceReport.objects.for_org(world.organisation)
        .filter(status=ReportStatus.READY)
        .order_by("-generation", "-computed_at")
        .first()
    )


def report_matches(world: World) -> tuple[bool, str]:
    from django.db import close_old_connections

    close_old_connections()
    want = expected(world)
    report = latest_report(world)
    if report is None:
        return False, "no ready report"
    counts = report.result["counts"]
    got = Expected(report.generation, counts["counting_flags"], counts["counting_assessments"])
    return got == want, f"latest ready report {got}, database {want}"


def wait_caught_up(world: World, since: float) -> tuple[float | None, str]:
    """Seconds from ``since`` until the latest ready report covers the database as it is
    (None: not within CATCH_UP_TIMEOUT)."""
    deadline = time.monotonic() + CATCH_UP_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        try:
            matches, state = report_matches(world)
        except DATABASE_FAILURES as error:  # a terminated connection of this thread
            matches, state = False, repr(error)
        if matches:
            return time.monotonic() - since, state
        time.sleep(0.1)
    return None, state


def wait_running(world: World, timeout: float, *, newer_than: int = 0) -> Any:
    """The report a worker is computing now (status running), once there is one."""
    from django.db import close_old_connections

    from assessments.models import BalanceReport, ReportStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        close_old_connections()
        report = (
            BalanceReport.objects.for_org(world.organisation)
            .filter(status=ReportStatus.RUNNING, pk__gt=newer_than)
            .order_by("-started_at")
            .first()
        )
        if report is not None:
            return report
        time.sleep(0.05)
    raise RuntimeError("no report started running")


# --- the scenarios ------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    faults: int
    acknowledged: int = 0
    found: int = 0
    caught_up: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Run:
    world: World
    ledger: Ledger
    worker: Process | None = None
    beat: Process | None = None
    processes: list[Process] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    queue_failures: int = 0  # seen in this process's log so far

    def started(self, process: Process) -> Process:
        self.processes.append(process)
        return process


def settle(run: Run, outcome: Outcome, *, since: float, survivors: list[Process]) -> None:
    """After a fault: every acknowledged write found, the report caught up (timed from
    ``since``, when the fault was over), the processes that must survive alive."""
    seconds, state = wait_caught_up(run.world, since)
    outcome.caught_up = seconds
    seen = queue_failures()
    failures, run.queue_failures = seen - run.queue_failures, seen
    if failures:
        outcome.notes.append(f"{failures} committed change(s) could not queue a recompute")
    if seconds is None:
        outcome.problems.append(f"the report did not catch up in {CATCH_UP_TIMEOUT:.0f}s: {state}")
    found = look_for(run.world, run.ledger)
    outcome.acknowledged, outcome.found = run.ledger.acknowledged, found.total
    outcome.problems += [f"acknowledged but missing: {item}" for item in found.missing[:20]]
    for process in survivors:
        if not process.alive():
            outcome.problems.append(f"{process.name} died:\n{process.output()[-2000:]}")
    alive = [process.name for process in survivors if process.alive()]
    if alive:
        outcome.notes.append(f"still running: {', '.join(alive)}")
    caught = "never" if seconds is None else f"{seconds:.2f}s"
    log(
        f"  {outcome.name}: acknowledged {outcome.acknowledged}, found {outcome.found}; "
        f"report caught up after {caught}"
    )


def sweeps_that_queued(process: Process | None) -> int:
    """How many sweeps found a stale organisation and queued a recompute for it."""
    if process is None:
        return 0
    return len(re.findall(r"sweep_stale_reports\[[^]]*\] succeeded in \S+: \[\d", process.output()))


def broker_losses(process: Process | None) -> int:
    return process.output().count("Connection to broker lost") if process else 0


def report_status(pk: int) -> str:
    from assessments.models import BalanceReport

    return str(BalanceReport.objects.unscoped().values_list("status", flat=True).get(pk=pk))


def scenario_kill_pool_process(run: Run) -> Outcome:
    """kill -9 the pool process computing a report: the worker requeues the task."""
    log("1a. kill -9 the pool process computing a report")
    world, ledger = run.world, run.ledger
    outcome = Outcome("kill -9 pool process", faults=1)
    steady = run.started(start_worker("steady", 2.0))
    run.worker = steady
    caught, state = wait_caught_up(world, time.monotonic())  # the import's own report first
    if caught is None:
        outcome.problems.append(f"the first report never came: {state}")
    before = latest_report(world)
    mixed_writes(world, ledger, "a", 6, world.pairs[0::3])
    running = wait_running(world, 20, newer_than=before.pk if before else 0)
    time.sleep(0.5)
    children = steady.children()
    if report_status(running.pk) != "running":
        outcome.problems.append(f"report {running.pk} finished before the kill: nothing proved")
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    outcome.notes.append(f"killed pool process {children} computing report {running.pk}")
    settle(run, outcome, since=killed, survivors=[steady])
    redone = latest_report(world)
    outcome.notes.append(
        "recovered by "
        + ("the same task, requeued" if redone and redone.pk == running.pk else "a later report")
    )
    steady.stop()
    return outcome


def scenario_kill_worker(run: Run) -> Outcome:
    """kill -9 the whole worker with a report running, one waiting and writes after it."""
    log("1b. kill -9 the whole worker mid-recompute; a new worker and beat recover")
    world, ledger = run.world, run.ledger
    pairs = world.pairs[0::3]
    outcome = Outcome("kill -9 worker", faults=1)
    doomed = run.started(start_worker("doomed", DOOMED_DELAY))
    before = latest_report(world)
    mixed_writes(world, ledger, "b", 6, pairs)
    running = wait_running(world, 20, newer_than=before.pk if before else 0)
    time.sleep(0.5)
    mixed_writes(world, ledger, "b", 4, pairs)  # a pending report, its task queued
    doomed.kill()
    outcome.notes.append(f"killed the worker computing report {running.pk}")
    mixed_writes(world, ledger, "b", 6, pairs)  # no worker at all now
    if report_status(running.pk) != "running":
        outcome.problems.append(f"report {running.pk} finished before the kill: nothing proved")
    restarted = time.monotonic()  # a new worker and beat, started together
    run.worker = run.started(start_worker("rescuer", STEADY_DELAY, wait=False))
    run.beat = run.started(start_beat(wait=False))
    for process in (run.worker, run.beat):
        process.wait_ready()
    outcome.notes.append(
        f"new worker and beat ready {time.monotonic() - restarted:.1f}s after start"
    )
    settle(run, outcome, since=restarted, survivors=[run.worker, run.beat])
    # The interrupted run is marked failed once BALANCE_RUNNING_TIMEOUT has passed.
    interrupted = wait_until(
        lambda: report_status(running.pk) == "failed", RUNNING_TIMEOUT + 3 * SWEEP_SECONDS
    )
    outcome.notes.append(
        f"the interrupted report {running.pk} "
        + ("was marked failed by the sweeper" if interrupted else "is still running")
    )
    if not interrupted:
        outcome.problems.append(f"report {running.pk} is still running after the timeout")
    return outcome


def scenario_kill_lone_recompute(run: Run) -> Outcome:
    """kill -9 the worker computing the only recompute there is: only the sweeper can see it
    (the task's message stays unacknowledged in Redis for its visibility timeout, an hour)."""
    log("1c. kill -9 the worker computing the only recompute; beat's sweeper recovers it")
    world = run.world
    outcome = Outcome("kill -9 worker, lone recompute", faults=1)
    caught, state = wait_caught_up(world, time.monotonic())
    if caught is None:
        outcome.problems.append(f"no report to start from: {state}")
    before = latest_report(world)
    raise_flag(world, run.ledger, "c")
    running = wait_running(world, 20, newer_than=before.pk if before else 0)
    assert run.worker is not None
    run.worker.kill()
    outcome.notes.append(f"killed the worker computing report {running.pk}")
    if report_status(running.pk) != "running":
        outcome.problems.append(f"report {running.pk} finished before the kill: nothing proved")
    restarted = time.monotonic()
    run.worker = run.started(start_worker("survivor", STEADY_DELAY))
    outcome.notes.append(f"new worker ready {time.monotonic() - restarted:.1f}s after start")
    survivors = [p for p in (run.worker, run.beat) if p is not None]
    settle(run, outcome, since=restarted, survivors=survivors)
    queued = sweeps_that_queued(run.worker)
    outcome.notes.append(f"sweeps that queued a recompute: {queued}")
    if not queued:
        outcome.problems.append("the report caught up without the sweeper: the test proves nothing")
    return outcome


def write_continuously(
    world: World,
    ledger: Ledger,
    scenario: str,
    stop: threading.Event,
    pairs: list[tuple[Any, Any]],
    *,
    retries: int = 0,
    pause: float = 0.05,
) -> None:
    """A client writing until told to stop (a thread: closes its own connection at the end)."""
    from django.db import connections

    try:
        for i in itertools.count():
            if stop.is_set():
                break
            if i % 5 == 4:
                propose_decision(world, ledger, scenario, retries=retries)
            elif i % 3 == 2:
                save_assessment(world, ledger, scenario, pairs[i % len(pairs)], retries=retries)
            else:
                raise_flag(world, ledger, scenario, retries=retries)
            time.sleep(pause)
    finally:
        connections.close_all()


@contextmanager
def writers(
    world: World, ledger: Ledger, scenario: str, count: int, *, retries: int = 0
) -> Iterator[None]:
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=write_continuously,
            args=(world, ledger, f"{scenario}{n}-", stop, world.pairs[1 + n :: 3 * count]),
            kwargs={"retries": retries},
            daemon=True,
        )
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def scenario_restart_redis(run: Run) -> Outcome:
    """Restart Redis while flags are written: they commit; the sweeper catches up after."""
    log("2. restart Redis while writes go on")
    outcome = Outcome("restart Redis", faults=1)
    before = run.ledger.acknowledged
    run.ledger.slowest = 0.0
    failed_before = run.ledger.failed_attempts
    losses_before = broker_losses(run.worker)
    with writers(run.world, run.ledger, "r", 1):
        time.sleep(1.5)
        redis_stop()
        down = time.monotonic()
        time.sleep(2.0)
        redis_start()
        outcome.notes.append(f"Redis was down {time.monotonic() - down:.1f}s")
        time.sleep(2.0)
    stopped = time.monotonic()
    losses = broker_losses(run.worker) - losses_before
    outcome.notes.append(f"the worker lost Redis {losses} time(s) and reconnected")
    if not losses:
        outcome.problems.append("the worker never noticed Redis going: the test proves nothing")
    outcome.notes.append(
        f"{run.ledger.acknowledged - before} writes acknowledged across the restart, "
        f"{run.ledger.failed_attempts - failed_before} refused; slowest {run.ledger.slowest:.2f}s"
    )
    if run.ledger.failed_attempts > failed_before:
        outcome.problems.append("writes failed while Redis was down (PostgreSQL is the truth)")
    survivors = [p for p in (run.worker, run.beat) if p is not None]
    settle(run, outcome, since=stopped, survivors=survivors)
    return outcome


def scenario_terminate_connections(run: Run, rounds: int = 5) -> Outcome:
    """pg_terminate_backend on every connection, several times, under writes and a recompute."""
    log(f"3. terminate every PostgreSQL connection {rounds} times under load")
    outcome = Outcome("terminate PostgreSQL connections", faults=0)
    failed_before, gave_up_before = run.ledger.failed_attempts, run.ledger.gave_up
    retried_before = (run.worker.output() if run.worker else "").count("database error, retrying")
    killed = 0
    with writers(run.world, run.ledger, "t", 3, retries=10):
        for _ in range(rounds):
            time.sleep(1.0)
            killed += terminate_connections()
            outcome.faults += 1
        time.sleep(1.0)
    stopped = time.monotonic()
    outcome.notes.append(
        f"{killed} backends terminated; {run.ledger.failed_attempts - failed_before} write "
        f"attempts failed and were re-submitted; {run.ledger.gave_up - gave_up_before} given up"
    )
    survivors = [p for p in (run.worker, run.beat) if p is not None]
    settle(run, outcome, since=stopped, survivors=survivors)
    if run.worker is not None:
        retried = run.worker.output().count("database error, retrying") - retried_before
        outcome.notes.append(f"the worker retried {retried} recompute(s) after a database error")
    return outcome


# --- the run ------------------------------------------------------------------------------


WRITERS_LOG = WORK / "writers.log"


def log_to_file() -> None:
    """This process's own log (a recompute it could not queue, a terminated connection)
    goes to a file; the figures count what matters in it."""
    handler = logging.FileHandler(WRITERS_LOG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().handlers = [handler]


def queue_failures() -> int:
    """Changes committed whose recompute could not be queued (left to the sweeper)."""
    text = WRITERS_LOG.read_text(errors="replace") if WRITERS_LOG.exists() else ""
    return text.count("Could not queue a recompute")


def setup() -> World:
    import django
    from django.core.management import call_command
    from django.db import DatabaseError, InterfaceError

    global DATABASE_FAILURES
    fresh_database()
    django.setup()
    log_to_file()
    DATABASE_FAILURES = (DatabaseError, InterfaceError)
    call_command("migrate", verbosity=0, interactive=False)
    redis_start()
    redis_flush()
    return build_world()


def ready_reports(world: World) -> tuple[int, int]:
    """Ready reports, and the distinct generations they cover (one each, by design)."""
    from django.db.models import Count

    from assessments.models import BalanceReport, ReportStatus

    counts = (
        BalanceReport.objects.for_org(world.organisation)
        .filter(status=ReportStatus.READY)
        .aggregate(n=Count("pk"), g=Count("generation", distinct=True))
    )
    return counts["n"], counts["g"]


def report(run: Run, started: float) -> bool:
    lines = ["", "==> Fault test figures"]
    ok = True
    for outcome in run.outcomes:
        caught = "never" if outcome.caught_up is None else f"{outcome.caught_up:.2f}s"
        lines.append(
            f"{outcome.name:31} faults {outcome.faults:2}  writes so far: acknowledged "
            f"{outcome.acknowledged:4}, found {outcome.found:4}; caught up after {caught}"
        )
        lines += [f"    {note}" for note in outcome.notes]
        lines += [f"    PROBLEM: {problem}" for problem in outcome.problems]
        ok = ok and not outcome.problems
    ledger = run.ledger
    found = look_for(run.world, ledger)
    lines.append(
        f"total: faults injected {sum(o.faults for o in run.outcomes)}; writes acknowledged "
        f"{ledger.acknowledged} (flags {len(ledger.flags)}, assessments "
        f"{len(ledger.assessments)}, decisions {len(ledger.decisions)}), found {found.total}, "
        f"lost {len(found.missing)}; {time.monotonic() - started:.0f}s in all"
    )
    ok = ok and not found.missing
    ready, generations = ready_reports(run.world)
    lines.append(f"ready reports: {ready}, for {generations} distinct generations")
    if ready != generations:
        lines.append("    PROBLEM: two ready reports share a generation")
        ok = False
    lines.append("RESULT: " + ("nothing lost, every report caught up" if ok else "FAILED"))
    text = "\n".join(lines)
    print(text, flush=True)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(text.strip() + "\n")
    return ok


def main() -> int:
    started = time.monotonic()
    log(f"database {DB_NAME}, Redis port {REDIS_PORT} db {REDIS_DB}, logs in {WORK}")
    run: Run | None = None
    try:
        run = Run(setup(), Ledger())
        log(f"Northfield imported: {len(run.world.pairs)} team/enabler pairs in the open round")
        run.outcomes.append(scenario_kill_pool_process(run))
        run.outcomes.append(scenario_kill_worker(run))
        run.outcomes.append(scenario_kill_lone_recompute(run))
        run.outcomes.append(scenario_restart_redis(run))
        run.outcomes.append(scenario_terminate_connections(run))
        return 0 if report(run, started) else 1
    except Exception:
        import traceback

        traceback.print_exc()
        if run is not None:
            for process in run.processes:
                print(f"--- {process.name} (last lines)\n{process.output()[-3000:]}")
        return 1
    finally:
        for process in run.processes if run else []:
            process.stop()
        with suppress(Exception):
            redis_start()  # whatever happened, Redis runs again
        with suppress(Exception):
            from django.db import connections

            connections.close_all()
        if not KEEP_DATABASE:
            with suppress(Exception):
                drop_database()


if __name__ == "__main__":
    sys.exit(main())

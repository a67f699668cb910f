"""A real Celery worker in its own process, sharing the test database (test helper).

The worker is started with ``celery -A config worker`` and the same settings module, pointed
at this test process's database (pytest-django's test database, e.g. test_enabling_model_gw0)
and its own queue, so parallel test processes never take each other's tasks. Needs a broker
(CELERY_BROKER_URL) and a database other processes can open (PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL", "")
SKIP_REASON = (
    "needs a broker and PostgreSQL: set CELERY_BROKER_URL=redis://127.0.0.1:6379/15 and "
    "DATABASE_URL=postgres://... (.ci/run does)"
)


def available() -> bool:
    return bool(BROKER) and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def database_url() -> str:
    """The URL of the database this test process uses (its test database)."""
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acks, exactly like a crash or an OOM kill."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


FIGURES = ROOT / "test-artifacts" / "figures.txt"


def record_figure(text: str) -> None:
    """Keep a measured figure for the CI log (pytest-xdist swallows prints)."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as out:
        out.write(text.strip() + "\n")
    print(text)


def purge_queue() -> None:
    """Drop tasks a previous test left in this process's queue."""
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@contextmanager
def worker_process(
    tmp_path: Path, name: str, *, beat: bool = False, env: dict[str, Any] | None = None
) -> Iterator[WorkerProcess]:
    """Start a worker process and wait until it is ready; stop it on the way out."""
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **{key: str(value) for key, value in (env or {}).items()},
    }
    environment.pop("PYTEST_XDIST_WORKER", None)  # the queue name is given whole
    log = tmp_path / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--queues={queue}",
        f"--hostname={name}-{queue}@%h",
        "--loglevel=INFO",
    ]
    if beat:
        command += ["--beat", f"--schedule={tmp_path / (name + '-beat')}"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill takes all of it
        )
    worker = WorkerProcess(process, log)
    try:
        deadline = time.monotonic() + 60
        while " ready." not in worker.output():
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{worker.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.output()}")
            time.sleep(0.2)
        yield worker
    finally:
        worker.stop()

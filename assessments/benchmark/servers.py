"""gunicorn and a Celery worker in production mode, as child processes of the benchmark.

Each child runs in a process group of its own, so stopping it stops whatever it started
(gunicorn's workers, the worker's pool) and nothing else.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

READY_TIMEOUT_S = 90


class ServerError(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    log_file: IO[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM to the child's process group, SIGKILL after 20 s."""
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.log_file.close()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free (0: any free port on 127.0.0.1)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", preferred))
        return int(probe.getsockname()[1])


def production_env(*, port: int, queue: str) -> dict[str, str]:
    """The environment of `make serve` (DJANGO_DEBUG=0, a fresh secret key) on plain HTTP at
    127.0.0.1:``port``, with a Celery queue of our own so no other worker takes our tasks.
    Periodic jobs are off: they would run in the middle of the measured requests."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        HOST="127.0.0.1",
        PORT=str(port),
        RUN_PERIODIC_JOBS_IN_WEB="0",
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    env.pop("PYTEST_XDIST_WORKER", None)  # it would change the queue's name
    return env


def _start(name: str, args: list[str], env: dict[str, str], log: Path) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    log_file = log.open("wb")
    process = subprocess.Popen(
        args,
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Child(name=name, process=process, log=log, log_file=log_file)


def collectstatic(env: dict[str, str]) -> None:
    """The hashed static files production mode serves (as `make serve` does)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )


def gunicorn_start(env: dict[str, str], log: Path) -> Child:
    """gunicorn with the project's config (config/gunicorn.py), answering once this returns."""
    child = _start(
        "gunicorn",
        # No control socket: its default path is shared by every gunicorn of this user.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            "config/gunicorn.py",
            "--no-control-socket",
        ],
        env,
        log,
    )
    url = f"http://127.0.0.1:{env['PORT']}/accounts/login/"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.alive():
            raise ServerError(f"gunicorn stopped:\n{child.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return child
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    child.stop()
    raise ServerError(f"gunicorn did not answer on {url} within {READY_TIMEOUT_S} s")


def worker_start(env: dict[str, str], log: Path) -> Child:
    """One Celery worker process (concurrency 1) on the benchmark's own queue, ready to take
    tasks once this returns."""
    child = _start(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        log,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if not child.alive():
            raise ServerError(f"the Celery worker stopped:\n{child.tail()}")
        if b" ready." in log.read_bytes():
            return child
        time.sleep(0.2)
    child.stop()
    raise ServerError(f"the Celery worker was not ready within {READY_TIMEOUT_S} s")

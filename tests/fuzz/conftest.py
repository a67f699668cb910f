"""The fuzz tests' tally: how many examples ran, of which forms, in how many seconds.

Each test process (one per xdist worker) writes its own part under test-artifacts/fuzz/, then
adds up every part of the same run into test-artifacts/fuzz.txt, under a lock, so the last
process to finish leaves the whole run's figures there. Old parts of earlier runs are removed.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
STALE_SECONDS = 6 * 3600  # parts older than this are an earlier run's (runs may overlap)


@dataclass
class Tally:
    """Examples run per test, responses by status, and time spent in fuzz tests."""

    examples: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def example(self, test: str, status: int) -> None:
        self.examples[test] += 1
        self.statuses[str(status)] += 1

    def as_dict(self) -> dict[str, object]:
        return {
            "examples": dict(self.examples),
            "statuses": dict(self.statuses),
            "seconds": self.seconds,
        }


def _add_up(parts: list[dict]) -> str:
    examples: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    seconds = 0.0
    for part in parts:
        examples.update(part["examples"])
        statuses.update(part["statuses"])
        seconds += part["seconds"]
    kinds = Counter(test.split("[", 1)[0] for test in examples)
    lines = [
        f"fuzz examples run: {sum(examples.values())}",
        f"fuzz tests (form, actor) cases: {len(examples)}",
        *(f"  {name}: {count} cases" for name, count in sorted(kinds.items())),
        f"fuzz seconds (summed over {len(parts)} test processes): {seconds:.1f}",
        "responses by status: "
        + ", ".join(f"{status} x{n}" for status, n in sorted(statuses.items())),
        "examples per case:",
        *(f"  {test}: {n}" for test, n in sorted(examples.items())),
    ]
    return "\n".join(lines) + "\n"


def _publish(tally: Tally) -> str:
    folder = ARTIFACTS / "fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "fuzz.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        (folder / f"{RUN}-{WORKER}.json").write_text(json.dumps(tally.as_dict()))
        parts = []
        for path in sorted(folder.glob("*.json")):
            if path.name.startswith(f"{RUN}-"):
                parts.append(json.loads(path.read_text()))
            elif time.time() - path.stat().st_mtime > STALE_SECONDS:
                path.unlink(missing_ok=True)  # an earlier run's
        text = _add_up(parts)
        (ARTIFACTS / "fuzz.txt").write_text(text)
    return text


@pytest.fixture(scope="session")
def fuzz_tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    tally = Tally()
    yield tally
    if not tally.examples:
        return
    text = _publish(tally)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and WORKER == "main":
        reporter.write_line("")
        for line in text.splitlines()[:5]:
            reporter.write_line(line)


@pytest.fixture
def fuzz_clock(fuzz_tally: Tally) -> Iterator[None]:
    """Adds the test's time to the tally."""
    start = time.perf_counter()
    yield
    fuzz_tally.seconds += time.perf_counter() - start

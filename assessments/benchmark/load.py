"""The load of `manage.py bench`, run as a process of its own:
``python -m assessments.benchmark.load < plan.json``.

The plan, JSON on stdin: ``{"base": "http://127.0.0.1:PORT", "username", "password",
"pages": [{"name", "path"}, ...], "rounds": 200, "clients": 4, "warmup": 2, "seed": 1}``. It signs in
once through the login form, like a person, then ``clients`` threads, each with a keep-alive
connection of its own and that session, take requests in turn from one list holding every
page once per round, in order. So every page, the floor among them, is measured interleaved
with the others, under the same load at the same time. Prints ``{"latencies_ms": {name:
[...]}, "errors": {name: [status, ...]}, "seconds": ...}`` as JSON on stdout.

Standard library only and no Django: it runs beside the server, not inside it, and costs the
machine only the requests it sends.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode, urlsplit

TIMEOUT_S = 300


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the values at
    or below it (``share`` 0.5 gives the lower median, 0.95 the 95th percentile)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


class HttpError(RuntimeError):
    pass


class Session:
    """One keep-alive HTTP/1.1 connection to the server, and the cookies it was given."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None) -> None:
        url = urlsplit(base)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.cookies = dict(cookies or {})
        self.connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """Send one request; returns the status and the body, read in full. A GET is sent
        again, once, on a fresh connection when the server had closed the idle one."""
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            self.close()  # never send a write twice: a fresh connection, no retry
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=TIMEOUT_S
                )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2 or form is not None:
                    raise
                continue
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login form (its CSRF cookie, then the POST)."""
        status, _ = self.request("GET", "/accounts/login/")
        if status != 200 or "csrftoken" not in self.cookies:
            raise HttpError(f"login page: {status}, cookies {sorted(self.cookies)}")
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            form={
                "csrfmiddlewaretoken": self.cookies["csrftoken"],
                "username": username,
                "password": password,
            },
        )
        if status != 302:
            raise HttpError(f"signing in as {username}: {status}")

    def post_form(self, path: str, form: dict[str, str]) -> int:
        """POST a form with the session's CSRF token; returns the status."""
        status, _ = self.request(
            "POST", path, form={"csrfmiddlewaretoken": self.cookies["csrftoken"], **form}
        )
        return status


def schedule(
    pages: Sequence[dict[str, str]], rounds: int, seed: int = 1
) -> Iterator[dict[str, str]]:
    """Every page once per round, in an order shuffled afresh each round (the same for a
    seed): the pages interleave, and each meets every other as a neighbour about as often.
    In one fixed order the requests in flight together were always the same few, so the
    heavy pages listed side by side always ran beside each other and the floor never did."""
    shuffler = random.Random(seed)
    order = list(pages)
    for _ in range(rounds):
        shuffler.shuffle(order)
        yield from order


def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Sign in, warm every page up, then send the rounds from the clients; the latencies."""
    pages = plan["pages"]
    first = Session(plan["base"])
    first.sign_in(plan["username"], plan["password"])
    for _ in range(plan.get("warmup", 2)):
        for page in pages:
            first.request("GET", page["path"])
    first.close()
    latencies: dict[str, list[float]] = {p["name"]: [] for p in pages}
    errors: dict[str, list[int]] = {p["name"]: [] for p in pages}
    work = schedule(pages, plan["rounds"], plan.get("seed", 1))
    lock = threading.Lock()

    def client() -> None:
        session = Session(plan["base"], first.cookies)
        while True:
            with lock:
                page = next(work, None)
            if page is None:
                break
            started = time.perf_counter()
            try:
                status, _ = session.request("GET", page["path"])
            except (http.client.HTTPException, OSError):
                status = 0
            elapsed_ms = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    latencies[page["name"]].append(round(elapsed_ms, 2))
                else:
                    errors[page["name"]].append(status)
        session.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(plan["clients"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies_ms": latencies,
        "errors": {name: statuses for name, statuses in errors.items() if statuses},
        "seconds": round(time.perf_counter() - started, 2),
    }


def main() -> None:
    json.dump(run(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()

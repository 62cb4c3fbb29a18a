"""A local source server that misbehaves before it answers, for the HTTP connectors' tests.

``Flaky`` answers a source's first request 429 (Retry-After: 1), then 500, then stalls past
the client timeout, and only then with ``serve``; ``client_options`` give the connector a
short timeout and backoff and a ``Sleeps`` hook, which ``expected_sleeps`` is the record of.
"""

from __future__ import annotations

import time
from pathlib import Path

from werkzeug import Request
from werkzeug import Response

FIXTURES = Path(__file__).parent / "fixtures"
TIMEOUT = 0.3
STALL = 0.45
BACKOFF = 0.01


def fixture(name: str, base: str = "") -> bytes:
    return (FIXTURES / name).read_text().replace("{base}", base).encode()


class Sleeps(list):
    """The sleep hook: records each wait, sleeps a little (a stalled server frees up)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(0.1)


class Flaky:
    """429 with Retry-After, then 500, then a stall past the timeout, then ``serve``."""

    def __init__(self, serve):
        self.serve = serve
        self.calls = 0
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        self.requests.append(request)
        if self.calls == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        if self.calls == 2:
            return Response("upstream exploded", status=500)
        if self.calls == 3:
            time.sleep(STALL)
        return self.serve(request)


def json_response(body: bytes, headers: dict | None = None) -> Response:
    return Response(body, status=200, headers=headers, content_type="application/json")


def expected_sleeps() -> list[float]:
    # Retry-After of the 429; then exponential backoff after the 500 and after the timeout.
    return [1.0, BACKOFF * 2, BACKOFF * 4]


def client_options(sleeps: Sleeps) -> dict:
    return {"timeout": TIMEOUT, "backoff": BACKOFF, "sleep": sleeps, "max_attempts": 5}

"""Protections that only show under the real server: gunicorn with two workers, requests from
two source addresses, a chunked request body."""

from __future__ import annotations

import contextlib
import http.client
import random
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode
from urllib.parse import urlparse

import pytest

from db.roles import system
from db.users import add_user
from tests.browser import served_app

pytestmark = pytest.mark.postgres
PASSWORD = "correct-horse"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Visitor:
    """A cookie-keeping HTTP client whose connections leave from a chosen loopback address."""

    def __init__(self, base: str, address: str):
        parsed = urlparse(base)
        self.host, self.port, self.address = parsed.hostname, parsed.port, address
        self.origin = base
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=(self.address, 0)
        )
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers={**(headers or {}), "Cookie": cookie})
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, data

    def sign_in(self, username: str, password: str, ready: threading.Barrier | None = None) -> int:
        """Sign in; with ``ready``, the form is sent once every visitor sharing it has one."""
        _, page = self.request("GET", "/login")
        token = TOKEN.search(page.decode()).group(1)
        if ready is not None:
            ready.wait(timeout=60)
        form = urlencode({"username": username, "password": password, "csrf_token": token})
        status, _ = self.request(
            "POST",
            "/login",
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin},
        )
        return status


@pytest.fixture(params=["database", "redis"])
def counted(request, pg_url, use_database) -> dict[str, str]:
    """The served app's settings: three failures a minute, counted in the database or Redis."""
    env = {"login_rate_limit": "3 per minute"}
    if request.param == "redis":
        env["redis_url"] = request.getfixturevalue("redis_url")
    use_database(pg_url)
    return env


def test_failed_sign_ins_are_counted_across_workers_and_addresses(counted, pg_url):
    env = counted
    add_user("pat", PASSWORD, "planner", system())
    add_user("eve", PASSWORD, "executive", system())
    with served_app(pg_url, workers=2, **env) as base:
        # One username guessed from two addresses, each request on a new connection (so
        # spread over both workers): the limit holds for the username as a whole.
        statuses = [Visitor(base, f"127.0.0.{2 + n % 2}").sign_in("pat", "guess") for n in range(8)]
        assert statuses.count(401) == 3 and statuses[3:] == [429] * 5
        assert Visitor(base, "127.0.0.4").sign_in("pat", PASSWORD) == 429
        # One address guessing several usernames: the limit holds for the address too.
        guesser = [Visitor(base, "127.0.0.5").sign_in(f"user{n}", "guess") for n in range(4)]
        assert guesser == [401, 401, 401, 429]
        assert Visitor(base, "127.0.0.5").sign_in("eve", PASSWORD) == 429
        assert Visitor(base, "127.0.0.6").sign_in("eve", PASSWORD) == 302


def test_a_burst_of_parallel_guesses_gets_no_more_checks_than_the_limit(counted, pg_url):
    env = counted
    username = f"pat{uuid.uuid4().hex[:8]}"  # Redis keeps the other tests' counts
    add_user(username, PASSWORD, "planner", system())
    guesses = 12
    ready = threading.Barrier(guesses)
    with served_app(pg_url, workers=2, **env) as base, ThreadPoolExecutor(guesses) as pool:
        # Two workers of four threads each take the burst at once, from four addresses.
        network = f"127.{random.randrange(1, 250)}.{random.randrange(1, 250)}"  # as the username
        visitors = [Visitor(base, f"{network}.{n % 4 + 1}") for n in range(guesses)]
        statuses = list(pool.map(lambda v: v.sign_in(username, "guess", ready), visitors))
    assert sorted(statuses) == [401] * 3 + [429] * (guesses - 3)


def _chunks(total: int, size: int = 1024 * 1024):
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"x" * part


def test_a_17_mb_chunked_push_is_refused_with_413_while_it_streams(pg_url, use_database):
    use_database(pg_url)
    with served_app(pg_url) as base:
        parsed = urlparse(base)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        # The server may answer and stop reading before the body ends.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request(
                "POST",
                "/hooks/shop",
                body=_chunks(17 * 1024 * 1024),
                headers={"Content-Type": "application/json"},
                encode_chunked=True,
            )
        response = conn.getresponse()
        assert response.status == 413
        conn.close()

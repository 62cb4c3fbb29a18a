"""The shared HTTP client: retry policy, Retry-After, timeouts, auth and origin checks."""

from __future__ import annotations

import datetime as dt
import email.utils
import time

import pytest
from werkzeug import Request
from werkzeug import Response

from ingestion.errors import SourceError
from ingestion.http import HttpClient
from ingestion.http import retry_after_seconds


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def sequence(*responses):
    """A handler answering with the given responses in turn (the last one repeats)."""
    calls = []

    def handler(request: Request) -> Response:
        calls.append(request)
        return responses[min(len(calls), len(responses)) - 1]

    handler.calls = calls
    return handler


def test_retry_after_in_seconds_is_honoured(httpserver):
    handler = sequence(
        Response("busy", status=429, headers={"Retry-After": "7"}),
        Response('{"ok": true}', content_type="application/json"),
    )
    httpserver.expect_request("/x").respond_with_handler(handler)
    sleeps = Sleeps()
    body, _ = HttpClient(httpserver.url_for("/"), sleep=sleeps).json("GET", "x")
    assert body == {"ok": True}
    assert sleeps == [7.0]
    assert len(handler.calls) == 2


def test_retry_after_as_http_date():
    now = dt.datetime(2024, 6, 3, 12, 0, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(later, now) == 90.0
    assert retry_after_seconds("Mon, 03 Jun 2024 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_retry_after_http_date_over_http(httpserver):
    when = email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30), usegmt=True
    )
    httpserver.expect_request("/d").respond_with_handler(
        sequence(Response("", status=503, headers={"Retry-After": when}), Response("{}"))
    )
    sleeps = Sleeps()
    HttpClient(httpserver.url_for("/"), sleep=sleeps).request("GET", "d")
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_5xx_backs_off_exponentially_then_gives_up(httpserver):
    handler = sequence(Response("database on fire", status=500))
    httpserver.expect_request("/down").respond_with_handler(handler)
    sleeps = Sleeps()
    client = HttpClient(httpserver.url_for("/"), sleep=sleeps, max_attempts=4, backoff=0.5)
    with pytest.raises(SourceError) as caught:
        client.request("GET", "down")
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(handler.calls) == 4
    message = str(caught.value)
    assert "after 4 attempts" in message
    assert "HTTP 500" in message and "database on fire" in message


def test_client_errors_fail_at_once(httpserver):
    handler = sequence(Response('{"errors": "Invalid API key"}', status=401))
    httpserver.expect_request("/secret").respond_with_handler(handler)
    sleeps = Sleeps()
    with pytest.raises(SourceError, match="HTTP 401 UNAUTHORIZED"):
        HttpClient(httpserver.url_for("/"), sleep=sleeps).request("GET", "secret")
    assert sleeps == [] and len(handler.calls) == 1


def test_too_long_retry_after_gives_up(httpserver):
    httpserver.expect_request("/x").respond_with_handler(
        sequence(Response("", status=429, headers={"Retry-After": "3600"}))
    )
    with pytest.raises(SourceError, match="asks to wait 3600 s"):
        HttpClient(httpserver.url_for("/"), sleep=Sleeps(), max_wait=60).request("GET", "x")


def test_timeout_is_retried_then_reported(httpserver):
    def slow(request: Request) -> Response:
        time.sleep(0.3)
        return Response("{}")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    sleeps = Sleeps()
    client = HttpClient(httpserver.url_for("/"), timeout=0.2, max_attempts=2, sleep=sleeps)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"after 2 attempts: no answer within 0.2 s"):
        client.request("GET", "slow")
    assert time.monotonic() - started < 2
    assert len(sleeps) == 1


def test_unreachable_host_is_a_source_error():
    client = HttpClient("http://127.0.0.1:9/", max_attempts=2, sleep=Sleeps(), timeout=0.5)
    with pytest.raises(SourceError, match="connection failed"):
        client.request("GET", "anything")


def test_auth_headers_and_basic_auth_are_sent(httpserver):
    httpserver.expect_request(
        "/a", headers={"X-Token": "t0k", "Authorization": "Basic dTpw"}
    ).respond_with_data("{}")
    client = HttpClient(httpserver.url_for("/"), headers={"X-Token": "t0k"}, auth=("u", "p"))
    assert client.request("GET", "a").status_code == 200


def test_non_json_body_is_a_source_error(httpserver):
    httpserver.expect_request("/html").respond_with_data("<html>maintenance</html>")
    with pytest.raises(SourceError, match="not JSON"):
        HttpClient(httpserver.url_for("/")).json("GET", "html")


def test_pagination_links_must_stay_on_the_source(httpserver):
    client = HttpClient(httpserver.url_for("/api/"))
    assert client.url("orders?page=2") == httpserver.url_for("/api/orders?page=2")
    assert client.url("/root/next") == httpserver.url_for("/root/next")
    with pytest.raises(SourceError, match="refusing to follow"):
        client.url("https://evil.example.com/steal")

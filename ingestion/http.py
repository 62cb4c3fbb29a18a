"""The one HTTP client every connector uses: timeouts, bounded retries with backoff, auth headers.

429 and 5xx answers, timeouts and dropped connections are retried with exponential
backoff (or the server's ``Retry-After``, in seconds or as an HTTP date); any other
4xx fails at once. Giving up raises ``SourceError`` naming the request and the last
answer. Absolute URLs (pagination links) must stay on the base URL's origin so the
credentials are never sent elsewhere. ``paged`` is the one paging loop every connector uses.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

from ingestion import json_text
from ingestion.errors import SourceError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
BODY_SNIPPET = 300


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class HttpClient:
    """A ``requests.Session`` with the project's retry policy, bound to one source's base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.update(headers or {})
        if auth is not None:
            self.session.auth = auth

    def url(self, path_or_url: str) -> str:
        """``path_or_url`` resolved against the base URL; another origin is refused."""
        url = urljoin(self.base_url, path_or_url)
        base, target = urlsplit(self.base_url), urlsplit(url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise SourceError(f"refusing to follow {url}: not on {base.scheme}://{base.netloc}")
        return url

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """Send with retries; returns the first 2xx/3xx response or raises SourceError."""
        url = self.url(path_or_url)
        what = f"{method} {url}"
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            wait = None
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout:
                problem = f"no answer within {self.timeout:g} s"
            except requests.ConnectionError as exc:
                problem = f"connection failed ({exc.__class__.__name__})"
            else:
                if response.status_code < 400:
                    return response
                problem = (
                    f"HTTP {response.status_code} {response.reason}: "
                    + response.text[:BODY_SNIPPET].strip()
                )
                if response.status_code not in RETRY_STATUSES:
                    raise SourceError(f"{what} failed: {problem}")
                wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt == self.max_attempts:
                break
            if wait is None:
                wait = self.backoff * 2 ** (attempt - 1)
            if wait > self.max_wait:
                raise SourceError(
                    f"{what} failed: {problem}; the server asks to wait {wait:.0f} s, "
                    f"more than the {self.max_wait:.0f} s allowed"
                )
            self.sleep(wait)
        raise SourceError(f"{what} failed after {self.max_attempts} attempts: {problem}")

    def json(self, method: str, path_or_url: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        """The decoded JSON body and the response (for its headers); bad JSON is a SourceError."""
        response = self.request(method, path_or_url, **kwargs)
        try:
            return json_text.loads(response.content), response
        except ValueError as exc:
            raise SourceError(
                f"{method} {response.url} answered with a body that is not JSON: {exc}"
            ) from None


@dataclass(frozen=True)
class Request:
    """One page's request: ``body`` is sent as JSON."""

    method: str
    url: str
    params: Mapping[str, Any] | None = None
    body: Any = None


@dataclass(frozen=True)
class Answer:
    """One page's answer: its items, the decoded body, and whether it is the last page."""

    items: list
    body: Any
    last: bool


def paged(
    client: HttpClient,
    first: Request,
    items: Callable[[Any, requests.Response], list],
    following: Callable[[Any, requests.Response, Request], Request | None],
) -> Iterator[Answer]:
    """Every page from ``first`` on: ``items(body, response)`` picks a page's items (or raises
    SourceError for an answer without them), ``following(body, response, request)`` is the
    next page's request, or None after the last one."""
    request: Request | None = first
    while request is not None:
        body, response = client.json(
            request.method, request.url, params=request.params, json=request.body
        )
        found = items(body, response)
        request = following(body, response, request)
        yield Answer(found, body, request is None)

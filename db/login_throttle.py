"""Failed sign-ins counted per username (from any address) and per address (for any username),
shared by every worker and machine: in Redis when one is configured, else in the database.

A key that reaches the limit within the window is locked until its failures age out of
the window; the lockout is written to the audit log once, when it starts. Attempts on one key
run one at a time (``one_attempt_at_a_time``), so the check, the password's verification and
the count are one step: a burst of parallel guesses cannot all pass the check before any of
them is counted.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db import audit
from db.engine import get_engine
from db.engine import session_scope
from db.schema import LoginFailure
from db.settings import get_settings

NAMESPACE = "channelperf-login"
# pg_advisory_xact_lock(class, key): the class of sign-in attempt locks, keyed by a CRC of the
# failure key (two keys sharing a CRC only wait for each other).
ATTEMPT_LOCK_CLASS = 7_310_007
ATTEMPT_WAIT = "5s"


class AttemptsBusy(Exception):
    """Other attempts on this username or address held the turn too long."""


def failure_keys(username: str, address: str) -> list[str]:
    return [f"user:{username.strip().lower()[:80]}", f"address:{address[:64]}"]


@dataclass(frozen=True)
class _RedisCounter:
    limiter: MovingWindowRateLimiter
    item: RateLimitItem

    def locked(self, key: str) -> bool:
        return not self.limiter.test(self.item, NAMESPACE, key)

    def add(self, key: str) -> bool:
        """Count one failure; True when it is the one that reaches the limit."""
        counted = self.limiter.hit(self.item, NAMESPACE, key)
        return counted and self.limiter.get_window_stats(self.item, NAMESPACE, key).remaining == 0


@dataclass(frozen=True)
class _DatabaseCounter:
    item: RateLimitItem

    def _since(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.item.get_expiry())

    def _count(self, session, key: str) -> int:
        return session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at > self._since())
        )

    def locked(self, key: str) -> bool:
        with session_scope() as session:
            return self._count(session, key) >= self.item.amount

    def add(self, key: str) -> bool:
        with session_scope() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.at <= self._since()))
            session.add(LoginFailure(at=dt.datetime.now(dt.UTC), key=key))
            session.flush()
            return self._count(session, key) == self.item.amount


@lru_cache(maxsize=8)
def _counter(redis_url: str | None, limit: str):
    item = parse(limit)
    if redis_url:
        return _RedisCounter(MovingWindowRateLimiter(RedisStorage(redis_url)), item)
    return _DatabaseCounter(item)


def _current():
    settings = get_settings()
    return _counter(settings.redis_url, settings.login_rate_limit)


@contextmanager
def one_attempt_at_a_time(username: str, address: str) -> Iterator[None]:
    """Hold this username's and this address's sign-in attempts to one at a time, on every
    worker and machine (PostgreSQL advisory locks, for as long as the block runs); raises
    ``AttemptsBusy`` after waiting ``ATTEMPT_WAIT`` for the turn."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield
        return
    keys = sorted({zlib.crc32(key.encode()) - 2**31 for key in failure_keys(username, address)})
    with engine.connect() as conn, conn.begin():
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = '{ATTEMPT_WAIT}'"))
            for key in keys:
                conn.execute(select(func.pg_advisory_xact_lock(ATTEMPT_LOCK_CLASS, key)))
        except OperationalError as exc:
            raise AttemptsBusy from exc
        yield


def is_locked(username: str, address: str) -> bool:
    counter = _current()
    return any(counter.locked(key) for key in failure_keys(username, address))


def record_failure(username: str, address: str) -> None:
    """Count a failed sign-in against the username and the address; audit a new lockout."""
    counter = _current()
    for key in failure_keys(username, address):
        if counter.add(key):
            with session_scope() as session:
                kind, _, value = key.partition(":")
                audit.record(
                    session,
                    "anonymous",
                    "auth.lockout",
                    kind,
                    value,
                    None,
                    {"limit": get_settings().login_rate_limit, "address": address},
                )

"""Server-side sign-in sessions: revocable at once, with an idle timeout and a lifetime.

The browser's (signed) cookie carries a random token; the ``user_session`` table holds
its sha256. Every request resolves the token here, so signing out, disabling an account
or changing its role ends its sessions on every worker at the next request, and a cookie
copied before sign-out opens nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy import update

from db.engine import session_scope
from db.schema import AppUser
from db.schema import UserSession
from db.settings import get_settings
from db.users import UserInfo

# last_seen_at is written at most this often per session (it only feeds the idle timeout).
TOUCH_EVERY = dt.timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _aware(stamp: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they are stored in UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def start_session(user_id: int, address: str = "", now: dt.datetime | None = None) -> str:
    """A new session for the user; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    at = _now(now)
    with session_scope() as session:
        session.add(
            UserSession(
                user_id=user_id,
                token_hash=_digest(token),
                created_at=at,
                last_seen_at=at,
                address=address[:64],
            )
        )
    return token


def _expiry_reason(row: UserSession, now: dt.datetime) -> str | None:
    settings = get_settings()
    if now - _aware(row.created_at) > dt.timedelta(hours=settings.session_lifetime_hours):
        return "expired"
    if now - _aware(row.last_seen_at) > dt.timedelta(minutes=settings.session_idle_minutes):
        return "idle"
    return None


def resolve_session(token: str | None, now: dt.datetime | None = None) -> UserInfo | None:
    """The active user of a live session, or None (unknown, ended, timed out, disabled)."""
    if not token:
        return None
    at = _now(now)
    with session_scope() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
        if row is None or row.ended_at is not None:
            return None
        reason = _expiry_reason(row, at)
        if reason is not None:
            row.ended_at, row.end_reason = at, reason
            return None
        user = session.get(AppUser, row.user_id)
        if user is None or not user.active:
            return None
        if at - _aware(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = at
        return UserInfo.of(user)


def end_session(token: str | None, reason: str = "signed_out") -> None:
    if not token:
        return
    with session_scope() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=dt.datetime.now(dt.UTC), end_reason=reason)
        )

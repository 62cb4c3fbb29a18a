"""User commands: add, list, set role, disable, reset a password, issue or revoke an API token,
authenticate. Each change is an admin's and is audited (never with a password or a token).

Passwords are hashed with argon2 (argon2-cffi); API tokens are stored as their
sha256 only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.roles import ROLES
from db.roles import Actor
from db.roles import system
from db.schema import AppUser
from db.schema import UserSession

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    active: bool
    last_login_at: dt.datetime | None
    has_api_token: bool = False

    @classmethod
    def of(cls, user: AppUser) -> UserInfo:
        return cls(
            user.id,
            user.username,
            user.role,
            user.active,
            user.last_login_at,
            user.api_token_hash is not None,
        )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise CommandError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise CommandError(f"password must have at least {MIN_PASSWORD} characters")


def _get(session, username: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.username == username))
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


def add_user(username: str, password: str, role: str, actor: Actor) -> UserInfo:
    actor.require("admin", "add users")
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise CommandError(
            "username must be 2–40 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    _check_password(password)
    _check_role(role)
    with session_scope() as session:
        if session.scalar(select(AppUser.id).where(AppUser.username == username)):
            raise CommandError(f"user {username!r} already exists")
        user = AppUser(username=username, password_hash=_hasher.hash(password), role=role)
        session.add(user)
        session.flush()
        audit.record(session, actor.name, "user.add", "user", username, None, {"role": role})
        return UserInfo.of(user)


def list_users() -> list[UserInfo]:
    with session_scope() as session:
        return [UserInfo.of(u) for u in session.scalars(select(AppUser).order_by(AppUser.username))]


def _keep_an_admin(session, user: AppUser) -> None:
    """Refuse a change that would leave no active admin to administer the system."""
    if user.role != "admin" or not user.active:
        return
    others = session.scalar(
        select(func.count())
        .select_from(AppUser)
        .where(AppUser.role == "admin", AppUser.active.is_(True), AppUser.id != user.id)
    )
    if not others:
        raise CommandError(f"{user.username} is the last active admin; add another admin first")


def end_user_sessions(session, user_id: int, reason: str) -> None:
    """End every live sign-in of a user in the caller's transaction: a role change or a
    disabled account takes effect at the user's next request, on every worker."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=dt.datetime.now(dt.UTC), end_reason=reason)
    )


def set_role(username: str, role: str, actor: Actor) -> UserInfo:
    actor.require("admin", "change users' roles")
    _check_role(role)
    with session_scope() as session:
        user = _get(session, username)
        if role != "admin":
            _keep_an_admin(session, user)
        before = user.role
        user.role = role
        if role != before:
            end_user_sessions(session, user.id, "role_changed")
        audit.record(
            session, actor.name, "user.set_role", "user", username, {"role": before}, {"role": role}
        )
        return UserInfo.of(user)


def set_active(username: str, active: bool, actor: Actor) -> UserInfo:
    actor.require("admin", "enable or disable users")
    with session_scope() as session:
        user = _get(session, username)
        if not active:
            _keep_an_admin(session, user)
        before = user.active
        user.active = active
        if not active:
            end_user_sessions(session, user.id, "disabled")
        action = "user.enable" if active else "user.disable"
        audit.record(
            session, actor.name, action, "user", username, {"active": before}, {"active": active}
        )
        return UserInfo.of(user)


def set_password(username: str, password: str, actor: Actor) -> UserInfo:
    """Give the user a new password (the rules of ``add_user``) and sign them out everywhere."""
    actor.require("admin", "reset users' passwords")
    _check_password(password)
    with session_scope() as session:
        user = _get(session, username)
        user.password_hash = _hasher.hash(password)
        end_user_sessions(session, user.id, "password_reset")
        audit.record(session, actor.name, "user.set_password", "user", username)
        return UserInfo.of(user)


def authenticate(username: str, password: str) -> UserInfo | None:
    """The active user with this password, or None (same work whether the user exists or not)."""
    with session_scope() as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username.strip().lower()))
        stored = user.password_hash if user is not None else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = dt.datetime.now(dt.UTC)
        return UserInfo.of(user)


def get_user(user_id: int) -> UserInfo | None:
    with session_scope() as session:
        user = session.get(AppUser, user_id)
        return UserInfo.of(user) if user is not None and user.active else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(username: str, actor: Actor) -> str:
    """A new API token for the user (replacing any earlier one); shown once, stored hashed."""
    actor.require("admin", "issue API tokens")
    token = secrets.token_urlsafe(32)
    with session_scope() as session:
        user = _get(session, username)
        user.api_token_hash = _token_digest(token)
        audit.record(session, actor.name, "user.issue_token", "user", username)
    return token


def revoke_api_token(username: str, actor: Actor) -> UserInfo:
    """Withdraw the user's API token: the API refuses it from the next request on."""
    actor.require("admin", "revoke API tokens")
    with session_scope() as session:
        user = _get(session, username)
        if user.api_token_hash is None:
            raise CommandError(f"{username} has no API token")
        user.api_token_hash = None
        audit.record(session, actor.name, "user.revoke_token", "user", username)
        return UserInfo.of(user)


def token_owner(token: str) -> UserInfo | None:
    """The user an API token was issued to, active or not (None: no such token)."""
    with session_scope() as session:
        user = session.scalar(select(AppUser).where(AppUser.api_token_hash == _token_digest(token)))
        return None if user is None else UserInfo.of(user)


DEMO_USERS = (
    ("executive", "executive"),
    ("planner", "planner"),
    ("scientist", "data_scientist"),
    ("admin", "admin"),
)


def demo_password(username: str) -> str:
    return f"{username}-demo"


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """One user per role for the local demo (created once); returns (username, password, role)."""
    existing = {u.username for u in list_users()}
    for username, role in DEMO_USERS:
        if username not in existing:
            add_user(username, demo_password(username), role, system("demo"))
    return [(u, demo_password(u), r) for u, r in DEMO_USERS]

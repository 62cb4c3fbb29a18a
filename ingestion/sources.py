"""Configured sources: the audited commands (admins only) that add and change them, and their
connectors.

A source names the environment variables holding its credentials; the secrets
are read from the environment when a connector is built or a push is verified.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.ingestion_tables import Source
from db.jobs import JobRef, enqueue
from db.roles import Actor
from ingestion.connectors.registry import KINDS
from ingestion.errors import SourceError

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
MIN_INTERVAL = 5
DEFAULT_LOOKBACK_MINUTES = 60


@dataclass(frozen=True)
class SourceInfo:
    id: int
    name: str
    kind: str
    instance: str
    base_url: str
    secret_env: str | None
    webhook_secret_env: str | None
    poll_interval_seconds: int
    enabled: bool
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Source) -> SourceInfo:
        return cls(
            row.id,
            row.name,
            row.kind,
            row.instance,
            row.base_url,
            row.secret_env,
            row.webhook_secret_env,
            row.poll_interval_seconds,
            row.enabled,
            dict(row.options or {}),
        )

    @property
    def lookback(self) -> dt.timedelta:
        minutes = self.options.get("lookback_minutes", DEFAULT_LOOKBACK_MINUTES)
        return dt.timedelta(minutes=int(minutes))


def secret(env_name: str | None, what: str) -> str:
    """The value of the environment variable a source names; unset is a SourceError."""
    if not env_name:
        raise SourceError(f"no environment variable is configured for the {what}")
    value = os.environ.get(env_name)
    if not value:
        raise SourceError(f"environment variable {env_name} (the {what}) is not set")
    return value


def connector(source: SourceInfo, **client_options: Any):
    """The pulling connector of a source (``fetch(cursor)`` yields pages)."""
    token = secret(source.secret_env, f"{source.name} API credential")
    kind = KINDS.get(source.kind)
    if kind is None or kind.pager is None:
        raise SourceError(f"source {source.name} ({source.kind}) is not pulled over HTTP")
    return kind.build_pager(source, token, **client_options)


def get_source(conn: Connection, name: str) -> SourceInfo:
    row = conn.execute(select(Source.__table__).where(Source.name == name)).first()
    if row is None:
        raise CommandError(f"no source named {name!r}")
    return SourceInfo.of(row)


def list_sources() -> list[SourceInfo]:
    with session_scope() as session:
        return [SourceInfo.of(s) for s in session.scalars(select(Source).order_by(Source.name))]


def find_source(name: str) -> SourceInfo:
    with session_scope() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        if row is None:
            raise CommandError(f"no source named {name!r}")
        return SourceInfo.of(row)


def _check_env(value: str | None, what: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and not ENV_NAME.match(value):
        raise CommandError(
            f"{what} must be the NAME of an environment variable (A-Z, 0-9, _), not a secret"
        )
    return value


def add_source(
    name: str,
    kind: str,
    instance: str,
    base_url: str = "",
    *,
    secret_env: str | None = None,
    webhook_secret_env: str | None = None,
    poll_interval_seconds: int = 300,
    enabled: bool = True,
    options: dict[str, Any] | None = None,
    actor: Actor,
) -> SourceInfo:
    actor.require("admin", "add sources")
    name = name.strip().lower()
    if not NAME.match(name):
        raise CommandError("a source name is 1–80 lower-case letters, digits, '.', '_' or '-'")
    if kind not in KINDS:
        raise CommandError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if not instance.strip():
        raise CommandError("a source needs its instance name (e.g. main-store)")
    if poll_interval_seconds < MIN_INTERVAL:
        raise CommandError(f"the poll interval must be at least {MIN_INTERVAL} seconds")
    row = Source(
        name=name,
        kind=kind,
        instance=instance.strip(),
        base_url=base_url.strip(),
        secret_env=_check_env(secret_env, "the secret reference"),
        webhook_secret_env=_check_env(webhook_secret_env, "the webhook secret reference"),
        poll_interval_seconds=poll_interval_seconds,
        enabled=enabled,
        options=dict(options or {}),
    )
    with session_scope() as session:
        if session.scalar(select(Source.id).where(Source.name == name)):
            raise CommandError(f"source {name!r} already exists")
        session.add(row)
        session.flush()
        info = SourceInfo.of(row)
        audit.record(session, actor.name, "source.add", "source", name, None, asdict(info))
        return info


def set_source_enabled(name: str, enabled: bool, actor: Actor) -> SourceInfo:
    actor.require("admin", "enable or disable sources")
    with session_scope() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        if row is None:
            raise CommandError(f"no source named {name!r}")
        before = row.enabled
        row.enabled = enabled
        audit.record(
            session,
            actor.name,
            "source.enable" if enabled else "source.disable",
            "source",
            name,
            {"enabled": before},
            {"enabled": enabled},
        )
        return SourceInfo.of(row)


def request_sync(name: str, actor: Actor) -> JobRef:
    """Sync a source now (admins only): queued for the ingest worker, or run here without Redis."""
    actor.require("admin", "sync sources")
    from ingestion.worker import INGEST_QUEUE  # the worker imports this module

    return enqueue("ingestion.worker.pull", find_source(name).name, queue=INGEST_QUEUE)

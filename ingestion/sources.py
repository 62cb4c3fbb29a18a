"""Configured sources: the audited commands (admins only) that add and change them, and their
connectors.

A source names the environment variables holding its credentials; the secrets
are read from the environment when a connector is built or a push is verified.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection
from sqlalchemy import select

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.ingestion_tables import Source
from db.jobs import JobRef
from db.jobs import enqueue
from db.jobs import pending_job
from db.roles import Actor
from ingestion.connectors.registry import KINDS
from ingestion.errors import SourceError
from ingestion.queues import source_queue

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
MIN_INTERVAL = 5
MAX_INTERVAL = 7 * 86_400
MAX_URL = 500
DEFAULT_LOOKBACK_MINUTES = 60
# What ``edit_source`` may change (the name is the source's identity: sync state and hooks use it).
EDITABLE = (
    "kind",
    "instance",
    "base_url",
    "secret_env",
    "webhook_secret_env",
    "poll_interval_seconds",
    "enabled",
    "options",
)


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
    row = (
        conn.execute(select(Source.__table__).where(Source.name == name)).first()
        if NAME.fullmatch(name)  # else no source has it (a NUL, say, PostgreSQL refuses)
        else None
    )
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


def _check_base_url(kind: str, value: str | None) -> str:
    """An HTTP kind's base URL is http(s)://host/…; a file source's is its drop directory."""
    value = (value or "").strip()
    if len(value) > MAX_URL:
        raise CommandError(f"the base URL is longer than {MAX_URL} characters")
    if value and KINDS[kind].pager is not None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CommandError(f"base URL {value!r} is not an http:// or https:// address")
    return value


def _check_interval(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CommandError("the poll interval must be a whole number of seconds")
    if not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise CommandError(
            f"the poll interval must be between {MIN_INTERVAL} and {MAX_INTERVAL} seconds "
            f"(7 days), not {value}"
        )
    return value


def validated(values: dict[str, Any]) -> dict[str, Any]:
    """A source's settings checked and normalised (every ``EDITABLE`` field), or a CommandError
    naming the first bad one."""
    kind = values["kind"]
    if kind not in KINDS:
        raise CommandError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    instance = (values["instance"] or "").strip()
    if not instance:
        raise CommandError("a source needs its instance name (e.g. main-store)")
    if len(instance) > 80:
        raise CommandError("the instance name is longer than 80 characters")
    options = values["options"]
    if not isinstance(options, dict):
        raise CommandError("a source's options must be a JSON object")
    return {
        "kind": kind,
        "instance": instance,
        "base_url": _check_base_url(kind, values["base_url"]),
        "secret_env": _check_env(values["secret_env"], "the credential variable"),
        "webhook_secret_env": _check_env(
            values["webhook_secret_env"], "the webhook secret variable"
        ),
        "poll_interval_seconds": _check_interval(values["poll_interval_seconds"]),
        "enabled": bool(values["enabled"]),
        "options": dict(options),
    }


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
    values = validated(
        {
            "kind": kind,
            "instance": instance,
            "base_url": base_url,
            "secret_env": secret_env,
            "webhook_secret_env": webhook_secret_env,
            "poll_interval_seconds": poll_interval_seconds,
            "enabled": enabled,
            "options": options or {},
        }
    )
    with session_scope() as session:
        if session.scalar(select(Source.id).where(Source.name == name)):
            raise CommandError(f"source {name!r} already exists")
        row = Source(name=name, **values)
        session.add(row)
        session.flush()
        info = SourceInfo.of(row)
        audit.record(session, actor.name, "source.add", "source", name, None, asdict(info))
        return info


def edit_source(name: str, changes: dict[str, Any], actor: Actor) -> SourceInfo:
    """Change a source's settings (any of ``EDITABLE``; the rest stay): all checked before
    anything is written, and audited with the values before and after."""
    actor.require("admin", "edit sources")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CommandError(f"a source has no editable setting {', '.join(unknown)}")
    with session_scope() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        if row is None:
            raise CommandError(f"no source named {name!r}")
        before = SourceInfo.of(row)
        values = validated({key: changes.get(key, getattr(row, key)) for key in EDITABLE})
        changed = {key: value for key, value in values.items() if getattr(before, key) != value}
        if not changed:
            return before
        for key, value in changed.items():
            setattr(row, key, value)
        session.flush()
        audit.record(
            session,
            actor.name,
            "source.edit",
            "source",
            name,
            {key: getattr(before, key) for key in changed},
            changed,
        )
        return SourceInfo.of(row)


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


SYNC_JOB = "ingestion.worker.pull"


def request_sync(name: str, actor: Actor) -> JobRef:
    """Sync a source now (admins only), audited: queued on the source's own queue for the
    ingest worker of its shard, or run here without Redis. Refused while a sync of the source
    waits or runs on its queue (a second would only repeat it)."""
    actor.require("admin", "sync sources")
    name = find_source(name).name
    queue = source_queue(name)
    waiting = pending_job(SYNC_JOB, (name,), queue)
    if waiting is not None:
        raise CommandError(f"a sync of {name} is already queued or running (job {waiting})")
    job = enqueue(SYNC_JOB, name, queue=queue)
    with session_scope() as session:
        audit.record(
            session,
            actor.name,
            "source.sync",
            "source",
            name,
            None,
            {"job": job.id} if job.queued else sync_counts(job.result),
        )
    return job


def sync_counts(result: Any) -> dict[str, int]:
    """A finished sync's counts (``ingestion.sync.SyncResult``): read, new, updated,
    unchanged, rejected."""
    return {
        "read": result.read,
        "new": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
    }

"""The append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so an
edited, deleted or reordered entry breaks the chain (``verify``). Entries are
only ever inserted; the database refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.engine import get_engine
from db.schema import AuditLog
from db.settings import get_settings

GENESIS = "0" * 64
# Serialises writers so two concurrent entries never chain to the same predecessor.
AUDIT_LOCK_KEY = 7_310_001


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> str:
    stamp = at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = _canonical([prev_hash, stamp, actor, action, entity_type, entity_id, before, after])
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    target: Session | Connection,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int = "",
    before: Any = None,
    after: Any = None,
) -> str:
    """Append one entry in the caller's transaction; returns its hash."""
    conn = target.connection() if isinstance(target, Session) else target
    table = AuditLog.__table__
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    prev = conn.execute(select(table.c.hash).order_by(table.c.id.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    at = dt.datetime.now(dt.UTC)
    before = json.loads(_canonical(before)) if before is not None else None
    after = json.loads(_canonical(after)) if after is not None else None
    digest = entry_hash(prev, at, actor, action, entity_type, str(entity_id), before, after)
    conn.execute(
        table.insert().values(
            at=at,
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before,
            after=after,
            prev_hash=prev,
            hash=digest,
        )
    )
    return digest


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_entries(session: Session, _context, _instances) -> None:
    """The ORM side of append-only (the database triggers are the other side)."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditLog):
            raise AppendOnlyError("audit_log is append-only: entries cannot be changed or deleted")


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


def verify(conn: Connection, anchor: str | None = None) -> list[ChainProblem]:
    """Every break in the chain: a changed entry, a missing one, or entries out of order.

    The chain alone cannot show entries cut from its end; ``anchor``, a hash
    printed by an earlier verification and kept elsewhere, must still be in it.
    """
    table = AuditLog.__table__
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    for row in conn.execute(select(table).order_by(table.c.id)).mappings():
        if row["prev_hash"] != expected_prev:
            problems.append(
                ChainProblem(row["id"], "does not follow the previous entry (deleted or reordered)")
            )
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=dt.UTC)
        digest = entry_hash(
            row["prev_hash"],
            at,
            row["actor"],
            row["action"],
            row["entity_type"],
            row["entity_id"],
            row["before"],
            row["after"],
        )
        if digest != row["hash"]:
            problems.append(ChainProblem(row["id"], "content does not match its hash (edited)"))
        expected_prev = row["hash"]
        if row["hash"] == anchor:
            anchor = None
    if anchor:
        problems.append(
            ChainProblem(0, f"anchored entry {anchor[:12]}… is missing (cut from the end)")
        )
    return problems


FILTER_COLUMNS = ("actor", "action", "entity_type")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), get_settings().tz).astimezone(dt.UTC)


def entries(
    conn: Connection,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    limit: int | None = 1000,
) -> list[dict]:
    """Entries newest first, narrowed by exact actor / action / entity and a range of days
    (inclusive, in the reporting time zone)."""
    table = AuditLog.__table__
    query = select(table).order_by(table.c.id.desc())
    for column, value in (
        ("actor", actor),
        ("action", action),
        ("entity_type", entity_type),
        ("entity_id", entity_id),
    ):
        if value:
            query = query.where(table.c[column] == value)
    if start:
        query = query.where(table.c.at >= _day_start(start))
    if end:
        query = query.where(table.c.at < _day_start(end + dt.timedelta(days=1)))
    if limit:
        query = query.limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]


def filter_options(conn: Connection) -> dict[str, list[str]]:
    """The distinct actors, actions and entity types recorded, for filter lists."""
    table = AuditLog.__table__
    return {
        name: list(
            conn.execute(
                select(table.c[name]).group_by(table.c[name]).order_by(table.c[name])
            ).scalars()
        )
        for name in FILTER_COLUMNS
    }


def head(conn: Connection) -> tuple[int, str] | None:
    """The id and hash of the newest entry (an anchor to keep elsewhere), or None if empty."""
    table = AuditLog.__table__
    row = conn.execute(
        select(table.c.id, table.c.hash).where(
            table.c.id == select(func.max(table.c.id)).scalar_subquery()
        )
    ).first()
    return (row.id, row.hash) if row else None


def _shown(value: Any) -> str:
    """One audited value, short: lists joined, dicts as compact JSON (cut at 160 characters)."""
    if value is None:
        return "—"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(map(str, value)) or "[]"
    if isinstance(value, (dict, list)):
        text = _canonical(value)
        return text if len(text) <= 160 else text[:159] + "…"
    return str(value)


def change_summary(before: Any, after: Any) -> str:
    """What an entry changed: ``hour: 7 → 8 · weekday: 0 → 4`` for two records (only the fields
    that differ), else the value set or removed."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after))
        parts = [
            f"{key}: {_shown(before.get(key))} → {_shown(after.get(key))}"
            for key in keys
            if before.get(key) != after.get(key)
        ]
        return " · ".join(parts) or "no change"
    if before is None:
        return "—" if after is None else f"set {_shown(after)}"
    if after is None:
        return f"removed {_shown(before)}"
    return f"{_shown(before)} → {_shown(after)}"


# --- reading the trail, for the audit page and the CLI ------------------------------------

EXPORT_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "hash",
)


def value_text(value: Any) -> str:
    """An audited value as the canonical JSON its hash covers ("" for none)."""
    return "" if value is None else _canonical(value)


def write_csv(rows: list[dict], handle) -> None:
    """Entries as CSV (``EXPORT_COLUMNS``), their before and after values as canonical JSON."""
    writer = csv.writer(handle)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [value_text(row[c]) if c in ("before", "after") else row[c] for c in EXPORT_COLUMNS]
        )


def chain_state(
    anchor: str | None = None, url: str | None = None
) -> tuple[list[ChainProblem], tuple[int, str] | None]:
    """``verify`` and ``head`` of the trail, read together."""
    with get_engine(url).connect() as conn:
        return verify(conn, anchor), head(conn)


def find_entries(url: str | None = None, **filters: Any) -> list[dict]:
    """``entries`` narrowed by ``filters``, in a connection of its own."""
    with get_engine(url).connect() as conn:
        return entries(conn, **filters)


def entry_filter_options(url: str | None = None) -> dict[str, list[str]]:
    """``filter_options`` in a connection of its own."""
    with get_engine(url).connect() as conn:
        return filter_options(conn)

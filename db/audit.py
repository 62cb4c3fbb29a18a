"""The append-only, hash-chained audit log.

Each entry's hash covers its content and the previous entry's hash, so an
edited, deleted or reordered entry breaks the chain (``verify``). Entries are
only ever inserted; the database refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from db.schema import AuditLog

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


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


def verify(conn: Connection) -> list[ChainProblem]:
    """Every break in the chain: a changed entry, a missing one, or entries out of order."""
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
    return problems

"""The quarantine: list, inspect, replay and discard rejected payloads (audited admin commands).

A replay maps the stored bytes again with the current code and channel rules and
loads what now passes as one ingest run; those rejects become ``replayed`` with the
run's id, the others stay quarantined with their new reason. File rows are fixed
at the source: correct the file, ingest it again, then discard the rejects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from db import audit
from db.engine import get_engine
from db.errors import CommandError
from db.events import batch_committed
from db.ingestion_tables import REJECT_STATUSES
from db.ingestion_tables import Reject
from db.roles import Actor
from ingestion.connectors.registry import ORDER_MAPPERS
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.runs import utcnow
from ingestion.sync import Incoming
from ingestion.sync import SyncResult
from ingestion.sync import load_canonical
from ingestion.sync import map_orders

PREVIEW_BYTES = 20_000


@dataclass(frozen=True)
class RejectInfo:
    id: int
    source_name: str | None
    source_system: str
    source_instance: str
    stream: str
    record_id: str | None
    error: str
    size: int
    received_at: dt.datetime
    status: str
    replayed_at: dt.datetime | None
    replay_run_id: int | None


@dataclass(frozen=True)
class RejectDetail:
    info: RejectInfo
    payload: bytes

    @property
    def preview(self) -> str:
        """The payload as text (undecodable bytes shown as \\xNN), cut at PREVIEW_BYTES."""
        text = self.payload[:PREVIEW_BYTES].decode("utf-8", errors="backslashreplace")
        if len(self.payload) > PREVIEW_BYTES:
            text += f"\n… ({len(self.payload) - PREVIEW_BYTES:,} more bytes)"
        return text


def _columns():
    table = Reject.__table__
    return [
        table.c.id,
        table.c.source_name,
        table.c.source_system,
        table.c.source_instance,
        table.c.stream,
        table.c.record_id,
        table.c.error,
        func.length(table.c.payload).label("size"),
        table.c.received_at,
        table.c.status,
        table.c.replayed_at,
        table.c.replay_run_id,
    ]


def list_rejects(
    status: str | None = "quarantined", source: str | None = None, limit: int = 200
) -> list[RejectInfo]:
    """The newest rejects first, optionally of one status and one source (name or system)."""
    if status is not None and status not in REJECT_STATUSES:
        raise CommandError(f"status {status!r} is not one of {', '.join(REJECT_STATUSES)}")
    table = Reject.__table__
    query = select(*_columns()).order_by(table.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(table.c.status == status)
    if source:
        query = query.where((table.c.source_name == source) | (table.c.source_system == source))
    with get_engine().connect() as conn:
        return [RejectInfo(**row._mapping) for row in conn.execute(query)]


def get_reject(reject_id: int) -> RejectDetail:
    table = Reject.__table__
    with get_engine().connect() as conn:
        row = conn.execute(
            select(*_columns(), table.c.payload).where(table.c.id == reject_id)
        ).first()
    if row is None:
        raise CommandError(f"no reject with id {reject_id}")
    values = dict(row._mapping)
    payload = values.pop("payload")
    return RejectDetail(RejectInfo(**values), payload)


def _quarantined(conn, ids: list[int]) -> list:
    table = Reject.__table__
    if not ids:
        raise CommandError("choose at least one reject")
    rows = conn.execute(
        select(table).where(table.c.id.in_(ids)).order_by(table.c.id).with_for_update()
    ).all()
    found = {row.id for row in rows}
    missing = sorted(set(ids) - found)
    if missing:
        raise CommandError(f"no reject with id {', '.join(map(str, missing))}")
    done = [row.id for row in rows if row.status != "quarantined"]
    if done:
        raise CommandError(f"rejects {', '.join(map(str, done))} are not quarantined any more")
    return rows


def _still_failing(passed: list, failed: list, refused: list) -> tuple[list, list]:
    """Move the rejects whose orders the enrichment refused (no exchange rate yet) from
    ``passed`` to ``failed`` with the new reason: they stay quarantined."""
    reason = {r.record_id: r.error for r in refused}
    now_failing = [
        (row, next(reason[o.source_order_id] for o in orders if o.source_order_id in reason))
        for row, orders in passed
        if any(o.source_order_id in reason for o in orders)
    ]
    failing_ids = {row.id for row, _ in now_failing}
    return [p for p in passed if p[0].id not in failing_ids], [*failed, *now_failing]


def replay(ids: list[int], actor: Actor) -> SyncResult:
    """Map the stored payloads again and load those that pass, as one run per source."""
    actor.require("admin", "replay quarantined records")
    engine = get_engine()
    table = Reject.__table__
    total = SyncResult()
    days: set[dt.date] = set()
    with engine.begin() as conn:
        rows = _quarantined(conn, ids)
        unsupported = sorted({row.source_system for row in rows} - set(ORDER_MAPPERS))
        if unsupported:
            raise CommandError(
                f"{', '.join(unsupported)} rejects cannot be replayed: correct the source "
                "(e.g. the file) and ingest it again, then discard them"
            )
        groups: dict[tuple[str, str], list] = {}
        for row in rows:
            groups.setdefault((row.source_system, row.source_instance), []).append(row)
        for (system, instance), group in groups.items():
            run_id = start_run(conn, system, instance, "replay")
            passed, failed = [], []
            for row in group:
                item = Incoming(row.record_id, row.payload)
                orders, rejects = map_orders(system, instance, [item])
                if rejects:
                    failed.append((row, rejects[0].error))
                else:
                    passed.append((row, orders))
            result, refused = load_canonical(
                conn, [o for _, orders in passed for o in orders], run_id
            )
            if refused:
                passed, failed = _still_failing(passed, failed, refused)
            days |= result.days
            now = utcnow()
            for row, _ in passed:
                conn.execute(
                    update(table)
                    .where(table.c.id == row.id)
                    .values(status="replayed", replayed_at=now, replay_run_id=run_id)
                )
            for row, error in failed:
                conn.execute(update(table).where(table.c.id == row.id).values(error=error))
            finish_run(conn, run_id, result, rejected=len(failed))
            total.add(result, len(failed))
            audit.record(
                conn,
                actor.name,
                "reject.replay",
                "reject",
                ",".join(str(row.id) for row in group),
                None,
                {
                    "run_id": run_id,
                    "replayed": [row.id for row, _ in passed],
                    "still_failing": {str(row.id): error for row, error in failed},
                },
            )
    batch_committed(days)
    return total


def discard(ids: list[int], reason: str, actor: Actor) -> int:
    """Mark rejects as discarded (kept, never deleted); the reason goes to the audit log."""
    actor.require("admin", "discard quarantined records")
    if not reason.strip():
        raise CommandError("say why the rejects are discarded")
    table = Reject.__table__
    with get_engine().begin() as conn:
        rows = _quarantined(conn, ids)
        conn.execute(
            update(table).where(table.c.id.in_([r.id for r in rows])).values(status="discarded")
        )
        audit.record(
            conn,
            actor.name,
            "reject.discard",
            "reject",
            ",".join(str(r.id) for r in rows),
            {"status": "quarantined"},
            {"status": "discarded", "reason": reason.strip()},
        )
    return len(rows)

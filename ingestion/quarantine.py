"""The quarantine: list, inspect, replay and discard rejected payloads (audited admin commands).

A replay loads the stored payloads again as one ingest run per source: an API's bytes mapped
again with the current code and channel rules, a file row refused for want of reference data
(an exchange rate, a known store) as the canonical record it became. Those that now load
become ``replayed`` with the run's id (and any other quarantined rejects of their records
``resolved``); the others stay quarantined with their new reason. A file row wrong in itself
(a bad number, a bad date) cannot be replayed: it is fixed in the file, and the file loaded
again resolves its reject (``ingestion.sync.rejects``).
"""

from __future__ import annotations

import datetime as dt
import json
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
from ingestion.canonical import parse
from ingestion.connectors.file_mapping import MODELS
from ingestion.connectors.registry import ORDER_MAPPERS
from ingestion.errors import MappingError
from ingestion.file_sync import FILE_SYSTEM
from ingestion.loader import LoadResult
from ingestion.records import load_records
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.runs import utcnow
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import SyncResult
from ingestion.sync import map_orders
from ingestion.sync import resolve_rejects

PREVIEW_BYTES = 20_000


@dataclass(frozen=True)
class RejectInfo:
    id: int
    source_name: str | None
    source_system: str
    source_instance: str
    stream: str
    record_id: str | None
    record_key: str | None
    error: str
    size: int
    received_at: dt.datetime
    last_seen_at: dt.datetime | None
    status: str
    replayed_at: dt.datetime | None
    replay_run_id: int | None
    canonical: bool

    @property
    def replayable(self) -> bool:
        return replayable(self.source_system, self.canonical)


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
        table.c.record_key,
        table.c.error,
        func.length(table.c.payload).label("size"),
        table.c.received_at,
        table.c.last_seen_at,
        table.c.status,
        table.c.replayed_at,
        table.c.replay_run_id,
        table.c.canonical,
    ]


def replayable(source_system: str, canonical: bool) -> bool:
    """Whether a replay can load a reject: its payload is a canonical record (a file row refused
    for want of reference data), or an order an API source sent, which is mapped again."""
    return canonical or source_system in ORDER_MAPPERS


def _chosen(query, status: str | None, source: str | None):
    """``query`` narrowed to rejects of one status and one source (name or system)."""
    if status is not None and status not in REJECT_STATUSES:
        raise CommandError(f"status {status!r} is not one of {', '.join(REJECT_STATUSES)}")
    table = Reject.__table__
    if status is not None:
        query = query.where(table.c.status == status)
    if source:
        query = query.where((table.c.source_name == source) | (table.c.source_system == source))
    return query


def list_rejects(
    status: str | None = "quarantined", source: str | None = None, limit: int = 200
) -> list[RejectInfo]:
    """The newest rejects first (at most ``limit``), optionally of one status and one source."""
    query = _chosen(select(*_columns()), status, source)
    query = query.order_by(Reject.__table__.c.id.desc()).limit(limit)
    with get_engine().connect() as conn:
        return [RejectInfo(**row._mapping) for row in conn.execute(query)]


def count_rejects(status: str | None = "quarantined", source: str | None = None) -> int:
    """How many rejects ``list_rejects`` chooses from (it shows the newest ``limit``)."""
    query = _chosen(select(func.count()).select_from(Reject.__table__), status, source)
    with get_engine().connect() as conn:
        return conn.execute(query).scalar_one()


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


def _refuse_unreplayable(rows: list) -> None:
    """Refuse rejects a replay cannot load, saying how each is fixed instead."""
    stuck = [row for row in rows if not replayable(row.source_system, row.canonical)]
    if not stuck:
        return
    ids = ", ".join(str(row.id) for row in stuck)
    if any(row.source_system != FILE_SYSTEM for row in stuck):
        raise CommandError(
            f"rejects {ids} cannot be replayed: their records are not orders. Correct the "
            "source and load it again, then discard them"
        )
    after = "which resolves them" if all(row.record_key for row in stuck) else "then discard them"
    raise CommandError(
        f"rejects {ids} cannot be replayed: the row itself is wrong in the file "
        f"({stuck[0].error}). Correct it in the file and upload the file again, {after}"
    )


def _kind(row) -> str:
    """The kind of records a reject holds: an API source's are orders, a file's its stream's."""
    return row.stream.removeprefix("file:") if row.canonical else "orders"


def _records(row, kind: str) -> tuple[list, str | None]:
    """The canonical records a reject's payload makes now (an API's payload mapped again, a
    canonical record read back), or why it makes none."""
    if not row.canonical:
        orders, rejects = map_orders(
            row.source_system, row.source_instance, [Incoming(row.record_id, row.payload)]
        )
        return orders, rejects[0].error if rejects else None
    try:
        return [parse(MODELS[kind], json.loads(row.payload))], None
    except MappingError as exc:
        return [], str(exc)


def _replay_group(
    conn, kind: str, group: list, run_id: int
) -> tuple[LoadResult, list, list[tuple[object, str]]]:
    """Load a group's records as run ``run_id``: the result, the rejects that loaded and the
    rejects still failing with their reasons."""
    records, owners, failed = [], [], []
    for row in group:
        made, error = _records(row, kind)
        if error is not None:
            failed.append((row, error))
            continue
        records += made
        owners += [row] * len(made)
    result, refused = load_records(conn, kind, records, run_id)
    reasons = {owners[n].id: reason for n, reason in refused.items()}
    failed += [(row, reasons[row.id]) for row in group if row.id in reasons]
    failing = {row.id for row, _ in failed}
    return result, [row for row in group if row.id not in failing], failed


def replay(ids: list[int], actor: Actor) -> SyncResult:
    """Load the stored payloads again and those that pass, as one run per source and kind."""
    actor.require("admin", "replay quarantined records")
    engine = get_engine()
    table = Reject.__table__
    total = SyncResult()
    days: set[dt.date] = set()
    with engine.begin() as conn:
        rows = _quarantined(conn, ids)
        _refuse_unreplayable(rows)
        groups: dict[tuple[str, str, str], list] = {}
        for row in rows:
            groups.setdefault((row.source_system, row.source_instance, _kind(row)), []).append(row)
        for (system, instance, kind), group in groups.items():
            run_id = start_run(conn, system, instance, "replay")
            result, passed, failed = _replay_group(conn, kind, group, run_id)
            days |= result.days
            conn.execute(
                update(table)
                .where(table.c.id.in_([row.id for row in passed]))
                .values(status="replayed", replayed_at=utcnow(), replay_run_id=run_id)
            )
            keys = [row.record_key for row in passed if row.record_key]
            resolved = resolve_rejects(conn, Origin(system, instance, "replay"), keys, run_id)
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
                    "replayed": [row.id for row in passed],
                    "resolved": resolved,
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

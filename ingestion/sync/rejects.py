"""The quarantine's writes during a load: rejects kept once, and resolved once their record loads.

A reject still quarantined is the one row of its source, record and payload: the same bytes
of the same record received again (the same file loaded twice, a page re-read) update its
reason, record id and ``last_seen_at``, and still count as rejected in their run. A unique
index over the quarantined rejects holds this even when two loads run at once (migration
0075). When a record loads, its source's quarantined rejects of it (by ``record_key``: the
source's id of the record) become ``resolved`` by that run: the Quarantine shows only what
is still wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from db.ingestion_tables import QUARANTINED
from db.ingestion_tables import Reject
from db.upsert import insert_for
from ingestion.runs import utcnow
from ingestion.sync.mapping import Origin
from ingestion.sync.mapping import RejectedPayload

MAX_ERROR = 4000
MAX_RECORD_ID = 200
# The record of a reject, as the unique index over the quarantined rejects names it.
RECORD = text("coalesce(record_key, record_id, '')")


def _nul_escaped(value: str) -> str:
    """Text the reject table can hold: a NUL character (which PostgreSQL's text refuses, and a
    bad payload may carry into its id or its reason) shown as ``\\x00``."""
    return value.replace("\x00", "\\x00")


def _stored_id(value: str | None) -> str | None:
    return _nul_escaped(value)[:MAX_RECORD_ID] if value else None


def write_rejects(
    conn: Connection, origin: Origin, rejects: Sequence[RejectedPayload], run_id: int | None
) -> None:
    """Quarantine ``rejects`` from ``origin``; one still quarantined with the same record and
    payload is seen again (its reason, record id and ``last_seen_at`` updated), not added."""
    if not rejects:
        return
    now = utcnow()
    rows: dict[tuple[str, str], dict] = {}
    for r in rejects:
        row = {
            "source_name": origin.source_name,
            "source_system": origin.source_system,
            "source_instance": origin.source_instance,
            "stream": origin.stream,
            "record_id": _stored_id(r.record_id),
            "record_key": _stored_id(r.record_key),
            "error": _nul_escaped(r.error)[:MAX_ERROR],
            "payload": r.payload,
            "payload_sha256": r.sha256,
            "canonical": r.canonical,
            "received_at": now,
            "last_seen_at": now,
            "ingest_run_id": run_id,
            "status": "quarantined",
        }
        # One statement may not update a row twice: a copy within the batch is seen once.
        rows[row["record_key"] or row["record_id"] or "", r.sha256] = row
    table = Reject.__table__
    statement = insert_for(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.source_system, table.c.source_instance, RECORD, "payload_sha256"],
        index_where=QUARANTINED,
        set_={name: statement.excluded[name] for name in ("error", "record_id", "last_seen_at")},
    )
    conn.execute(statement, list(rows.values()))


def resolve_rejects(
    conn: Connection, origin: Origin, loaded: Iterable[str], run_id: int
) -> list[int]:
    """Mark the quarantined rejects of ``origin`` whose record (``record_key``) is among the
    ``loaded`` ones resolved by run ``run_id``; their ids. A page of a source with nothing
    quarantined costs one index probe."""
    table = Reject.__table__
    of_source = (
        QUARANTINED,
        table.c.source_system == origin.source_system,
        table.c.source_instance == origin.source_instance,
        table.c.record_key.is_not(None),
    )
    keys = sorted(set(loaded))
    if not keys or conn.execute(select(table.c.id).where(*of_source).limit(1)).first() is None:
        return []
    resolved = conn.execute(
        update(table)
        .where(*of_source, table.c.record_key.in_(keys))
        .values(status="resolved", replayed_at=utcnow(), replay_run_id=run_id)
        .returning(table.c.id)
    ).scalars()
    return sorted(resolved)

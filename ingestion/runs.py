"""Ingest runs: every batch is recorded with read = inserted + updated + unchanged + rejected."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection
from sqlalchemy import insert
from sqlalchemy import update

from db.schema import DataStamp
from db.schema import IngestRun
from db.upsert import upsert
from ingestion.loader import LoadResult

DATA_STAMP = "data"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start_run(conn: Connection, source_system: str, source_instance: str, stream: str) -> int:
    return conn.execute(
        insert(IngestRun.__table__)
        .values(
            source_system=source_system,
            source_instance=source_instance,
            stream=stream,
            started_at=utcnow(),
            status="running",
        )
        .returning(IngestRun.__table__.c.id)
    ).scalar_one()


def finish_run(conn: Connection, run_id: int, result: LoadResult, rejected: int = 0) -> None:
    """Close the run and stamp the data as changed, in the caller's transaction."""
    conn.execute(
        update(IngestRun.__table__)
        .where(IngestRun.__table__.c.id == run_id)
        .values(
            finished_at=utcnow(),
            status="succeeded",
            read=result.read + rejected,
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=rejected,
        )
    )
    touch_data_stamp(conn)


def touch_data_stamp(conn: Connection) -> None:
    upsert(conn, DataStamp.__table__, [{"name": DATA_STAMP, "at": utcnow()}], key=["name"])

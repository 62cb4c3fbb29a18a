"""Ingestion operations tables: configured sources, their cursors, and the quarantine.

A source stores only the *names* of the environment variables holding its
credentials (``secret_env`` for the API, ``webhook_secret_env`` for signed
pushes), never a secret. A reject keeps the payload's exact bytes so a replay
sees what the source sent, whatever its encoding.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import LargeBinary
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Timestamp

# quarantined: still wrong; replayed: loaded by a replay; resolved: its record loaded later
# (fixed at the source); discarded: set aside by an admin; repeated: a copy of a quarantined
# reject, from before a reject was kept once (migration 0075).
REJECT_STATUSES = ("quarantined", "replayed", "resolved", "discarded", "repeated")


class Source(Base):
    __tablename__ = "source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    instance: Mapped[str] = mapped_column(String(80))
    base_url: Mapped[str] = mapped_column(String(500), default="")
    secret_env: Mapped[str | None] = mapped_column(String(120))
    webhook_secret_env: Mapped[str | None] = mapped_column(String(120))
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kind-specific settings: Square location_ids, GA4 property_id, file mapping, lookback_minutes.
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())


class SyncState(Base):
    """The cursor of one source stream, written in the same transaction as the data it covers."""

    __tablename__ = "sync_state"
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)


QUARANTINED = text("status = 'quarantined'")


class Reject(Base):
    """A payload that could not be mapped or validated: kept with the reason, never dropped.

    Quarantined once per source, record and payload: the same bytes of the same record
    received again update ``last_seen_at`` (and the reason and ``record_id``), not a new row.
    ``record_key``: the source's id of the record where known (an order's source order id),
    by which a later load of it resolves the reject. ``canonical``: the payload is the
    canonical record the mapping made, which a replay loads as it is, not the source's bytes.
    ``replayed_at`` / ``replay_run_id``: when and by which run the record loaded (replayed, or
    loaded later and so resolved).
    """

    __tablename__ = "reject"
    __table_args__ = (
        Index("ix_reject_status", "status", "received_at"),
        Index(
            "uq_reject_quarantined_once",
            "source_system",
            "source_instance",
            text("coalesce(record_key, record_id, '')"),
            "payload_sha256",
            unique=True,
            postgresql_where=QUARANTINED,
            sqlite_where=QUARANTINED,
        ),
        Index(
            "ix_reject_quarantined_key",
            "source_system",
            "source_instance",
            "record_key",
            postgresql_where=QUARANTINED,
            sqlite_where=QUARANTINED,
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_name: Mapped[str | None] = mapped_column(String(80))
    source_system: Mapped[str] = mapped_column(String(40))
    source_instance: Mapped[str] = mapped_column(String(80))
    stream: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[str | None] = mapped_column(String(200))
    record_key: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    status: Mapped[str] = mapped_column(String(20), default="quarantined")
    replayed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    replay_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))


class LoadedPage(Base):
    """The sha256 of a page of raw payloads loaded without rejects: the same bytes sent again
    (a replayed file, a re-sent page) are counted unchanged before any payload is parsed."""

    __tablename__ = "loaded_page"
    source_system: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_instance: Mapped[str] = mapped_column(String(80), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))


class SavedFileMapping(Base):
    """A file mapping saved by name for uploads (its YAML text as written, audited)."""

    __tablename__ = "file_mapping"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    yaml_text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    updated_by: Mapped[str] = mapped_column(String(80))

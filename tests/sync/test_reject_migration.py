"""Migration 0075 on PostgreSQL and SQLite: copies of a quarantined reject become one (the
others ``repeated``), API rejects get their record key, and the same reject written again
stays one row."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from ingestion.sync import Origin
from ingestion.sync import RejectedPayload
from ingestion.sync import write_rejects

INSERT = text(
    "INSERT INTO reject (source_system, source_instance, stream, record_id, error, payload, "
    "payload_sha256, received_at, status) VALUES (:system, 'main', 'orders', :record, 'bad', "
    ":payload, :sha, :at, :status)"
)
START = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
PAYLOAD = b"{}"
SHA = RejectedPayload(None, "", PAYLOAD).sha256
BEFORE = [  # system, record id, status: in the order received, an hour apart
    ("shopify", "7", "quarantined"),
    ("shopify", "7", "quarantined"),
    ("shopify", "8", "quarantined"),
    ("shopify", "7", "discarded"),
    ("shopify", "7", "quarantined"),
    ("file", "f.csv:3", "quarantined"),
]


def _rows(conn) -> list[tuple]:
    return [
        tuple(row)
        for row in conn.execute(
            text("SELECT id, record_key, status, last_seen_at FROM reject ORDER BY id")
        )
    ]


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_copies_quarantined_before_become_one(database, request):
    url = request.getfixturevalue(database)
    downgrade(url, "ingestion@-1")
    with get_engine(url).begin() as conn:
        for hour, (system, record, status) in enumerate(BEFORE):
            at = START + dt.timedelta(hours=hour)
            conn.execute(
                INSERT,
                {"system": system, "record": record, "payload": PAYLOAD, "sha": SHA, "at": at,
                 "status": status},
            )  # fmt: skip
    upgrade(url)
    with get_engine(url).begin() as conn:
        rows = _rows(conn)
        assert [(key, status) for _, key, status, _ in rows] == [
            ("7", "quarantined"),
            ("7", "repeated"),
            ("8", "quarantined"),
            ("7", "discarded"),
            ("7", "repeated"),
            (None, "quarantined"),
        ]
        seen = conn.execute(text("SELECT last_seen_at FROM reject WHERE id = :id"), {"id": 1})
        assert str(seen.scalar())[:16] == "2026-05-01 12:00"  # when the newest copy came
        again = RejectedPayload("7", "still bad", PAYLOAD, record_key="7")
        write_rejects(conn, Origin("shopify", "main", "orders"), [again], None)
        assert len(_rows(conn)) == len(BEFORE)
    get_engine(url).dispose()
    downgrade(url, "ingestion@-1")
    with get_engine(url).connect() as conn:
        statuses = conn.execute(text("SELECT status FROM reject ORDER BY id")).scalars().all()
    assert statuses == ["quarantined", "discarded", "quarantined", "discarded", "discarded"] + [
        "quarantined"
    ]
    upgrade(url)

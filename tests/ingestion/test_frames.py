"""Frames staged for COPY: every value arrives as it was (time-zone-aware times as the same
instants, missing ones as NULL, exact decimals), with no deprecation warning on the way."""

from __future__ import annotations

import datetime as dt
import warnings
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import select

from db.engine import get_engine
from db.temporary import temporary_table
from ingestion.frames import stage_frame

pytestmark = pytest.mark.postgres

BERLIN = "Europe/Berlin"


def test_a_frame_is_staged_value_for_value(pg_url):
    instants = pd.to_datetime(
        ["2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", None, "2024-02-29T23:59:59.123456Z"],
        utc=True,
        format="ISO8601",
    )
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3, 4],
            "at_utc": instants,
            "at_berlin": instants.tz_convert(BERLIN),  # across the clocks going forward
            "amount": [Decimal("1.10"), Decimal("-0.01"), None, Decimal("123456.78")],
            "label": ["a", 'b, with "quotes"', None, ""],
        }
    )
    columns = list(frame.columns)
    with get_engine(pg_url).begin() as conn:
        table = temporary_table(
            conn,
            "tt_frame",
            Column("n", Integer),
            Column("at_utc", DateTime(timezone=True)),
            Column("at_berlin", DateTime(timezone=True)),
            Column("amount", Numeric(18, 2)),
            Column("label", String(40)),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            stage_frame(conn, table, frame, columns)
        stored = conn.execute(select(table).order_by(table.c.n)).all()
    expected_times = [None if pd.isna(t) else t.to_pydatetime() for t in instants]
    assert [r.at_utc for r in stored] == expected_times
    assert [r.at_berlin for r in stored] == expected_times
    assert stored[3].at_utc.microsecond == 123456
    assert [r.amount for r in stored] == [
        Decimal("1.10"),
        Decimal("-0.01"),
        None,
        Decimal("123456.78"),
    ]
    assert [r.label for r in stored] == ["a", 'b, with "quotes"', None, ""]
    assert all(r.at_utc is None or r.at_utc.utcoffset() == dt.timedelta(0) for r in stored)

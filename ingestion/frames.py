"""Turning DataFrames into rows for the database: plain Python tuples, or CSV for COPY."""

from __future__ import annotations

import io
from collections.abc import Iterator
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
from pyarrow import csv
from sqlalchemy import Connection
from sqlalchemy import Table

from db.upsert import bulk_stage


def _column_values(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.dt.to_pydatetime().tolist()
    else:
        values = series.tolist()
    missing = series.isna().to_numpy()
    if missing.any():
        values = [None if gone else value for value, gone in zip(values, missing, strict=True)]
    return values


def frame_rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple]:
    """Rows as tuples of Python values (None for missing), in ``columns`` order."""
    return zip(*(_column_values(frame[c]) for c in columns), strict=True)


def stage_frame(conn: Connection, table: Table, frame: pd.DataFrame, columns: list[str]) -> None:
    """Write a frame into a (temporary) staging table. On PostgreSQL the frame is rendered as
    CSV by pyarrow and sent in one COPY, with no Python work per row; elsewhere row by row."""
    if conn.dialect.name != "postgresql":
        bulk_stage(conn, table, columns, frame_rows(frame, columns))
        return
    buffer = io.BytesIO()
    arrow = pa.Table.from_pandas(frame[columns], preserve_index=False)
    csv.write_csv(arrow, buffer, csv.WriteOptions(include_header=False, quoting_style="needed"))
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
        copy.write(buffer.getbuffer())

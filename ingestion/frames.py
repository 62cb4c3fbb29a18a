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


def arrow_table(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    """``frame[columns]`` as an Arrow table; time-zone-aware columns go as UTC timestamps from
    their own values (pyarrow reads them through ``Series.values``, which pandas 3.1 deprecates
    for them: it drops the zone)."""
    aware = [c for c in columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    rest = pa.Table.from_pandas(frame[[c for c in columns if c not in aware]], preserve_index=False)
    arrays = {name: rest.column(name) for name in rest.column_names}
    for name in aware:
        series = frame[name]
        utc = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        zone = pa.timestamp(series.dtype.unit, tz="UTC")
        arrays[name] = pa.array(utc, type=zone, from_pandas=True)
    return pa.table({name: arrays[name] for name in columns})


def stage_frame(conn: Connection, table: Table, frame: pd.DataFrame, columns: list[str]) -> None:
    """Write a frame into a (temporary) staging table. On PostgreSQL the frame is rendered as
    CSV by pyarrow and sent in one COPY, with no Python work per row; elsewhere row by row."""
    if conn.dialect.name != "postgresql":
        bulk_stage(conn, table, columns, frame_rows(frame, columns))
        return
    buffer = io.BytesIO()
    arrow = arrow_table(frame, columns)
    csv.write_csv(arrow, buffer, csv.WriteOptions(include_header=False, quoting_style="needed"))
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT csv)') as copy:
        copy.write(buffer.getbuffer())


def stage_texts(
    conn: Connection, table: Table, frame: pd.DataFrame, id_column: str, text_column: str
) -> None:
    """Write an integer id and a text column of a frame into a (temporary) staging table. On
    PostgreSQL in binary COPY: each text goes length-prefixed as it is, where CSV would quote
    it and the server unquote it (for JSON payloads, full of quotes, a third of the cost)."""
    if conn.dialect.name != "postgresql":
        stage_frame(conn, table, frame, [id_column, text_column])
        return
    cursor = conn.connection.driver_connection.cursor()
    rows = zip(frame[id_column].tolist(), _column_values(frame[text_column]), strict=True)
    statement = f'COPY "{table.name}" ("{id_column}", "{text_column}") FROM STDIN (FORMAT binary)'
    with cursor.copy(statement) as copy:
        copy.set_types(["int4", "text"])
        for row in rows:
            copy.write_row(row)

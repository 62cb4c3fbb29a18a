"""Dialect-aware INSERT … ON CONFLICT and bulk staging (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Insert


def insert_for(conn: Connection, table: Table) -> Insert:
    """The dialect's INSERT construct, which knows ON CONFLICT."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert rows; on a key conflict overwrite ``update`` columns (all non-key by default)."""
    if not rows:
        return
    statement = insert_for(conn, table)
    columns = update if update is not None else [c for c in rows[0] if c not in key]
    if columns:
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={c: statement.excluded[c] for c in columns}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(statement, list(rows))


def bulk_stage(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> None:
    """Write rows into a (temporary) staging table: COPY on PostgreSQL, executemany elsewhere."""
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    rows = list(rows)
    if rows:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])

"""Dialect-aware INSERT … ON CONFLICT and bulk staging (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import Insert

from db.temporary import temporary_table

# Rows per INSERT statement where rows go one by one (SQLite).
CHUNK = 5_000


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


def bulk_upsert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple],
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """``upsert`` for many rows given as tuples: on PostgreSQL they are COPYed into a
    temporary table and merged by one statement (far cheaper than a statement per row).

    Rows repeating a key resolve as they would one by one: with columns to update the
    last one wins, without (``update=[]``) the first one is kept.
    """
    if conn.dialect.name != "postgresql":
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(dict(zip(columns, row, strict=True)))
            if len(chunk) == CHUNK:
                upsert(conn, table, chunk, key, update)
                chunk = []
        upsert(conn, table, chunk, key, update)
        return
    staged = temporary_table(
        conn,
        f"stg_{table.name}",
        Column("row_no", BigInteger),
        *(Column(c, table.c[c].type) for c in columns),
    )
    bulk_stage(conn, staged, ["row_no", *columns], ((n, *row) for n, row in enumerate(rows)))
    updated = update if update is not None else [c for c in columns if c not in key]
    keys = [staged.c[c] for c in key]
    if updated:
        picked = (
            select(*(staged.c[c] for c in columns))
            .ext(postgresql.distinct_on(*keys))
            .order_by(*keys, staged.c.row_no.desc())
        )
    else:
        picked = select(*(staged.c[c] for c in columns)).order_by(staged.c.row_no)
    statement = postgresql.insert(table).from_select(list(columns), picked)
    if updated:
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={c: statement.excluded[c] for c in updated}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    conn.execute(statement)


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

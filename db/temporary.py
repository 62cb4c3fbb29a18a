"""Temporary tables a transaction uses for its own set-wise steps, made once per session.

A load stages its orders, lines, refunds, payloads, customers and rollup additions in a dozen
temporary tables. Made and dropped on every load, they cost a one-order push about half its
time: twelve ``CREATE``s, their catalog checks and ``DROP``s, and, because SQLAlchemy caches a
statement's compiled form by the Table objects it names, every statement over a new Table
compiled again. Here a table is made only if the session has none of that name (on PostgreSQL
``ON COMMIT DELETE ROWS``, so a commit empties it and frees its space), emptied when a step
takes it, and the same Table object is handed out for the same name and columns, so those
statements compile once per process.
"""

from __future__ import annotations

import threading

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy.schema import CreateIndex
from sqlalchemy.schema import CreateTable

_METADATA = MetaData()
_TABLES: dict[tuple, Table] = {}
_LOCK = threading.Lock()


def _shape(columns: tuple[Column, ...]) -> tuple:
    return tuple(
        (c.name, repr(c.type), c.primary_key, bool(c.index), c.server_default is not None)
        for c in columns
    )


def temporary_definition(name: str, *columns: Column) -> Table:
    """The Table of temporary table ``name`` with these columns: one object per name and shape
    for the process (a second shape under one name gets a name of its own: ``name_2``...)."""
    key = (name, _shape(columns))
    with _LOCK:
        table = _TABLES.get(key)
        if table is None:
            taken = {known.name for known in _TABLES.values()}
            physical, n = name, 1
            while physical in taken:
                n += 1
                physical = f"{name}_{n}"
            table = Table(
                physical,
                _METADATA,
                *columns,
                prefixes=["TEMPORARY"],
                postgresql_on_commit="DELETE ROWS",
            )
            _TABLES[key] = table
    return table


def emptied(conn: Connection, table: Table) -> Table:
    """``table`` (from ``temporary_definition``), made in this session if it is not yet, and
    empty."""
    conn.execute(CreateTable(table, if_not_exists=True))
    for index in table.indexes:
        conn.execute(CreateIndex(index, if_not_exists=True))
    conn.execute(delete(table))
    return table


def temporary_table(conn: Connection, name: str, *columns: Column) -> Table:
    """An empty temporary table ``name`` of these columns for the caller's steps."""
    return emptied(conn, temporary_definition(name, *columns))

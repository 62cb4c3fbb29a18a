"""Temporary tables a transaction makes for its own set-wise steps."""

from __future__ import annotations

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy import Table


def temporary_table(conn: Connection, name: str, *columns: Column) -> Table:
    """A new, empty temporary table ``name`` (one left by an earlier step of the session is
    dropped first), gone when the session ends."""
    table = Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
    table.drop(conn, checkfirst=True)
    table.create(conn)
    return table

"""Where the cache's generation stamps live: Redis when it is configured, else the database.

Every process that reads or changes one database must see the same stamps, or a process
keeps serving results another made stale: the web workers (gunicorn runs several), the CLI
and the ingest worker. With Redis they share its keys. Without it the stamps are rows of the
database's own ``data_stamp`` table (named ``cache:<stamp>``): one indexed read per cached
call, and a change made by any process reaches every other at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from db.engine import get_engine
from db.schema import DataStamp
from db.upsert import upsert

PREFIX = "cache:"


def read_stamps(url: str | None, names: list[str]) -> list[str | None]:
    """The stamps' values in ``names``' order (None for one never renewed)."""
    if not names:
        return []
    table = DataStamp.__table__
    with get_engine(url).connect() as conn:
        found = dict(
            conn.execute(
                select(table.c.name, table.c.at).where(
                    table.c.name.in_([PREFIX + name for name in names])
                )
            ).all()
        )
    values = (found.get(PREFIX + name) for name in names)
    return [None if at is None else at.isoformat() for at in values]


def write_stamps(url: str | None, names: Iterable[str]) -> None:
    """New values for the named stamps, in a transaction of their own: this moment, or a
    microsecond past a stamp's old value (a new value must differ from every earlier one)."""
    table = DataStamp.__table__
    keys = [PREFIX + name for name in sorted(set(names))]
    now = dt.datetime.now(dt.UTC)
    with get_engine(url).begin() as conn:
        old = dict(
            conn.execute(select(table.c.name, table.c.at).where(table.c.name.in_(keys))).all()
        )
        rows = [{"name": key, "at": _after(old.get(key), now)} for key in keys]
        upsert(conn, table, rows, key=["name"])


def _after(old: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if old is None:
        return now
    old = old if old.tzinfo else old.replace(tzinfo=dt.UTC)
    return max(now, old + dt.timedelta(microseconds=1))

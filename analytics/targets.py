"""Target commands: set, import (CSV), list and delete targets per channel scope × period × metric.

Each command validates first and writes all or nothing, with its audit entries, in one
transaction. Targets of one scope and metric may not overlap (``analytics.target_overlaps``);
each target saved is audited with its scope, metric, period and value before and after.
Targets exist for all channels (scope ``total``, id 0) and for each channel
category and touchpoint (``TARGET_LEVELS``); they are read, prorated to any period, through
``analytics.prorated_targets``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import tuple_

from analytics.cache import TARGETS_STAMP
from analytics.cache import renew_stamps
from analytics.channels import LEVEL_TABLES
from analytics.channels import member_ids
from analytics.errors import AnalyticsError
from analytics.target_overlaps import StoredTarget
from analytics.target_overlaps import overlaps
from analytics.target_rows import TARGET_COLUMNS
from analytics.target_rows import TARGET_LEVELS
from analytics.target_rows import TargetRow
from analytics.target_rows import checked_rows
from analytics.target_rows import refusal
from db import audit
from db.engine import get_engine
from db.roles import Actor
from db.target_tables import Target
from db.upsert import upsert

target = Target.__table__
KEY = ["scope_type", "scope_id", "metric", "period_start", "period_end"]


def scope_ids(level: str, url: str | None = None) -> dict[str, int]:
    """Codes → ids of a target level's members (the ids targets are stored under)."""
    return member_ids(level, url) if level in TARGET_LEVELS else {}


def scope_id(scope_type: str, code: str | None, url: str | None = None) -> int:
    """The id a target row stores for a scope (0 for the total)."""
    if scope_type == "total":
        return 0
    found = scope_ids(scope_type, url).get(code)
    if found is None:
        raise ValueError(f"unknown {scope_type} {code!r}")
    return found


def _lock_targets(conn: Connection) -> None:
    """Until the transaction ends, no other writer of targets (readers go on): two admins
    saving overlapping targets at once cannot both pass the overlap check."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE target IN SHARE ROW EXCLUSIVE MODE")


def _stored(conn: Connection) -> dict[tuple, StoredTarget]:
    """Every saved target by ``KEY`` (a few per scope, metric and quarter: a small table)."""
    query = select(*(target.c[c] for c in KEY), target.c.value)
    return {
        tuple(row[:5]): StoredTarget(tuple(row[:3]), row.period_start, row.period_end, row.value)
        for row in conn.execute(query)
    }


def _key(row: TargetRow) -> tuple:
    return row.scope_type, row.scope_id, row.metric, row.period_start, row.period_end


def _write(rows: list[TargetRow], actor: Actor, url: str | None) -> int:
    """Save checked rows (a row for exactly a saved target's period replaces it), unless one
    overlaps another target; each saved target audited with its value before and after."""
    now = dt.datetime.now(dt.UTC)
    with get_engine(url).begin() as conn:
        _lock_targets(conn)
        stored = _stored(conn)
        problems = overlaps(rows, list(stored.values()))
        if problems:
            raise refusal(problems)
        values = [
            {
                "scope_type": r.scope_type,
                "scope_id": r.scope_id,
                "metric": r.metric,
                "period_start": r.period_start,
                "period_end": r.period_end,
                "value": r.value,
                "updated_by": actor.name,
                "updated_at": now,
            }
            for r in rows
        ]
        upsert(conn, target, values, key=KEY)
        keys = [_key(r) for r in rows]
        ids = {
            tuple(found[1:]): found[0]
            for found in conn.execute(
                select(target.c.id, *(target.c[c] for c in KEY)).where(
                    tuple_(*(target.c[c] for c in KEY)).in_(keys)
                )
            )
        }
        for row, key in zip(rows, keys, strict=True):
            before = stored.get(key)
            audit.record(
                conn,
                actor.name,
                "target.set",
                "target",
                ids[key],
                before and row.audited(before.value),
                row.audited(row.value),
            )
    renew_stamps([TARGETS_STAMP], url)
    return len(rows)


def _level_ids(url: str | None) -> dict[str, dict[str, int]]:
    return {level: scope_ids(level, url) for level in TARGET_LEVELS}


def import_targets(frame: pd.DataFrame, actor: Actor, url: str | None = None) -> int:
    """Set many targets at once (from a CSV or the demo); admins only, audited in one
    transaction.

    Every row is checked first and nothing is written if any is wrong or overlaps another
    target of its scope and metric (saved or in the frame); the error lists each such row
    by its line (the header being line 1).
    """
    actor.require("admin", "set targets")
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"target file lacks columns {missing}")
    return _write(checked_rows(frame, _level_ids(url)), actor, url)


def delete_targets(ids: list[int], actor: Actor, url: str | None = None) -> int:
    """Remove targets by id in one audited transaction (the audit entry keeps their values)."""
    actor.require("admin", "delete targets")
    if not ids:
        raise AnalyticsError("select the targets to delete")
    engine = get_engine(url)
    with engine.begin() as conn:
        gone = conn.execute(
            delete(target)
            .where(target.c.id.in_([int(i) for i in ids]))
            .returning(
                target.c.id,
                target.c.scope_type,
                target.c.scope_id,
                target.c.metric,
                target.c.period_start,
                target.c.period_end,
                target.c.value,
            )
        ).mappings()
        before = [dict(row) for row in gone]
        if len(before) != len(set(ids)):
            # Someone else removed some first: raising rolls back, so none is deleted.
            raise AnalyticsError("some of these targets no longer exist; reload the page")
        audit.record(
            conn, actor.name, "target.delete", "target", f"{len(before)} rows", before, None
        )
    renew_stamps([TARGETS_STAMP], url)
    return len(before)


TARGET_LIST_COLUMNS = [
    "id",
    "scope_type",
    "scope_code",
    "scope_name",
    "metric",
    "period_start",
    "period_end",
    "value",
    "updated_by",
    "updated_at",
]


def list_targets(url: str | None = None) -> pd.DataFrame:
    """Every target row with its scope's code and name, newest period first."""
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(select(target)).mappings().all())
        codes, names = {("total", 0): "total"}, {("total", 0): "All channels"}
        for level in TARGET_LEVELS:
            table = LEVEL_TABLES[level]
            for row in conn.execute(select(table.c.id, table.c.code, table.c.name)):
                codes[(level, row.id)] = row.code
                names[(level, row.id)] = row.name
    if frame.empty:
        return pd.DataFrame(columns=TARGET_LIST_COLUMNS)
    keys = list(zip(frame["scope_type"], frame["scope_id"], strict=True))
    frame["scope_code"] = [codes.get(k, str(k[1])) for k in keys]
    frame["scope_name"] = [names.get(k, str(k[1])) for k in keys]
    frame["value"] = frame["value"].astype(float)
    return frame[TARGET_LIST_COLUMNS].sort_values(
        ["period_start", "scope_type", "scope_code", "metric"],
        ascending=[False, True, True, True],
        ignore_index=True,
    )


@dataclass(frozen=True)
class TargetInput:
    scope_type: str
    scope_code: str
    metric: str
    period_start: str
    period_end: str
    value: str


def set_target(item: TargetInput, actor: Actor, url: str | None = None) -> int:
    """Set one target from the form: checked and audited like an import, its problems named
    by the form's fields."""
    actor.require("admin", "set targets")
    frame = pd.DataFrame([{c: getattr(item, c) for c in TARGET_COLUMNS}])
    return _write(checked_rows(frame, _level_ids(url), form=True), actor, url)


def read_target_csv(content: bytes) -> pd.DataFrame:
    """A target CSV (``TARGET_COLUMNS`` header) as a frame; a clear error if it cannot be read."""
    try:
        frame = pd.read_csv(
            io.BytesIO(content), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AnalyticsError(f"the file is not a readable CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"the file lacks column(s) {', '.join(missing)}; "
            f"expected the header {','.join(TARGET_COLUMNS)}"
        )
    if frame.empty:
        raise AnalyticsError("the file has no target rows")
    return frame[list(TARGET_COLUMNS)]


def import_target_csv(content: bytes, actor: Actor, url: str | None = None) -> int:
    """Validate a whole target CSV, then write all of it in one audited transaction (or nothing)."""
    actor.require("admin", "import targets")
    return import_targets(read_target_csv(content), actor, url)

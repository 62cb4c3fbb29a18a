"""Target commands: set, import (CSV), list and delete targets per channel scope × period × metric.

Each command validates first and writes all or nothing, with its audit entry, in one
transaction. Targets exist for all channels (scope ``total``, id 0) and for each channel
category and touchpoint (``TARGET_LEVELS``); they are read, prorated to any period, through
``analytics.prorated_targets``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

import pandas as pd
from sqlalchemy import delete
from sqlalchemy import select

from analytics.cache import TARGETS_STAMP
from analytics.cache import renew_stamps
from analytics.channels import LEVEL_TABLES
from analytics.channels import member_ids
from analytics.errors import AnalyticsError
from analytics.metrics import get_metric
from db import audit
from db.engine import get_engine
from db.roles import Actor
from db.target_tables import Target
from db.upsert import upsert

target = Target.__table__
TARGET_METRICS = ("revenue", "conversion_rate", "aov", "margin_pct")
TARGET_LEVELS = ("category", "touchpoint")
SCOPE_TYPES = ("total", *TARGET_LEVELS)
TARGET_COLUMNS = ("scope_type", "scope_code", "metric", "period_start", "period_end", "value")


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


def import_targets(frame: pd.DataFrame, actor: Actor, url: str | None = None) -> int:
    """Set many targets at once (from the app, a CSV or the demo); admins only, audited in
    one transaction.

    Rows are validated first and nothing is written if any row is bad; the
    error names the row and the problem.
    """
    actor.require("admin", "set targets")
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"target file lacks columns {missing}")
    engine = get_engine(url)
    ids = {level: scope_ids(level, url) for level in TARGET_LEVELS}
    rows = []
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"row {number}"
        if row.scope_type not in SCOPE_TYPES:
            raise AnalyticsError(f"{where}: scope_type must be one of {', '.join(SCOPE_TYPES)}")
        if row.scope_type == "total":
            scope = 0
        elif row.scope_code in ids[row.scope_type]:
            scope = ids[row.scope_type][row.scope_code]
        else:
            raise AnalyticsError(f"{where}: unknown {row.scope_type} {row.scope_code!r}")
        get_metric(row.metric)
        try:
            start = pd.Timestamp(row.period_start).date()
            end = pd.Timestamp(row.period_end).date()
            value = Decimal(str(row.value))
        except (ValueError, InvalidOperation) as exc:
            raise AnalyticsError(f"{where}: {exc}") from None
        if end < start:
            raise AnalyticsError(f"{where}: period_end is before period_start")
        if not value.is_finite() or value < 0:
            raise AnalyticsError(f"{where}: value must be a non-negative number")
        rows.append(
            {
                "scope_type": row.scope_type,
                "scope_id": scope,
                "metric": row.metric,
                "period_start": start,
                "period_end": end,
                "value": value,
                "updated_by": actor.name,
                "updated_at": dt.datetime.now(dt.UTC),
            }
        )
    with engine.begin() as conn:
        upsert(
            conn,
            target,
            rows,
            key=["scope_type", "scope_id", "metric", "period_start", "period_end"],
        )
        audit.record(
            conn,
            actor.name,
            "target.import",
            "target",
            f"{len(rows)} rows",
            None,
            {"rows": len(rows)},
        )
    renew_stamps([TARGETS_STAMP], url)
    return len(rows)


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
    """Set one target (validated and audited like an import)."""
    actor.require("admin", "set targets")
    if item.metric not in TARGET_METRICS:
        raise AnalyticsError(f"metric must be one of {', '.join(TARGET_METRICS)}")
    values = {c: getattr(item, c) for c in TARGET_COLUMNS}
    if any(v in (None, "") for v in values.values()):
        missing = [c for c, v in values.items() if v in (None, "")]
        raise AnalyticsError(f"fill in {', '.join(missing)}")
    return import_targets(pd.DataFrame([values]), actor, url)


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
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        if row.metric not in TARGET_METRICS:
            raise AnalyticsError(
                f"row {number}: metric {row.metric!r} is not one of {', '.join(TARGET_METRICS)}"
            )
        for column in ("period_start", "period_end"):
            text = getattr(row, column)
            try:
                valid = not pd.isna(pd.Timestamp(text))
            except (ValueError, TypeError):
                valid = False
            if not valid:
                raise AnalyticsError(
                    f"row {number}: {column} {text!r} is not a date (use YYYY-MM-DD)"
                )
        try:
            float(row.value)
        except ValueError:
            raise AnalyticsError(f"row {number}: value {row.value!r} is not a number") from None
    return frame[list(TARGET_COLUMNS)]


def import_target_csv(content: bytes, actor: Actor, url: str | None = None) -> int:
    """Validate a whole target CSV, then write all of it in one audited transaction (or nothing)."""
    actor.require("admin", "import targets")
    return import_targets(read_target_csv(content), actor, url)

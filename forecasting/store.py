"""Reading and writing the ``forecast`` and ``training_job`` tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from db.engine import get_engine
from db.forecast_tables import Forecast
from db.forecast_tables import TrainingJob
from forecasting.backtest import MODEL
from forecasting.errors import ForecastingError
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT

forecast_table = Forecast.__table__
job_table = TrainingJob.__table__
ACTIVE = ("queued", "running")
CENT = Decimal("0.0001")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _estimate(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(CENT)


def write_forecasts(
    conn: Connection,
    forecasts: pd.DataFrame,
    versions: Mapping[str, str] | None = None,
    level: int = DEFAULT_LEVEL,
    training_job_id: int | None = None,
) -> int:
    """Replace the stored forecast of every series in ``forecasts`` (``unique_id, ds, yhat,
    yhat_lower, yhat_upper, model``) in the caller's transaction; returns the rows written."""
    if forecasts.empty:
        return 0
    ids = sorted(forecasts[ID].astype(str).unique())
    conn.execute(delete(forecast_table).where(forecast_table.c.unique_id.in_(ids)))
    versions = versions or {}
    rows = [
        {
            "unique_id": str(row[ID]),
            "ds": pd.Timestamp(row[DS]).date(),
            "yhat": _estimate(row[YHAT]),
            "lower": _estimate(row[LOWER]),
            "upper": _estimate(row[UPPER]),
            "level": level,
            "model": row[MODEL],
            "version": versions.get(str(row[ID]), ""),
            "training_job_id": training_job_id,
        }
        for row in forecasts.to_dict("records")
    ]
    conn.execute(forecast_table.insert(), rows)
    return len(rows)


def read_forecasts(
    unique_ids: Iterable[str] | None = None, prefix: str | None = None, url: str | None = None
) -> pd.DataFrame:
    """Stored forecasts as floats: ``unique_id, ds, yhat, yhat_lower, yhat_upper, level, model,
    version, created_at`` (optionally only some series, or ids starting with ``prefix``)."""
    query = select(
        forecast_table.c.unique_id.label(ID),
        forecast_table.c.ds.label(DS),
        forecast_table.c.yhat.label(YHAT),
        forecast_table.c.lower.label(LOWER),
        forecast_table.c.upper.label(UPPER),
        forecast_table.c.level,
        forecast_table.c.model,
        forecast_table.c.version,
        forecast_table.c.created_at,
    ).order_by(forecast_table.c.unique_id, forecast_table.c.ds)
    if unique_ids is not None:
        query = query.where(forecast_table.c.unique_id.in_(list(unique_ids)))
    if prefix:
        query = query.where(forecast_table.c.unique_id.startswith(prefix))
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[ID, DS, YHAT, LOWER, UPPER, "level", MODEL, "version"])
    frame[DS] = pd.to_datetime(frame[DS])
    return frame.astype({YHAT: float, LOWER: float, UPPER: float})


def create_job(series_group: str, requested_by: str = "system", url: str | None = None) -> int:
    with get_engine(url).begin() as conn:
        return int(
            conn.execute(
                job_table.insert()
                .values(
                    series_group=series_group,
                    status="queued",
                    progress=0.0,
                    message="queued",
                    requested_by=requested_by,
                    enqueued_at=_now(),
                )
                .returning(job_table.c.id)
            ).scalar_one()
        )


def _update(job_id: int, url: str | None, conn: Connection | None = None, **values) -> None:
    statement = update(job_table).where(job_table.c.id == job_id).values(**values)
    if conn is not None:
        conn.execute(statement)
        return
    with get_engine(url).begin() as own:
        own.execute(statement)


def attach_rq_job(job_id: int, rq_job_id: str, url: str | None = None) -> None:
    _update(job_id, url, rq_job_id=rq_job_id)


def mark_running(job_id: int, rq_job_id: str | None = None, url: str | None = None) -> None:
    values = {"status": "running", "started_at": _now(), "message": "started", "error": None}
    if rq_job_id:
        values["rq_job_id"] = rq_job_id
    _update(job_id, url, **values)


def set_progress(job_id: int, progress: float, message: str, url: str | None = None) -> None:
    _update(job_id, url, progress=min(max(progress, 0.0), 1.0), message=message[:200])


def mark_succeeded(
    job_id: int, result: dict, conn: Connection | None = None, url: str | None = None
) -> None:
    _update(
        job_id,
        url,
        conn,
        status="succeeded",
        progress=1.0,
        message="done",
        result=result,
        finished_at=_now(),
    )


def mark_failed(job_id: int, error: str, url: str | None = None) -> bool:
    """Mark a queued or running job failed; False if it had already finished."""
    statement = (
        update(job_table)
        .where(job_table.c.id == job_id, job_table.c.status.in_(ACTIVE))
        .values(status="failed", error=error, message="failed", finished_at=_now())
    )
    with get_engine(url).begin() as conn:
        return conn.execute(statement).rowcount > 0


def get_job(job_id: int, url: str | None = None) -> dict:
    with get_engine(url).connect() as conn:
        row = conn.execute(select(job_table).where(job_table.c.id == job_id)).mappings().first()
    if row is None:
        raise ForecastingError(f"no training job {job_id}")
    return dict(row)


def list_jobs(limit: int = 50, active_only: bool = False, url: str | None = None) -> pd.DataFrame:
    query = select(job_table).order_by(job_table.c.id.desc()).limit(limit)
    if active_only:
        query = query.where(job_table.c.status.in_(ACTIVE))
    with get_engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=job_table.c.keys())


def unqueued_active_jobs(enqueued_before: dt.datetime, url: str | None = None) -> list[int]:
    """Active jobs with no RQ job (trained in a server process) enqueued before a time."""
    query = select(job_table.c.id).where(
        job_table.c.status.in_(ACTIVE),
        job_table.c.rq_job_id.is_(None),
        job_table.c.enqueued_at < enqueued_before,
    )
    with get_engine(url).connect() as conn:
        return list(conn.execute(query).scalars())


def latest_reconciliation(url: str | None = None) -> dict[str, str]:
    """The reconciliation method of each series group's latest succeeded training job."""
    query = (
        select(job_table.c.series_group, job_table.c.result)
        .where(job_table.c.status == "succeeded")
        .order_by(job_table.c.id)
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    latest = {group: (result or {}).get("reconciliation") for group, result in rows}
    return {group: method for group, method in latest.items() if method}

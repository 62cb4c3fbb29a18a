"""Training as background jobs: one RQ job per series group on the ``forecasting`` queue.

A group is one measure's hierarchy: all channels, channel categories and touchpoints of net
revenue or of orders, trained together so their forecasts can be reconciled (touchpoints add
up to their category, categories to the total). Each job trains its group's series
(backtests, champion per series, reconciliation), logs every series to MLflow without
promoting, then in its last step writes the forecasts, marks the
``training_job`` row succeeded and promotes the new champions, all before one commit. A job
that fails, or whose worker dies, is marked failed (by the job itself, or by RQ's failure
callback when RQ finds the abandoned job) and never replaces a champion.

Without Redis (``CHANNELPERF_REDIS_URL`` unset) the jobs run in-process, one after another.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from db.engine import get_engine
from db.jobs import enqueue
from db.jobs import get_queue
from db.roles import Actor
from db.settings import get_settings
from forecasting import registry
from forecasting import store
from forecasting.data import TOTAL
from forecasting.data import SeriesId
from forecasting.data import hierarchy_series
from forecasting.data import planned_spend
from forecasting.errors import ForecastingError
from forecasting.models import ProphetModel
from forecasting.parallel import default_workers
from forecasting.reconcile import Hierarchy
from forecasting.series import DS
from forecasting.series import ID
from forecasting.training import AUTO
from forecasting.training import train

log = logging.getLogger(__name__)
# Held while a training started in the background of this process runs.
_TRAINING_HERE = threading.Lock()

QUEUE = "forecasting"
JOB_PATH = "forecasting.jobs.train_group"
FAILURE_PATH = "forecasting.jobs.on_job_failure"
HORIZON, FOLDS = 56, 3
PLATEAU_HORIZON = 365
JOB_TIMEOUT = 2 * 3600
CAPPED_SUFFIX = "|capped"
NIGHTLY_CRON = "0 2 * * *"


@dataclass(frozen=True)
class SeriesGroup:
    measure: str


GROUPS = {measure: SeriesGroup(measure) for measure in ("revenue", "orders")}


def _group(name: str) -> SeriesGroup:
    if name not in GROUPS:
        raise ForecastingError(f"unknown series group {name!r}; groups: {', '.join(GROUPS)}")
    return GROUPS[name]


def group_frame(name: str, end: dt.date | None = None, url: str | None = None) -> pd.DataFrame:
    """The group's series: total, categories and touchpoints with any activity."""
    return group_hierarchy(name, end, url)[0]


def group_hierarchy(
    name: str, end: dt.date | None = None, url: str | None = None
) -> tuple[pd.DataFrame, Hierarchy]:
    return hierarchy_series(_group(name).measure, end=end, url=url)


def group_plan(name: str, after: dt.date, horizon: int, url: str | None = None) -> pd.DataFrame:
    """Marketing spend already booked after ``after``, for every level of the group."""
    measure = _group(name).measure
    parts = [
        planned_spend(d, measure, after, horizon, url) for d in (TOTAL, "category", "touchpoint")
    ]
    return pd.concat(parts, ignore_index=True)


def capped_growth_forecast(frame: pd.DataFrame, horizon: int = PLATEAU_HORIZON) -> pd.DataFrame:
    """Logistic-growth Prophet forecasts a year ahead: where each channel's growth levels off.
    Stored as ``<unique_id>|capped`` series."""
    model = ProphetModel(logistic=True, uncertainty_samples=50).fit(frame)
    out = model.predict(horizon)
    out[ID] = out[ID] + CAPPED_SUFFIX
    return out.assign(model="prophet-logistic")


def _current_rq_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def train_group(
    job_id: int,
    group: str,
    horizon: int = HORIZON,
    folds: int = FOLDS,
    models: str | Sequence[str] = AUTO,
    end: str | None = None,
    tracking_uri: str | None = None,
) -> dict:
    """The RQ job: train one series group and publish it (see the module docstring)."""
    store.mark_running(job_id, _current_rq_job_id())
    try:
        spec = _group(group)
        frame, hierarchy = group_hierarchy(group, dt.date.fromisoformat(end) if end else None)
        if frame.empty:
            raise ForecastingError(f"no series with enough history in group {group!r}")
        n = frame[ID].nunique()
        store.set_progress(job_id, 0.1, f"backtesting {n} series")
        plan = group_plan(group, frame[DS].max().date(), horizon)
        result = train(
            frame,
            models,
            horizon,
            folds,
            future_exog=plan,
            hierarchy=hierarchy,
            nonnegative=True,
            workers=default_workers(),
        )
        store.set_progress(job_id, 0.6, "logging runs to MLflow")
        params = {
            "series_group": group,
            "training_job": job_id,
            "last_day": str(frame.ds.max().date()),
        }
        registered = registry.log_training(
            result, frame, params=params, uri=tracking_uri, promote_new=False
        )
        capped = None
        if spec.measure == "revenue":
            store.set_progress(job_id, 0.8, "fitting capped-growth curves")
            capped = capped_growth_forecast(frame[frame[ID].str.startswith("category:")])
        store.set_progress(job_id, 0.9, "publishing forecasts and champions")
        return _publish(job_id, result, registered, capped, tracking_uri)
    except Exception as exc:
        store.mark_failed(job_id, f"{type(exc).__name__}: {exc}")
        raise


def _publish(job_id, result, registered, capped, tracking_uri) -> dict:
    """The last step: forecasts and status in one transaction, champions promoted just before
    it commits (a failed promotion rolls the transaction back)."""
    versions = {uid: champion.version for uid, champion in registered.items()}
    summary = {
        "series": {
            uid: {"model": champion.model, "version": champion.version, "run_id": champion.run_id}
            for uid, champion in registered.items()
        },
        "reconciliation": result.reconciliation,
    }
    with get_engine().begin() as conn:
        store.write_forecasts(
            conn, result.champion_forecast(), versions, result.level, training_job_id=job_id
        )
        if capped is not None:
            store.write_forecasts(conn, capped, level=result.level, training_job_id=job_id)
        store.mark_succeeded(job_id, summary, conn=conn)
        for uid, version in versions.items():
            registry.promote(uid, version, uri=tracking_uri)
    return summary


def on_job_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback (also run for abandoned jobs whose worker died)."""
    reason = f"{exc_type.__name__}: {exc_value}" if exc_type else "job failed"
    if exc_type is not None and exc_type.__name__ == "AbandonedJobError":
        reason = "AbandonedJobError: the worker stopped before the job finished"
    store.mark_failed(int(job.args[0]), reason)


def enqueue_training(
    groups: Sequence[str] | None = None,
    requested_by: str = "system",
    queue: str = QUEUE,
    in_background: bool = False,
    **params,
) -> list[int]:
    """One ``training_job`` row and one job per group (default: every group); returns the row ids.
    Without Redis each group is trained in this process, one after another (a failing group is
    recorded failed and the next one still runs): before returning, or, ``in_background``, in a
    thread of its own, so a web request answers at once and the jobs grid shows the progress;
    one such thread at a time (a second start is refused while it runs)."""
    from rq import Callback

    names = list(groups or GROUPS)
    for name in names:
        _group(name)
    queued = bool(get_settings().redis_url)
    background = in_background and not queued
    if background and not _TRAINING_HERE.acquire(blocking=False):
        raise ForecastingError(
            "a training started in this server is still running (its jobs show above): "
            "start another once it has ended"
        )
    ids = []
    try:
        for name in names:
            job_id = store.create_job(name, requested_by)
            ids.append(job_id)
            if queued:
                job = get_queue(queue).enqueue(
                    JOB_PATH,
                    args=(job_id, name),
                    kwargs=params,
                    job_timeout=JOB_TIMEOUT,
                    on_failure=Callback(FAILURE_PATH),
                )
                store.attach_rq_job(job_id, job.id)
    except BaseException:
        if background:
            _TRAINING_HERE.release()
        raise
    here = [] if queued else list(zip(ids, names, strict=True))
    if background:
        threading.Thread(
            target=_train_in_background, args=(here, queue, params), name="training", daemon=True
        ).start()
    else:
        _train_here(here, queue, params)
    return ids


def _train_in_background(jobs: list[tuple[int, str]], queue: str, params: dict) -> None:
    try:
        _train_here(jobs, queue, params)
    finally:
        _TRAINING_HERE.release()


def _train_here(jobs: list[tuple[int, str]], queue: str, params: dict) -> None:
    for job_id, name in jobs:
        try:
            enqueue(JOB_PATH, job_id, name, queue=queue, **params)
        except Exception:
            log.exception("training group %s failed", name)


def retrain_all() -> list[int]:
    """The nightly job: queue a retraining of every group."""
    return enqueue_training(requested_by="scheduler")


def register_nightly(scheduler, queue: str = QUEUE, cron: str = NIGHTLY_CRON):
    """Register the nightly retraining with an RQ 3 ``CronScheduler``."""
    return scheduler.register(
        retrain_all, queue_name=queue, cron=cron, job_timeout=600, name="nightly-retraining"
    )


def series_label(unique_id: str, names: dict[str, str]) -> str:
    """``Web · revenue`` for ``touchpoint:web:revenue``."""
    series = SeriesId.parse(unique_id.removesuffix(CAPPED_SUFFIX))
    return f"{names.get(f'{series.dimension}:{series.code}', series.code)} · {series.measure}"


def level_series_label(unique_id: str, names: dict[str, str]) -> str:
    """``Web · revenue (touchpoint)``: the label with its level, for lists that mix levels (a
    category and a touchpoint may share a name, as both ``Unassigned`` do)."""
    dimension = SeriesId.parse(unique_id.removesuffix(CAPPED_SUFFIX)).dimension
    return f"{series_label(unique_id, names)} ({dimension})"


def model_versions(uri: str | None = None) -> pd.DataFrame:
    """Every registered version of every series: ``unique_id, version, model, alias, run_id,
    created``, the run's mean backtest MASE / WAPE per candidate (``<model>_mase`` …) and the
    published forecast's skill (``registry.SKILL_METRICS``, ``best_classical``)."""
    from mlflow import MlflowClient

    resolved = registry.tracking_uri(uri)
    client = MlflowClient(tracking_uri=resolved, registry_uri=resolved)
    rows = []
    for model in client.search_registered_models(f"name LIKE '{registry.MODEL_PREFIX}%'"):
        aliases = {str(v): a for a, v in (model.aliases or {}).items()}
        for version in client.search_model_versions(f"name = '{model.name}'"):
            run = client.get_run(version.run_id).data if version.run_id else None
            metrics = run.metrics if run else {}
            rows.append(
                {
                    ID: version.tags.get("unique_id", model.name),
                    "version": str(version.version),
                    "model": version.tags.get("model", ""),
                    "alias": aliases.get(str(version.version), ""),
                    "run_id": version.run_id,
                    "created": pd.Timestamp(version.creation_timestamp, unit="ms", tz="UTC"),
                    "best_classical": run.params.get("best_classical", "") if run else "",
                    **{
                        k: v
                        for k, v in metrics.items()
                        if k.endswith(("_mase", "_wape")) or k in registry.SKILL_METRICS
                    },
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[ID, "version", "model", "alias", "run_id", "created"])
    order = frame["version"].astype(int)
    return frame.assign(_order=order).sort_values([ID, "_order"]).drop(columns="_order")


def _publish_champion(conn, unique_id: str, uri: str | None) -> str:
    champion = registry.load_champion(unique_id, uri=uri)
    version = registry.champion_version(unique_id, uri=uri)
    forecast = champion.forecast.assign(model=champion.model_name)
    store.write_forecasts(conn, forecast, {unique_id: version}, champion.level)
    return version


def promote_version(unique_id: str, version: str, actor: Actor, uri: str | None = None) -> str:
    """Make ``version`` the series' champion and publish its forecast; data scientists and
    up, audited."""
    actor.require("data_scientist", "promote models")
    from db import audit

    before = registry.champion_version(unique_id, uri=uri)
    with get_engine().begin() as conn:
        audit.record(
            conn,
            actor.name,
            "model.promote",
            "model",
            unique_id,
            {"champion": before},
            {"champion": str(version)},
        )
        registry.promote(unique_id, version, uri=uri)
        _publish_champion(conn, unique_id, uri)
    return str(version)


def rollback_champion(unique_id: str, actor: Actor, uri: str | None = None) -> str:
    """Bring back the previous champion and publish its forecast; data scientists and up,
    audited."""
    actor.require("data_scientist", "roll back models")
    from db import audit

    before = registry.champion_version(unique_id, uri=uri)
    with get_engine().begin() as conn:
        now = registry.rollback(unique_id, uri=uri)
        audit.record(
            conn,
            actor.name,
            "model.rollback",
            "model",
            unique_id,
            {"champion": before},
            {"champion": now},
        )
        _publish_champion(conn, unique_id, uri)
    return now

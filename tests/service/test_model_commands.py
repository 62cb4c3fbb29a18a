"""Promote and roll back from the app: audited, and the published forecast follows the champion.
Nightly retraining registers with RQ 3's cron scheduler."""

from __future__ import annotations

import pytest
from rq.cron import CronScheduler
from sqlalchemy import select

from db import audit
from db.engine import get_engine
from db.jobs import redis_connection
from db.roles import Actor
from db.schema import AuditLog
from forecasting import registry
from forecasting.jobs import NIGHTLY_CRON
from forecasting.jobs import enqueue_training
from forecasting.jobs import model_versions
from forecasting.jobs import promote_version
from forecasting.jobs import register_nightly
from forecasting.jobs import rollback_champion
from forecasting.store import get_job
from forecasting.store import read_forecasts
from tests.conftest import load_demo

QUICK = {"horizon": 14, "folds": 1, "models": ["lightgbm"]}


@pytest.mark.postgres
@pytest.mark.slow
def test_rollback_and_promote_are_audited_and_republish(pg_url, tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    load_demo(pg_url, n_orders=4000, seed=7)
    (first,) = enqueue_training(["orders"], **QUICK)
    first_start = read_forecasts()["ds"].min()
    assert first_start.date().isoformat() > "2026-06-30"
    (second,) = enqueue_training(["orders"], **{**QUICK, "end": "2026-05-31"})
    assert get_job(first)["status"] == get_job(second)["status"] == "succeeded"
    uid = sorted(get_job(second)["result"]["series"])[0]
    assert read_forecasts([uid])["ds"].min().date().isoformat() == "2026-06-01"

    assert rollback_champion(uid, actor=Actor("scientist", "data_scientist")) == "1"
    stored = read_forecasts([uid])
    assert set(stored["version"]) == {"1"}
    assert stored["ds"].min() == first_start
    versions = model_versions(uri).query("unique_id == @uid").set_index("version")
    assert versions.loc["1", "alias"] == "champion" and versions.loc["2", "alias"] == "previous"
    assert {"snaive_mase", "lightgbm_mase", "mase_vs_snaive", "published_mase"} <= set(
        versions.columns
    )

    assert promote_version(uid, "2", actor=Actor("scientist", "data_scientist")) == "2"
    assert registry.champion_version(uid, uri=uri) == "2"
    assert set(read_forecasts([uid])["version"]) == {"2"}
    with get_engine(pg_url).connect() as conn:
        entries = (
            conn.execute(
                select(AuditLog.__table__).where(AuditLog.__table__.c.entity_type == "model")
            )
            .mappings()
            .all()
        )
        assert audit.verify(conn) == []
    assert [(e["action"], e["before"], e["after"]) for e in entries] == [
        ("model.rollback", {"champion": "2"}, {"champion": "1"}),
        ("model.promote", {"champion": "1"}, {"champion": "2"}),
    ]


@pytest.mark.redis
def test_nightly_retraining_registers_with_the_rq_cron_scheduler(redis_url):
    scheduler = CronScheduler(connection=redis_connection(redis_url))
    job = register_nightly(scheduler, queue="forecasting-test-cron")
    assert scheduler.get_jobs() == [job]
    assert job.cron == NIGHTLY_CRON and job.func_name == "forecasting.jobs.retrain_all"
    assert job.next_enqueue_time.hour == 2 and job.next_enqueue_time.minute == 0

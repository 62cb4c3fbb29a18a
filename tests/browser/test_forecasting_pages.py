"""The Forecasts, Inventory and Models pages in a real browser, on a trained demo database."""

from __future__ import annotations

import multiprocessing
import os

import pytest
from sqlalchemy import select

from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.schema import AuditLog
from db.users import ensure_demo_users
from forecasting.jobs import enqueue_training
from forecasting.store import list_jobs
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in
from tests.conftest import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]


def _train(environment: dict[str, str]) -> None:
    """Train in a fresh process: MLflow keeps per-process state that an earlier test's
    store in this process can leak into."""
    os.environ.update(environment)
    enqueue_training(["revenue"], horizon=28, folds=2, models=["lightgbm", "naive"])


def test_forecasting_pages(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    load_demo(pg_url, n_orders=6000, seed=3)
    trainer = multiprocessing.get_context("spawn").Process(
        target=_train,
        args=(
            {
                "MLFLOW_TRACKING_URI": os.environ["MLFLOW_TRACKING_URI"],
                "CHANNELPERF_DATABASE_URL": pg_url,
            },
        ),
    )
    trainer.start()
    trainer.join(timeout=600)
    assert trainer.exitcode == 0
    assert set(list_jobs()["status"]) == {"succeeded"}
    ensure_demo_users()
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "planner", "planner-demo")
        page.goto(f"{base}/forecasts")
        page.wait_for_selector("#forecasts-chart .main-svg", timeout=60_000)
        page.wait_for_selector("#forecasts-shift-grid .ag-row", timeout=30_000)
        assert "daily actuals and forecast" in page.inner_text("#forecasts-chart")
        assert "touchpoints add up to their category" in page.inner_text("#forecasts-coherence")
        assert page.locator("#forecasts-shift-grid .ag-row").count() >= 2
        page.wait_for_timeout(1500)
        screenshot(page, "service-forecasts")

        page.goto(f"{base}/inventory")
        page.wait_for_selector("#inventory-positions .ag-row", timeout=60_000)
        assert "Expected stock-outs" in page.inner_text("#inventory-effect")
        page.click("#inventory-apply")
        page.wait_for_selector("#inventory-message .alert-success", timeout=30_000)
        screenshot(page, "service-inventory")
        assert page.goto(f"{base}/models").status == 403
        page.goto(f"{base}/logout")

        sign_in(page, base, "scientist", "scientist-demo")
        page.goto(f"{base}/models")
        page.wait_for_selector("#models-versions .ag-row", timeout=60_000)
        grid = page.inner_text("#models-versions")
        assert "champion" in grid
        for header in ("÷ seasonal naive", "÷ best classical", "80 % interval coverage"):
            assert header in grid
        assert page.get_attribute("#models-mlflow-link", "href") == "http://127.0.0.1:5000"
        page.wait_for_timeout(1000)
        screenshot(page, "service-models")

    with get_engine(pg_url).connect() as conn:
        plan = conn.execute(select(AllocationPlan.__table__)).mappings().one()
        actions = conn.execute(select(AuditLog.__table__.c.action, AuditLog.__table__.c.actor))
        assert ("allocation.apply", "planner") in set(actions)
    assert plan["created_by"] == "planner" and plan["units_moved"] > 0

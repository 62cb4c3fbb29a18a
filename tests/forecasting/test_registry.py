import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from forecasting import registry
from forecasting.errors import ForecastingError
from forecasting.models import LightGBMModel
from forecasting.reconcile import Hierarchy
from forecasting.training import train

SHOPS = Hierarchy(("Physical Store", "Web"), {"All": ("Physical Store", "Web")})


def channel_frame(days, seed):
    rng = np.random.default_rng(seed)
    parts = []
    for i, uid in enumerate(("Web", "Physical Store")):
        ds = pd.date_range("2024-01-01", periods=days, freq="D")
        weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[ds.day_of_week]
        y = (100 + 80 * i) * weekly * (1 + 0.003 * np.arange(days)) + rng.normal(0, 3, days)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    parts.append(parts[0].assign(unique_id="All", y=parts[0].y + parts[1].y))
    return pd.concat(parts, ignore_index=True)


def quick_training(frame):
    models = {"lightgbm": lambda: LightGBMModel(n_estimators=50)}
    return train(frame, models, horizon=14, folds=2, hierarchy=SHOPS, nonnegative=True)


@pytest.mark.slow
def test_register_promote_rollback_and_reload_the_champion(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first_frame = channel_frame(150, seed=1)
    first = quick_training(first_frame)
    registered = registry.log_training(first, first_frame, params={"source": "test"}, uri=uri)
    web = registered["Web"]
    assert web.name == "channelperf-web" and web.version == "1"
    assert registry.registered_model_name("Physical Store") == "channelperf-physical-store"

    loaded = registry.load_champion("Web", uri=uri)
    expected = first.champion_forecast().query("unique_id == 'Web'")
    pd.testing.assert_frame_equal(
        loaded.forecast, expected.drop(columns="model").reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(loaded.reforecast(), loaded.forecast)
    assert loaded.model_name == first.champions["Web"]
    # the total's stored forecast is the reconciled one, and reforecasting reproduces it
    total = registry.load_champion("All", uri=uri)
    parts = first.champion_forecast().pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(total.forecast.yhat, parts["Web"] + parts["Physical Store"])
    pd.testing.assert_frame_equal(total.reforecast(), total.forecast)

    second_frame = channel_frame(160, seed=2)
    second = quick_training(second_frame)
    registry.log_training(second, second_frame, uri=uri)
    assert registry.champion_version("Web", uri=uri) == "2"
    assert registry.champion_version("Web", "previous", uri=uri) == "1"

    assert registry.rollback("Web", uri=uri) == "1"
    rolled_back = registry.load_champion("Web", uri=uri)
    pd.testing.assert_frame_equal(rolled_back.forecast, loaded.forecast)
    assert registry.champion_version("Web", "previous", uri=uri) == "2"

    registry.promote("Web", 2, uri=uri)
    assert registry.champion_version("Web", uri=uri) == "2"
    assert registry.champion_version("Web", "previous", uri=uri) == "1"
    newest = registry.load_champion("Web", uri=uri)
    assert newest.forecast.ds.min() == second_frame.ds.max() + pd.Timedelta(days=1)

    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(web.run_id)
    assert run.data.params["horizon"] == "14" and run.data.params["source"] == "test"
    assert {"snaive_mase", "lightgbm_wape", "lightgbm_coverage"} <= set(run.data.metrics)
    skill = first.skill.set_index("unique_id").loc["Web"]
    assert run.data.metrics["published_mase"] == pytest.approx(skill.mase)
    assert run.data.metrics["mase_vs_snaive"] == pytest.approx(skill.mase_vs_snaive)
    artifacts = {a.path for a in client.list_artifacts(web.run_id)}
    assert {"forecast.png", "forecast.csv"} <= artifacts
    assert (tmp_path / "artifacts").is_dir()

    with pytest.raises(ForecastingError):
        registry.promote("Web", 9, uri=uri)
    with pytest.raises(ForecastingError):
        registry.load_champion("Marketplace", uri=uri)


def test_tracking_uri_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    default = registry.tracking_uri()
    assert default.startswith("sqlite:///") and default.endswith("mlruns/mlflow.db")
    assert registry.artifact_location(default).endswith("mlruns/artifacts")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    assert registry.tracking_uri() == "http://mlflow:5000"
    assert registry.artifact_location("http://mlflow:5000") is None
    assert registry.tracking_uri(f"sqlite:///{tmp_path}/x.db") == f"sqlite:///{tmp_path}/x.db"

"""The Models page's "Promote version" with a version that is not a whole number: "1.5" once
promoted version 1 without a word (the page cut it to an integer); now the server refuses it
with a message and the champion stays."""

from __future__ import annotations

import json
from collections.abc import Iterator

import mlflow
import pytest

from forecasting import registry
from forecasting.models import LightGBMModel
from forecasting.training import train
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.forecasting.test_registry import channel_frame
from tests.signin import post_callback

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WEB = "touchpoint:web:orders"


def promote_body(app, series: str, version) -> dict:
    key = next(k for k in _server_callbacks(app) if "models-message" in k)
    body = well_formed(key, _server_callbacks(app)[key])
    body["inputs"] = [
        {"id": f"models-{name}", "property": "n_clicks", "value": 1 if name == "promote" else None}
        for name in ("retrain", "promote", "rollback")
    ]
    body["changedPropIds"] = ["models-promote.n_clicks"]
    body["state"] = [
        {"id": "models-series", "property": "value", "value": series},
        {"id": "models-version", "property": "value", "value": version},
    ]
    return body


@pytest.fixture
def two_versions(tmp_path, monkeypatch) -> Iterator[str]:
    """An MLflow store where Web's orders have versions 1 and 2, 2 the champion: the server's
    store (MLflow's process-wide one too, which it would otherwise restore an earlier test's
    into the environment from)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    models = {"lightgbm": lambda: LightGBMModel(n_estimators=50)}
    for seed, days in ((1, 150), (2, 160)):
        frame = channel_frame(days, seed).query("unique_id == 'Web'").assign(unique_id=WEB)
        registry.log_training(train(frame, models, horizon=14, folds=2), frame, uri=uri)
    assert registry.champion_version(WEB, uri=uri) == "2"
    yield uri
    mlflow.set_tracking_uri(None)


@pytest.mark.parametrize("version", [1.5, "1.5", 0, -1, "one", True])
def test_a_version_that_is_not_a_whole_number_is_refused(app, client_for, two_versions, version):
    response = post_callback(client_for("data_scientist"), promote_body(app, WEB, version))
    assert response.status_code == 200, response.data[:300]
    message = json.dumps(response.get_json()["response"]["models-message"])
    assert "a version is a whole number from 1" in message, message
    assert registry.champion_version(WEB, uri=two_versions) == "2"


def test_a_whole_version_is_promoted(app, client_for, two_versions):
    response = post_callback(client_for("data_scientist"), promote_body(app, WEB, 1))
    assert f"Version 1 is now the champion of {WEB}" in json.dumps(response.get_json())
    assert registry.champion_version(WEB, uri=two_versions) == "1"

"""The Models page's "Retrain now" with a job queue but no worker: each click once queued
another full training, and the jobs sat "queued" with no hint why. Now the page says no worker
is running (after the click, above the jobs grid and on each refresh), and a second click is
refused while the first training waits, queuing nothing."""

from __future__ import annotations

import json

import pytest
import redis

from db.jobs import get_queue
from forecasting import jobs
from forecasting import store
from tests.dashapp.test_access import router_body
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
NO_WORKER = "no worker is running to take them: start one with `channelperf worker jobs`"


def callback_body(app, output: str, trigger: str) -> dict:
    """The request the page sends when ``trigger`` (an input id) fires the callback answering
    ``output``, every other value empty."""
    key = next(k for k in _server_callbacks(app) if output in k)
    body = well_formed(key, _server_callbacks(app)[key])
    for item in body["inputs"]:
        fired = item["id"] == trigger
        item["value"] = 1 if fired else None
        if fired:
            body["changedPropIds"] = [f"{trigger}.{item['property']}"]
    return body


@pytest.fixture
def queue_without_worker(app, pg_url, redis_url, use_database, tmp_path, monkeypatch):
    """A job queue on a Redis database no test's worker listens on; an empty MLflow store."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    own = redis_url.rsplit("/", 1)[0] + "/11"
    use_database(pg_url, redis_url=own, login_rate_limit="3 per minute")
    yield get_queue(jobs.QUEUE)
    redis.Redis.from_url(own).flushdb()


def test_retrain_without_a_worker_says_so_and_queues_one_training(
    app, client_for, queue_without_worker
):
    scientist = client_for("data_scientist")
    retrain = callback_body(app, "models-message", "models-retrain")

    first = json.dumps(post_callback(scientist, retrain).get_json()["response"])
    ids = store.list_jobs()["id"].sort_values().tolist()
    listed = ", ".join(map(str, ids))
    assert len(ids) == len(jobs.GROUPS) and queue_without_worker.count == len(ids)
    assert f"Training jobs {listed} queued, but {NO_WORKER}." in first

    second = json.dumps(post_callback(scientist, retrain).get_json()["response"])
    assert f"a training is already queued (jobs {listed}), but {NO_WORKER}" in second
    assert '"color": "danger"' in second
    assert store.list_jobs()["id"].sort_values().tolist() == ids
    assert queue_without_worker.count == len(ids)

    notice = f"Training jobs {listed} are queued, but {NO_WORKER}."
    page = json.dumps(post_callback(scientist, router_body("/models")).get_json())
    assert notice in page
    refresh = callback_body(app, "models-waiting", "models-refresh")
    refreshed = post_callback(scientist, refresh).get_json()["response"]
    assert notice in json.dumps(refreshed["models-waiting"])

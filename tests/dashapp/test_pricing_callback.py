"""The Pricing page's data callback at a 1 % volume floor: a channel whose elasticity is near
0 once made the recommendation overflow (HTTP 500, the page kept the previous floor's
results); now it gets its price, and an analysis that fails still answers with a message
and empty charts, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analytics.periods import Period
from analytics.views import pricing as pricing_view
from tests.conftest import load_demo
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = pytest.mark.postgres

YEAR = Period(dt.date(2025, 7, 1), dt.date(2026, 6, 30))


def pricing_body(app, floor) -> dict:
    """The request the page sends for the demo's last year, every channel, at ``floor`` %."""
    key = next(k for k in _server_callbacks(app) if "pricing-message" in k)
    body = well_formed(key, _server_callbacks(app)[key])
    values = {
        ("pricing-dates", "start_date"): str(YEAR.start),
        ("pricing-dates", "end_date"): str(YEAR.end),
        ("pricing-channels", "value"): [],
        ("pricing-drill", "data"): [],
        ("pricing-floor", "value"): floor,
    }
    for item in body["inputs"]:
        item["value"] = values[(item["id"], item["property"])]
    body["changedPropIds"] = ["pricing-floor.value"]
    return body


@pytest.fixture
def near_zero_web(pg_url, monkeypatch):
    """The demo's estimates, with Web's elasticity and interval end near 0 (as real data can
    estimate them)."""
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    channels, categories = pricing_view.elasticities(YEAR)
    web = channels["channel"] == "web"
    channels.loc[web, ["elasticity", "ci_low", "ci_high"]] = (-0.003, -0.8, 0.0005)
    channels.loc[web, "warning"] = ""
    monkeypatch.setattr(pricing_view, "elasticities", lambda *_: (channels, categories))


def test_a_one_percent_floor_prices_a_near_zero_elasticity(app, client_for, near_zero_web):
    response = post_callback(client_for("planner"), pricing_body(app, 1))
    assert response.status_code == 200, response.data[:300]
    answer = response.get_json()["response"]
    assert answer["pricing-message"]["children"] is None
    rows = {r["channel"]: r for r in answer["pricing-grid"]["rowData"]}
    assert rows["web"]["price_change"] == pytest.approx(0.15)  # the cap binds, not the floor
    title = answer["pricing-move-chart"]["figure"]["layout"]["title"]["text"]
    assert title == "Recommended price change (keeping ≥ 1% of units)"


def test_a_failing_analysis_answers_a_message_and_no_results(app, client_for, pg_url, monkeypatch):
    def failing(*_args, **_kwargs):
        raise OverflowError(34, "Numerical result out of range")

    monkeypatch.setattr(pricing_view, "elasticities", failing)
    response = post_callback(client_for("planner"), pricing_body(app, 1))
    assert response.status_code == 200, response.data[:300]
    answer = response.get_json()["response"]
    message = json.dumps(answer["pricing-message"])
    assert "could not be computed for this selection" in message
    assert "pricing-failed" in message
    assert answer["pricing-grid"]["rowData"] == []
    assert answer["pricing-category-grid"]["rowData"] == []
    title = answer["pricing-move-chart"]["figure"]["layout"]["title"]["text"]
    assert "keeping" not in title

"""The Forecasts page's series dropdown: the Unassigned category and the Unassigned touchpoint
share a name, and their series were once two entries each labelled "Unassigned · orders" and
"Unassigned · revenue"; each entry now says its level, as the Models page does."""

from __future__ import annotations

import pandas as pd
import pytest

from db.engine import get_engine
from forecasting import store
from tests.dashapp.test_access import router_body
from tests.signin import post_callback

pytestmark = pytest.mark.postgres

SERIES = [
    f"{dimension}:{code}:{measure}"
    for dimension, code in (
        ("total", "all"),
        ("category", "unassigned"),
        ("touchpoint", "unassigned"),
    )
    for measure in ("orders", "revenue")
]


def _components(node):
    """Every component of a serialised layout, depth first."""
    if isinstance(node, list):
        for child in node:
            yield from _components(child)
    elif isinstance(node, dict) and "props" in node:
        yield node
        yield from _components(node["props"].get("children"))


def test_series_sharing_a_name_are_told_apart_by_their_level(app, client_for):
    days = pd.date_range("2026-07-01", periods=3, freq="D")
    forecasts = pd.DataFrame(
        [
            {"unique_id": uid, "ds": day, "yhat": 5, "yhat_lower": 4, "yhat_upper": 6, "model": "x"}
            for uid in SERIES
            for day in days
        ]
    )
    with get_engine().begin() as conn:
        store.write_forecasts(conn, forecasts)

    answer = post_callback(client_for("planner"), router_body("/forecasts")).get_json()
    (dropdown,) = [
        c for c in _components(answer["response"]["_pages_content"]["children"])
        if c["props"].get("id") == "forecasts-series"
    ]  # fmt: skip
    labels = {o["value"]: o["label"] for o in dropdown["props"]["options"]}
    assert labels == {
        "total:all:orders": "All channels · orders (total)",
        "total:all:revenue": "All channels · revenue (total)",
        "category:unassigned:orders": "Unassigned · orders (category)",
        "category:unassigned:revenue": "Unassigned · revenue (category)",
        "touchpoint:unassigned:orders": "Unassigned · orders (touchpoint)",
        "touchpoint:unassigned:revenue": "Unassigned · revenue (touchpoint)",
    }

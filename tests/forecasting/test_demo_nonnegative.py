"""On the demo data's sparsest series (a few orders a week), the published forecast and its
interval never go below zero, and the hierarchy's forecasts add up."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.jobs import group_hierarchy
from forecasting.training import INTERMITTENT_SHARE
from forecasting.training import train

pytestmark = [pytest.mark.postgres]


def test_sparsest_demo_series_gets_no_negative_forecast_or_bound(demo_db):
    frame, hierarchy = group_hierarchy("orders", url=demo_db.url)
    zero_share = frame.groupby("unique_id")["y"].apply(lambda y: float((y == 0).mean()))
    sparsest = zero_share.idxmax()
    assert zero_share[sparsest] >= INTERMITTENT_SHARE, zero_share.to_dict()
    models = ["lightgbm", "naive", "croston", "sba", "tsb"]
    result = train(frame, models, 28, 2, hierarchy=hierarchy, nonnegative=True)
    assert {"croston", "sba", "tsb"} <= set(result.scores.query("unique_id == @sparsest").model)
    published = result.champion_forecast()
    assert len(published) == 28 * frame["unique_id"].nunique()
    bounds = published[["yhat", "yhat_lower", "yhat_upper"]]
    assert (bounds >= 0).all().all(), published[(bounds < 0).any(axis=1)]
    assert (published["yhat_lower"] <= published["yhat"]).all()
    assert (published["yhat"] <= published["yhat_upper"]).all()
    wide = published.pivot(index="ds", columns="unique_id", values="yhat")
    for parent, parts in hierarchy.aggregates.items():
        np.testing.assert_allclose(wide[parent], wide[list(parts)].sum(axis=1), atol=1e-9)

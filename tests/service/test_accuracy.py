"""On the demo data, with the last 8 weeks held out and training on the days before only,
every channel category's champion beats seasonal naive by at least 25 % in MASE. The
candidates are the daily models (Prophet, LightGBM, the profile model) with their
combinations: the classical ones are judged on real data by bench/bench_accuracy.py, and
training every candidate here would take minutes of the suite's time."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.jobs import FOLDS
from forecasting.jobs import HORIZON
from forecasting.jobs import group_frame
from forecasting.training import train

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ACTIVE_SHARE = 0.75  # days with sales: below it a series is intermittent, not "enough history"


def categories(frame):
    return frame[frame["unique_id"].str.startswith("category:")].reset_index(drop=True)


def seasonal_naive_mae(y, season=7):
    y = y.to_numpy()
    return abs(y[season:] - y[:-season]).mean()


def test_champion_beats_seasonal_naive_on_every_category(demo):
    full = categories(group_frame("revenue", url=demo.url))
    cutoff = full["ds"].max() - pd.Timedelta(days=HORIZON)
    history = categories(group_frame("revenue", end=cutoff.date(), url=demo.url))
    assert history["ds"].max() == cutoff
    result = train(history, ["prophet", "lightgbm", "profile"], HORIZON, FOLDS)
    held_out = full[full["ds"] > cutoff]
    scored = result.forecasts.merge(held_out[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    active = history.groupby("unique_id")["y"].apply(lambda y: (y != 0).mean() >= ACTIVE_SHARE)
    checked = sorted(active[active].index)
    assert {"category:ecommerce:revenue", "category:physical_retail:revenue"} <= set(checked)
    for uid in checked:
        scale = seasonal_naive_mae(history.loc[history["unique_id"] == uid, "y"])
        mae = (
            scored[scored["unique_id"] == uid]
            .groupby("model")
            .apply(lambda g: (g["yhat"] - g["y"]).abs().mean())
        )
        champion = result.champions[uid]
        assert len(scored[(scored["unique_id"] == uid) & (scored["model"] == champion)]) == HORIZON
        assert mae[champion] / scale <= 0.75 * mae["snaive"] / scale, (uid, champion, mae.to_dict())

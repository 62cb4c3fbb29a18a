"""Trend calls: an injected trend is called with p < 0.05, a flat noisy series is not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.metrics import BASE_MEASURES
from analytics.metrics import with_derived
from analytics.periods import Period
from analytics.views.trends import build_trends
from analytics.views.trends import trend_calls
from ingestion.demo import TRENDS

WEEKLY = np.array([0.9, 1.0, 1.0, 1.0, 1.1, 1.3, 0.7])


def _sums(orders: dict[str, np.ndarray], days: pd.DatetimeIndex) -> pd.DataFrame:
    frames = []
    for channel, counts in orders.items():
        frame = pd.DataFrame({m: 0.0 for m in BASE_MEASURES}, index=range(len(days)))
        frame["day"] = days.date
        frame["touchpoint"] = channel
        frame["orders"] = counts.astype(float)
        frame["gross_revenue"] = counts * 50.0
        frame["visits"] = 1000.0
        frame["conversions"] = counts.astype(float)
        frames.append(frame)
    return with_derived(pd.concat(frames, ignore_index=True))


def test_injected_trend_is_rising_and_flat_noise_is_not():
    rng = np.random.default_rng(7)
    days = pd.date_range("2025-01-01", periods=365, freq="D")
    season = WEEKLY[days.day_of_week]
    rising = rng.poisson(40 * season * np.linspace(1.0, 1.3, len(days)))
    flat = rng.poisson(40 * season)
    calls = trend_calls(_sums({"rising": rising, "flat": flat}, days), "touchpoint", ("orders",))
    calls = calls.set_index("channel")
    assert calls.loc["rising", "direction"] == "rising"
    assert calls.loc["rising", "p_value"] < 0.05
    assert calls.loc["flat", "direction"] == "flat"
    assert calls.loc["flat", "p_value"] >= 0.05


def test_flat_noise_is_rarely_called():
    rng = np.random.default_rng(11)
    days = pd.date_range("2025-01-01", periods=182, freq="D")
    series = {f"flat{i}": rng.poisson(30 * WEEKLY[days.day_of_week]) for i in range(20)}
    calls = trend_calls(_sums(series, days), "touchpoint", ("orders",))
    assert (calls["direction"] != "flat").sum() <= 3


@pytest.mark.postgres
def test_the_demos_growing_app_is_called_rising(demo):
    assert TRENDS["mobile_app"]["orders_growth_per_year"] > 0.3
    view = build_trends(
        Period(dt.date(2023, 7, 1), dt.date(2026, 6, 30)), "touchpoint", metrics=("orders",)
    )
    table = view.table.set_index("channel")
    assert table.loc["mobile_app", "direction"] == "rising"
    assert table.loc["mobile_app", "p_value"] < 0.05
    assert TRENDS["call_center"]["orders_growth_per_year"] < -0.2
    assert table.loc["call_center", "direction"] == "declining"
    assert table.index[0] == "mobile_app"

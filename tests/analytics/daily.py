"""Generated daily sales-like data for the anomaly tests: level 1000, a linear trend, a weekly
pattern, a yearly wave (annual and half-year harmonics) and normal noise of sd ``NOISE``."""

from __future__ import annotations

import numpy as np
import pandas as pd

NOISE = 20.0


def seasonal_daily(seed: int, days: int, trend: float, yearly: tuple[float, float]) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2022-01-03", periods=days, freq="D")
    t = np.arange(days)
    weekly = np.array([40, 30, 20, 10, 50, -60, -90])[index.day_of_week]
    annual, half_year = yearly
    wave = annual * np.sin(2 * np.pi * t / 365.25) + half_year * np.cos(4 * np.pi * t / 365.25)
    return pd.Series(1000 + trend * t + weekly + wave + rng.normal(0, NOISE, days), index=index)

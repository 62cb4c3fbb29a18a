"""Each channel's amount against the spend its curve was fitted on, on a constructed history:
a channel given more than it ever spent over the horizon, or less than it ever did, is named
with a warning that its revenue there is an extrapolation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.budget.extrapolation import SpendRange
from analytics.budget.extrapolation import extrapolations
from analytics.budget.extrapolation import spend_ranges
from analytics.budget.optimise import evaluate_split
from tests.budget.test_optimise import exponential

HORIZON = 28
DAYS = pd.date_range("2025-07-01", periods=365, freq="D")
NAMES = {"marketplace": "Marketplace", "web": "Web", "sales_rep": "Sales Rep"}


def history() -> pd.DataFrame:
    """A year of daily spend: Marketplace spends nothing but one 2,085 burst over three days,
    Web 10 a day and 50 every 17th day (never under 320 in 28 days), Sales Rep 100 a day."""
    marketplace = np.zeros(len(DAYS))
    marketplace[200:203] = 695.0
    web = np.full(len(DAYS), 10.0)
    web[::17] = 50.0
    spend = {"marketplace": marketplace, "web": web, "sales_rep": np.full(len(DAYS), 100.0)}
    return pd.concat(
        [pd.DataFrame({"touchpoint": c, "ds": DAYS, "spend": s}) for c, s in spend.items()],
        ignore_index=True,
    )


def windows(spend: np.ndarray) -> list[float]:
    """Every sum of ``HORIZON`` consecutive days, one by one."""
    return [float(spend[i : i + HORIZON].sum()) for i in range(len(spend) - HORIZON + 1)]


def test_each_channel_gets_the_least_and_most_it_spent_over_the_horizon():
    frame = history()
    ranges = spend_ranges(frame, HORIZON)
    for channel, part in frame.groupby("touchpoint"):
        sums = windows(part["spend"].to_numpy())
        assert ranges[channel].least == pytest.approx(min(sums))
        assert ranges[channel].most == pytest.approx(max(sums))
    assert ranges["marketplace"] == SpendRange(0.0, 2085.0)
    assert ranges["web"].least == pytest.approx(280 + 40)  # a 50 day in every 28 days
    assert ranges["sales_rep"] == SpendRange(2800.0, 2800.0)


def test_a_day_missing_from_the_history_counts_as_no_spend():
    frame = history()
    gap = frame[~((frame["touchpoint"] == "sales_rep") & (frame["ds"] == DAYS[100]))]
    assert spend_ranges(gap, HORIZON)["sales_rep"] == SpendRange(2700.0, 2800.0)


def split(amounts: dict[str, float]):
    curves = [exponential(c, 1000, 200) for c in amounts]
    current = np.full(len(amounts), 1000.0)
    return evaluate_split(curves, current, np.array(list(amounts.values())), HORIZON, "revenue")


def test_channels_outside_their_history_are_named_with_an_extrapolation_warning():
    ranges = spend_ranges(history(), HORIZON)
    allocation = split({"marketplace": 12_927.0, "web": 0.0, "sales_rep": 2800.0})
    warnings = extrapolations(allocation, ranges, NAMES, "USD")
    assert warnings == [
        "Marketplace: $12,927 is above the most it spent in any 28 days of its history, "
        "$2,085 (6.2× that), outside the range its response curve was fitted on: the revenue "
        "estimated there is an extrapolation.",
        "Web: $0 is below the least it spent in any 28 days of its history, $320, outside the "
        "range its response curve was fitted on: the revenue estimated there is an "
        "extrapolation.",
    ]


def test_amounts_within_each_channels_history_get_no_warning():
    ranges = spend_ranges(history(), HORIZON)
    inside = split({"marketplace": 2085.0, "web": 320.0, "sales_rep": 2800.004})
    assert extrapolations(inside, ranges, NAMES, "USD") == []
    # A channel with no range (no curve fitted on its history) is not judged.
    assert extrapolations(split({"tv": 1e6}), ranges, NAMES, "USD") == []
    above = split({"marketplace": 0.0, "web": 320.0, "sales_rep": 2801.0})
    (warning,) = extrapolations(above, ranges, NAMES, "EUR")
    assert warning.startswith(
        "Sales Rep: €2,801 is above the most it spent in any 28 days of its history, €2,800, "
    )

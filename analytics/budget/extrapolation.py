"""Where a split leaves the spend each channel's curve was fitted on.

A response curve only knows the spend its channel had: over a horizon of ``H`` days, from the
least to the most the channel spent over any ``H`` consecutive days of the history. An amount
outside that range is read off the curve's extrapolated shape, so its revenue is a guess, and
the Budget page and ``channelperf budget`` say so for each such channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.budget.optimise import CENT
from analytics.budget.optimise import Allocation
from analytics.metrics import currency_symbol


@dataclass(frozen=True)
class SpendRange:
    """The least and the most a channel spent over any window of the horizon's length."""

    least: float
    most: float


def spend_ranges(frame: pd.DataFrame, horizon_days: int) -> dict[str, SpendRange]:
    """Per channel of ``frame`` (``touchpoint, ds, spend`` per day, the history its curve was
    fitted on): its spend range over ``horizon_days`` days (the whole history if shorter)."""
    ranges = {}
    for channel, part in frame.groupby("touchpoint", sort=True):
        daily = part.groupby("ds")["spend"].sum().asfreq("D", fill_value=0.0)
        windows = daily.rolling(min(horizon_days, len(daily))).sum().dropna()
        ranges[str(channel)] = SpendRange(float(windows.min()), float(windows.max()))
    return ranges


def extrapolations(
    allocation: Allocation,
    ranges: dict[str, SpendRange],
    names: dict[str, str],
    currency: str,
) -> list[str]:
    """One warning per channel whose amount in ``allocation`` is above the most or below the
    least it spent over any ``horizon_days`` of its history (``ranges``, of the same horizon):
    the revenue estimated there is an extrapolation of its curve."""
    symbol, days = currency_symbol(currency), allocation.horizon_days

    def money(value: float) -> str:
        return f"{symbol}{value:,.0f}"

    warnings = []
    for channel, amount in zip(allocation.channels, np.asarray(allocation.proposed), strict=True):
        seen = ranges.get(channel)
        if seen is None:
            continue
        if amount > seen.most + CENT:
            ratio = round(amount / seen.most, 1) if seen.most > 0 else 0.0
            times = f" ({ratio:,.1f}× that)" if ratio > 1 else ""
            where = f"above the most it spent in any {days} days of its history, "
            where += money(seen.most) + times
        elif amount < seen.least - CENT:
            where = f"below the least it spent in any {days} days of its history, "
            where += money(seen.least)
        else:
            continue
        warnings.append(
            f"{names.get(channel, channel)}: {money(amount)} is {where}, outside the range its "
            "response curve was fitted on: the revenue estimated there is an extrapolation."
        )
    return warnings

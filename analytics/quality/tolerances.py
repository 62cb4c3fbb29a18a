"""How far the data may stray before a check warns or fails."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Tolerances:
    # Σ line totals vs subtotal, and subtotal − discount + tax + shipping vs total.
    reconcile: Decimal = Decimal("0.01")
    # A source whose last successful ingest run is older than this is stale.
    freshness_lag: dt.timedelta = dt.timedelta(hours=26)
    # Volume may differ this much (relative) from the median of the same weekday.
    volume_change: float = 0.5
    # Below this median daily count a source × channel is too small to judge.
    volume_min_median: float = 20
    weeks_of_history: int = 4
    # Highest share of orders without a channel, over the trailing window.
    unassigned_share: float = 0.05
    unassigned_window_days: int = 7
    # Below this many orders in the window a source's share is too noisy to judge.
    unassigned_min_orders: int = 30
    # Failure examples quoted in a result's message.
    examples: int = 5

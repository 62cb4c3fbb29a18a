"""What a given split buys: revenue (with its interval), margin and ROAS per channel, on the
fitted curves. The Budget page's sliders call this on every move."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.budget.curves import ResponseCurve
from analytics.errors import AnalyticsError

PROJECTION_COLUMNS = [
    "channel",
    "spend",
    "revenue",
    "revenue_low",
    "revenue_high",
    "margin",
    "roas",
]

# Below one currency unit of spend a return on it says nothing (a $0.004 spend that the curve
# credits with $30 of revenue would show a ROAS of 7,500).
ROAS_MIN_SPEND = 1.0


def roas(revenue: float, spend: float) -> float:
    """Revenue per unit of ad spend; NaN (shown as "—") when the spend is under one unit."""
    return revenue / spend if spend >= ROAS_MIN_SPEND else float("nan")


def project_split(
    curves: list[ResponseCurve] | tuple[ResponseCurve, ...],
    amounts: dict[str, float],
    horizon_days: int,
) -> pd.DataFrame:
    """One row per channel of ``curves``: the spend given (0 if absent), the revenue it buys
    over the horizon with its 90 % interval, the gross margin less the spend and the ROAS."""
    unknown = sorted(set(amounts) - {c.channel for c in curves})
    if unknown:
        raise AnalyticsError(f"no spend-response curve for channel {unknown[0]!r}")
    bad = [c for c, v in amounts.items() if not np.isfinite(v) or v < 0]
    if bad:
        raise AnalyticsError(f"{bad[0]}: the amount must be a non-negative number")
    rows = []
    for curve in curves:
        spend = float(amounts.get(curve.channel, 0.0))
        revenue = float(curve.revenue(spend, horizon_days))
        low, high = curve.band(spend, horizon_days)
        rows.append(
            {
                "channel": curve.channel,
                "spend": spend,
                "revenue": revenue,
                "revenue_low": low,
                "revenue_high": high,
                "margin": curve.margin_rate * revenue - spend,
                "roas": roas(revenue, spend),
            }
        )
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)

"""The Pricing page's data: elasticity per channel and category, and per channel the
margin-maximising price move under the planner's volume floor (or why there is none)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.cache import memoise
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.pricing.data import category_elasticities
from analytics.pricing.data import channel_elasticities
from analytics.pricing.data import price_panel
from analytics.pricing.elasticity import Elasticity
from analytics.pricing.recommend import DEFAULT_MAX_CHANGE
from analytics.pricing.recommend import DEFAULT_VOLUME_FLOOR
from analytics.pricing.recommend import recommend_price
from analytics.rollup import Filters
from analytics.rollup import channels_within

DEFAULT_HORIZON = 28
RECOMMENDATION_COLUMNS = [
    "channel",
    "channel_name",
    "elasticity",
    "ci_low",
    "ci_high",
    "method",
    "n",
    "price",
    "unit_cost",
    "price_change",
    "change_low",
    "change_high",
    "units_change",
    "revenue_change",
    "margin_change",
    "actionable",
    "warning",
]


@dataclass(frozen=True)
class PricingView:
    period: Period
    volume_floor: float
    horizon_days: int
    channels: pd.DataFrame  # RECOMMENDATION_COLUMNS, effects over horizon_days
    categories: pd.DataFrame  # elasticity per product category
    message: str = ""


def _recommendations(
    estimates: pd.DataFrame, period: Period, floor: float, horizon: int
) -> pd.DataFrame:
    rows = []
    for row in estimates.itertuples(index=False):
        base = {c: getattr(row, c) for c in ("channel", "channel_name", "elasticity", "ci_low")}
        base |= {"ci_high": row.ci_high, "method": row.method, "n": row.n}
        base |= {"price": row.price, "unit_cost": row.unit_cost}
        if np.isnan(row.elasticity):
            rows.append(base | {"actionable": False, "warning": row.warning})
            continue
        estimate = Elasticity(
            row.elasticity, row.std_error, row.ci_low, row.ci_high, row.method, int(row.n),
            None if pd.isna(row.first_stage_f) else row.first_stage_f, row.warning,
        )  # fmt: skip
        units = row.units / period.days * horizon
        rec = recommend_price(estimate, row.price, row.unit_cost, units, floor, DEFAULT_MAX_CHANGE)
        rows.append(
            base
            | {
                "price_change": rec.price_change,
                "change_low": rec.change_low,
                "change_high": rec.change_high,
                "units_change": rec.units_change,
                "revenue_change": rec.revenue_change,
                "margin_change": rec.margin_change,
                "actionable": rec.actionable,
                "warning": rec.warning,
            }
        )
    return pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS)


@memoise(periods=lambda arguments: [arguments["period"]])
def elasticities(period: Period, url: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The period's elasticities per channel and per category (empty frames without order
    lines): the slow part, cached, so a new volume floor only redoes the recommendations."""
    panel = price_panel(period, url)
    if panel.empty:
        return pd.DataFrame(), pd.DataFrame()
    return channel_elasticities(panel), category_elasticities(panel)


def build_pricing(
    period: Period,
    volume_floor: float = DEFAULT_VOLUME_FLOOR,
    horizon_days: int = DEFAULT_HORIZON,
    url: str | None = None,
    filters: Filters | None = None,
) -> PricingView:
    """``filters`` narrows the channels (touchpoints); categories pool every channel."""
    if not 0 < volume_floor <= 1:
        raise AnalyticsError(f"the volume floor must be a share in (0, 1], got {volume_floor}")
    estimates, categories = elasticities(period, url)
    if estimates.empty:
        return PricingView(
            period, volume_floor, horizon_days, pd.DataFrame(), pd.DataFrame(),
            f"no order lines between {period.start} and {period.end}",
        )  # fmt: skip
    if filters is not None:
        kept = channels_within(filters, url)["touchpoint"]
        estimates = estimates[estimates["channel"].isin(kept)]
    channels = _recommendations(estimates, period, volume_floor, horizon_days)
    return PricingView(period, volume_floor, horizon_days, channels, categories)

"""Elasticities per channel and category from the demo's order lines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from analytics.periods import Period
from analytics.pricing.data import category_elasticities
from analytics.pricing.data import channel_elasticities
from analytics.pricing.data import price_panel
from db.engine import get_engine


def test_panel_and_elasticities_from_the_demo(demo):
    period = Period(dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    panel = price_panel(period)
    with get_engine().connect() as conn:
        units = conn.execute(
            text(
                "SELECT sum(l.qty) FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                "WHERE o.status <> 'cancelled' AND o.order_day BETWEEN :a AND :b AND l.qty > 0"
            ),
            {"a": period.start, "b": period.end},
        ).scalar()
    assert panel["units"].sum() == units
    channels = channel_elasticities(panel).set_index("channel")
    assert set(channels.index) == set(panel["channel"])
    assert channels["n"].sum() == len(panel)
    # Every channel has an estimate with its interval, or says why it has none.
    estimated = channels["elasticity"].notna()
    assert estimated.sum() >= 5
    assert (channels.loc[estimated, "ci_low"] < channels.loc[estimated, "elasticity"]).all()
    assert channels.loc[~estimated, "warning"].str.startswith("no estimate: ").all()
    # Web sells most: a price index net of the product mix (each line against its product's
    # usual price) gives a clearly negative elasticity, near the demo's choice elasticity
    # (−1.6) scaled by the category's share of choices.
    assert channels.at["web", "ci_high"] < 0
    assert channels.at["web", "ci_low"] <= -1.4 <= channels.at["web", "ci_high"]
    assert (channels.loc[estimated, "elasticity"] < 0).all()
    assert panel["price_index"].between(0.5, 1.5).mean() > 0.99
    # An estimate that cannot support a decision carries its reason.
    doubtful = estimated & (channels["ci_high"] >= 0)
    assert channels.loc[doubtful, "warning"].str.len().gt(0).all()
    categories = category_elasticities(panel)
    assert len(categories) >= 4
    assert categories["n"].sum() == pytest.approx(len(panel))

"""The Pricing page's data: a recommendation for every channel the data can estimate."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from analytics.periods import Period
from analytics.pricing.data import channel_elasticities
from analytics.pricing.data import price_panel
from analytics.views.pricing import build_pricing
from db.engine import get_engine

pytestmark = pytest.mark.postgres

PERIOD = Period(dt.date(2025, 7, 1), dt.date(2026, 6, 30))


def test_every_channel_estimated_gets_its_recommendation(pg_url, demo_copy):
    """A company whose every channel has an estimate (none needs an instrument): the page once
    failed on it, reading the absent first-stage F of every channel as a number."""
    demo_copy(pg_url, n_orders=4000, seed=5)
    estimates = channel_elasticities(price_panel(PERIOD))
    unsupported = estimates.loc[estimates["elasticity"].isna(), "channel"].tolist()
    estimated = estimates.loc[estimates["elasticity"].notna(), "channel"].tolist()
    assert len(estimated) >= 3
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "DELETE FROM sales_order WHERE touchpoint_id IN "
                "(SELECT id FROM touchpoint WHERE code = ANY(:codes))"
            ),
            {"codes": unsupported},
        )

    view = build_pricing(PERIOD)

    channels = view.channels.set_index("channel")
    assert sorted(channels.index) == sorted(estimated)
    assert channels["price_change"].notna().all()
    expected = estimates.set_index("channel").loc[estimated, "elasticity"]
    assert channels.loc[estimated, "elasticity"].tolist() == pytest.approx(expected.tolist())

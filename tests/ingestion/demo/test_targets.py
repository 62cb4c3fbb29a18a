"""The demo targets: every quarter and scope covered, near what the generated orders reach."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.target_rows import TARGET_COLUMNS
from db.taxonomy import CATEGORY_OF_TOUCHPOINT
from ingestion.demo import generate_targets
from tests.ingestion.demo.frames import END
from tests.ingestion.demo.frames import N_ORDERS
from tests.ingestion.demo.frames import SEED


def test_targets_cover_every_quarter_and_scope(demo):
    targets = generate_targets(N_ORDERS, SEED, END)
    assert list(targets.columns) == list(TARGET_COLUMNS)
    scopes = set(zip(targets["scope_type"], targets["scope_code"], strict=True))
    assert scopes == {
        ("category", c) for c in ("ecommerce", "physical_retail", "wholesale", "direct_sales")
    } | {("total", "total")}
    assert set(targets["metric"]) == {"revenue", "conversion_rate", "aov", "margin_pct"}
    assert targets["period_start"].min() == dt.date(2022, 7, 1)
    assert targets["period_end"].max() == dt.date(2025, 9, 30)  # the quarter after END's
    assert not targets.duplicated(["scope_type", "scope_code", "metric", "period_start"]).any()
    # Targets of one scope and metric never share days (the import refuses overlaps).
    for _, group in targets.groupby(["scope_type", "scope_code", "metric"]):
        spans = group.sort_values("period_start")
        assert (spans["period_start"].iloc[1:].values > spans["period_end"].iloc[:-1].values).all()

    orders = demo["orders"]
    live = orders[orders["status"] != "cancelled"].copy()
    live["quarter_start"] = (
        pd.to_datetime(live["local_day"]).dt.to_period("Q").dt.start_time.dt.date
    )
    live["category"] = live["touchpoint_code"].map(CATEGORY_OF_TOUCHPOINT)
    actual = live.groupby(["category", "quarter_start"])["revenue_usd"].sum()
    revenue = targets[(targets["metric"] == "revenue") & (targets["scope_type"] == "category")]
    ratios = {}
    for row in revenue.itertuples():
        if row.period_end <= END:
            ratio = float(row.value) / actual[(row.scope_code, row.period_start)]
            # Wholesale baskets are heavy-tailed: one quarter of a small demo is noisy.
            assert 0.5 < ratio < 2.0, (row.scope_code, row.period_start, ratio)
            ratios.setdefault(row.scope_code, []).append(ratio)
    mean_ratio = {code: np.mean(r) for code, r in ratios.items()}
    assert all(0.85 < r < 1.15 for r in mean_ratio.values()), mean_ratio
    assert min(mean_ratio.values()) < 0.98 and max(mean_ratio.values()) > 1.02
    margins = targets[targets["metric"] == "margin_pct"]["value"].astype(float)
    conversions = targets[targets["metric"] == "conversion_rate"]["value"].astype(float)
    assert margins.between(0.05, 0.8).all() and conversions.between(0.005, 0.5).all()

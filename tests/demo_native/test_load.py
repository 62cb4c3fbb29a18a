"""The demo through the connectors gives the rollups of the demo loaded as canonical frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.migrate import upgrade
from db.rollups import ROLLUP_COLUMNS
from ingestion.demo.load import load_demo_native
from tests.conftest import DEMO_CHUNK_DAYS
from tests.conftest import DEMO_END
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.conftest import load_demo

N_ORDERS, SEED, YEARS = 3_000, 5, 1
RELOAD_CHUNK_DAYS = 45
# Every measure column of daily_rollup (the columns after its key).
MEASURES = ROLLUP_COLUMNS[ROLLUP_COLUMNS.index("location_id") + 1 :]
# Touchpoints whose sources say everything the generator knows (b2b_portal has no refunds).
FULL = ["web", "mobile_app", "marketplace", "physical_store", "unassigned", "b2b_portal"]


def rollups(url: str) -> pd.DataFrame:
    sums = ", ".join(f"sum(r.{m}) as {m}" for m in MEASURES)
    query = text(
        f"select t.code as touchpoint, r.day, {sums} from daily_rollup r "
        "join touchpoint t on t.id = r.touchpoint_id group by t.code, r.day"
    )
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    money = ["gross_revenue", "refunds", "cost", "spend"]
    frame[money] = frame[money].map(lambda v: int(v * 100))
    counts = [m for m in MEASURES if m not in money]
    frame[counts] = frame[counts].astype("int64")
    return frame.set_index(["touchpoint", "day"]).sort_index()


@pytest.mark.postgres
@pytest.mark.slow
def test_native_path_gives_the_canonical_rollups(pg_url):
    canonical_url = create_database("cp_demo_native")
    try:
        upgrade(canonical_url)
        demo = load_demo(canonical_url, n_orders=N_ORDERS, seed=SEED, years=YEARS)
        expected = rollups(canonical_url)
    finally:
        drop_database(canonical_url)
    engine = get_engine(pg_url)
    end = dt.date.fromisoformat(DEMO_END)
    seen = []
    first = load_demo_native(
        engine,
        N_ORDERS,
        SEED,
        end,
        years=YEARS,
        progress=lambda c, t: seen.append(c.last_day),
        chunk_days=DEMO_CHUNK_DAYS,
    )
    assert seen[-1] == end and first.rejected == 0
    assert first.inserted == first.read > 0 and first.updated == 0
    actual = rollups(pg_url)
    # Days with nothing at all may exist in one and not the other (a zero-session GA4 day).
    index = expected.index.union(actual.index)
    expected = expected.reindex(index, fill_value=0)
    actual = actual.reindex(index, fill_value=0)

    same = [m for m in MEASURES if m not in ("new_customers", "refunds")]
    full = expected.loc[FULL, same].compare(actual.loc[FULL, same])
    assert full.empty, full
    refunds = ["web", "mobile_app", "marketplace", "physical_store", "unassigned"]
    assert expected.loc[refunds, "refunds"].equals(actual.loc[refunds, "refunds"])
    crm = ["b2b_portal", "sales_rep", "call_center"]
    assert actual.loc[crm, "refunds"].sum() == 0
    assert actual.loc[["sales_rep", "call_center"], "cancelled_orders"].sum() == 0

    rep = ["gross_revenue", "cost", "orders", "units", "visits", "conversions", "spend"]
    assert expected.loc["sales_rep", rep].equals(actual.loc["sales_rep", rep])
    # Call center deals are dated in local time and carry no shipping: compare totals.
    calls = ["cost", "orders", "units", "visits", "conversions", "spend"]
    call_totals = expected.loc["call_center", calls].sum()
    assert call_totals.equals(actual.loc["call_center", calls].sum())
    orders = demo.orders
    live = orders[orders["status"] != "cancelled"]
    live_calls = live[live["touchpoint_code"] == "call_center"]
    net = (live_calls["subtotal_minor"] - live_calls["discount_minor"]).to_numpy()
    revenue = int(np.rint(net * live_calls["fx_rate"].to_numpy()).sum())
    assert actual.loc["call_center", "gross_revenue"].sum() == revenue

    # New customers: one per customer with a live order; the connectors key customers per source.
    known = live[live["customer_key"].notna()]
    assert expected["new_customers"].sum() == known["customer_key"].nunique()
    per_source = known[["source_system", "customer_key"]].drop_duplicates()
    assert actual["new_customers"].sum() == len(per_source)

    # Re-read in other chunks than the first load's: every payload is still found unchanged.
    again = load_demo_native(engine, N_ORDERS, SEED, end, years=YEARS, chunk_days=RELOAD_CHUNK_DAYS)
    assert (again.inserted, again.updated, again.rejected) == (0, 0, 0)
    assert again.unchanged == again.read == first.read
    pd.testing.assert_frame_equal(rollups(pg_url).reindex(index, fill_value=0), actual)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from reject")).scalar() == 0

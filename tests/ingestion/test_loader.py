"""The loader's merge on the natural key and the incremental rollups, on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from db.engine import get_engine
from db.rollup_tables import DailyBasketRollup
from db.rollup_tables import DailyChannelBasketRollup
from db.rollup_tables import DailyChannelRollup
from db.rollup_tables import DailyProductRollup
from db.rollup_tables import DailyRollup
from db.rollups import rebuild_all
from db.schema import IngestRun
from db.schema import OrderLine
from db.schema import Refund
from db.schema import SalesOrder
from ingestion.batch import ORDER_KEY
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import decode_payload
from ingestion.canonical import parse
from ingestion.canonical import to_order_batch
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.loader import load_orders
from ingestion.mapping import DEFAULT_RULES
from ingestion.pipeline import load_chunk
from ingestion.reference import upsert_reference
from tests.conftest import load_demo
from tests.ingestion.test_canonical import order_dict

TOTALS = (
    "SELECT count(*), sum(gross_revenue), sum(refunds), sum(orders), sum(units), "
    "sum(new_customers), sum(visits), sum(conversions), sum(spend) FROM daily_rollup"
)


def totals(url: str) -> tuple:
    with get_engine(url).connect() as conn:
        return tuple(conn.execute(text(TOTALS)).one())


def counts(url: str) -> tuple:
    with get_engine(url).connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (SalesOrder.__table__, OrderLine.__table__, Refund.__table__)
        )


@pytest.mark.postgres
def test_loading_the_same_data_twice_changes_nothing(pg_url):
    demo = load_demo(pg_url, n_orders=4_000, seed=5, years=1)
    before, rows_before = totals(pg_url), counts(pg_url)
    assert rows_before[0] == len(demo.orders)
    for chunk in demo.chunks:
        result = load_chunk(get_engine(pg_url), chunk, "demo", "again")
        assert result.inserted == result.updated == 0
        assert result.unchanged == len(chunk.orders)
    assert totals(pg_url) == before
    assert counts(pg_url) == rows_before
    with get_engine(pg_url).connect() as conn:
        runs = conn.execute(select(IngestRun.__table__)).mappings().all()
    assert all(
        r["read"] == r["inserted"] + r["updated"] + r["unchanged"] + r["rejected"] for r in runs
    )


@pytest.mark.postgres
def test_incremental_rollups_equal_a_full_rebuild(pg_url):
    load_demo(pg_url, n_orders=3_000, seed=9, years=1)
    incremental = totals(pg_url)
    with get_engine(pg_url).connect() as conn:
        per_day = conn.execute(
            select(DailyRollup.__table__).order_by(*DailyRollup.__table__.primary_key.columns)
        ).all()
    with get_engine(pg_url).begin() as conn:
        rebuild_all(conn)
    assert totals(pg_url) == incremental
    with get_engine(pg_url).connect() as conn:
        rebuilt = conn.execute(
            select(DailyRollup.__table__).order_by(*DailyRollup.__table__.primary_key.columns)
        ).all()
    assert rebuilt == per_day


def _one_order(version: int, qty: int, lines: int = 2, ordered_at="2025-03-01 10:00"):
    """A single web order whose lines, totals and hash follow version and quantity."""
    key = {"source_system": "shopify", "source_instance": "main-store", "source_order_id": "A-1"}
    line_rows = [
        {
            **key,
            "line_no": n,
            "sku": "SKU-X",
            "qty": qty,
            "unit_price_minor": 1000,
            "discount_minor": 0,
            "line_total_minor": qty * 1000,
            "unit_cost_minor": 400,
        }
        for n in range(1, lines + 1)
    ]
    subtotal = sum(r["line_total_minor"] for r in line_rows)
    order = {
        **key,
        "source_version": version,
        "source_updated_at": pd.Timestamp(ordered_at, tz="UTC"),
        "touchpoint_raw": "source_name=web",
        "touchpoint_code": "web",
        "mapping_version": 1,
        "location_code": None,
        "region_code": None,
        "customer_key": "c-1",
        "status": "completed",
        "currency": "USD",
        "subtotal_minor": subtotal,
        "discount_minor": 0,
        "tax_minor": 0,
        "shipping_minor": 0,
        "total_minor": subtotal,
        "fx_rate": 1.0,
        "ordered_at": pd.Timestamp(ordered_at, tz="UTC"),
        "payload": {"v": version},
        "payload_sha256": hashlib.sha256(f"{version}-{qty}-{lines}".encode()).hexdigest(),
    }
    return OrderBatch(pd.DataFrame([order]), pd.DataFrame(line_rows))


def _revenue_and_lines(url: str) -> tuple:
    with get_engine(url).connect() as conn:
        revenue = conn.execute(select(func.sum(DailyRollup.__table__.c.gross_revenue))).scalar()
        lines = conn.execute(select(func.count()).select_from(OrderLine.__table__)).scalar()
    return float(revenue or 0), lines


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_newer_versions_win_older_and_unchanged_are_skipped(database, request):
    url = request.getfixturevalue(database)
    engine = get_engine(url)
    with engine.begin() as conn:
        first = load_orders(conn, _one_order(version=2, qty=1))
    assert (first.inserted, first.updated) == (1, 0)
    assert _revenue_and_lines(url) == (20.0, 2)
    with engine.begin() as conn:
        older = load_orders(conn, _one_order(version=1, qty=5))
    assert older.unchanged == 1 and _revenue_and_lines(url) == (20.0, 2)
    with engine.begin() as conn:
        newer = load_orders(conn, _one_order(version=3, qty=3, lines=1))
    assert newer.updated == 1
    # The update replaced the lines: the second line removed at the source is gone.
    assert _revenue_and_lines(url) == (30.0, 1)


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_duplicates_in_a_batch_collapse_to_the_newest(database, request):
    url = request.getfixturevalue(database)
    older = parse(CanonicalOrder, order_dict(source_version=1))
    two_lines = order_dict(source_version=2, refunds=[])
    one_line = {
        **two_lines,
        "lines": two_lines["lines"][1:],
        "subtotal": "12.50",
        "discount": "0",
        "tax": "0",
        "shipping": "0",
        "total": "12.50",
    }
    newest = parse(CanonicalOrder, one_line)
    batch = to_order_batch([newest, older], DEFAULT_RULES)
    assert len(batch.orders) == 1
    with get_engine(url).begin() as conn:
        result = load_orders(conn, batch)
    assert result.inserted == 1
    assert _revenue_and_lines(url) == (12.5, 1)


def test_a_frame_batch_refuses_two_copies_of_one_order():
    copy = _one_order(version=1, qty=1)
    with pytest.raises(ValueError, match="one row per order"):
        OrderBatch(pd.concat([copy.orders, copy.orders]), copy.lines)


@pytest.mark.postgres
def test_an_update_that_moves_an_order_to_another_day_moves_its_revenue(pg_url):
    engine = get_engine(pg_url)
    with engine.begin() as conn:
        load_orders(conn, _one_order(version=1, qty=1, ordered_at="2025-03-01 10:00"))
        load_orders(conn, _one_order(version=2, qty=1, ordered_at="2025-03-05 10:00"))
    with engine.connect() as conn:
        by_day = dict(
            conn.execute(
                select(DailyRollup.__table__.c.day, DailyRollup.__table__.c.gross_revenue)
            ).all()
        )
    assert by_day == {dt.date(2025, 3, 5): pytest.approx(20)}


@pytest.mark.postgres
def test_new_customer_flag_follows_the_earliest_order_even_when_loaded_late(pg_url):
    chunks = list(generate(2_000, 3, dt.date(2025, 6, 30), years=1))
    engine = get_engine(pg_url)
    from ingestion.demo import reference_data
    from ingestion.reference import upsert_reference

    reference = reference_data()
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
    for chunk in reversed(chunks):
        load_chunk(engine, chunk, "demo", "reversed")
    with engine.connect() as conn:
        flagged = conn.execute(
            select(func.count()).where(SalesOrder.__table__.c.is_new_customer.is_(True))
        ).scalar()
        customers = conn.execute(
            select(func.count(func.distinct(SalesOrder.__table__.c.customer_key))).where(
                SalesOrder.__table__.c.status != "cancelled"
            )
        ).scalar()
        rolled = conn.execute(select(func.sum(DailyRollup.__table__.c.new_customers))).scalar()
    assert flagged == customers == rolled


@pytest.mark.postgres
def test_a_payload_with_infinity_is_stored_not_fatal(pg_url):
    """JSONB has no Infinity or NaN (hypothesis found one in a corrupted Shopify payload):
    decoding keeps such numbers as their text."""
    batch = _one_order(version=1, qty=1)
    batch.orders.at[0, "payload"] = decode_payload(b'{"id": Infinity, "n": [NaN, 1.5]}')
    with get_engine(pg_url).begin() as conn:
        assert load_orders(conn, batch).inserted == 1
    with get_engine(pg_url).connect() as conn:
        stored = conn.execute(select(SalesOrder.__table__.c.raw_payload)).scalar()
    assert stored == {"id": "inf", "n": ["nan", 1.5]}


def _rollup_rows(url: str) -> tuple[list, ...]:
    with get_engine(url).connect() as conn:
        return tuple(
            conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in (
                DailyRollup.__table__,
                DailyProductRollup.__table__,
                DailyBasketRollup.__table__,
                DailyChannelRollup.__table__,
                DailyChannelBasketRollup.__table__,
            )
        )


def _shuffled_batches(chunks, parts: int, seed: int) -> list[OrderBatch]:
    """The chunks' orders in random order, split into ``parts`` batches with their lines and
    refunds: customers' first orders arrive after their later ones."""
    orders = pd.concat([c.orders.orders for c in chunks], ignore_index=True)
    lines = pd.concat([c.orders.lines for c in chunks], ignore_index=True)
    refunds = pd.concat([c.orders.refunds for c in chunks], ignore_index=True)
    orders = orders.sample(frac=1, random_state=seed).reset_index(drop=True)
    batches = []
    for part in np.array_split(np.arange(len(orders)), parts):
        chosen = orders.iloc[part]
        keys = pd.MultiIndex.from_frame(chosen[ORDER_KEY])

        def of(frame, keys=keys):
            return frame[pd.MultiIndex.from_frame(frame[ORDER_KEY]).isin(keys)]

        batches.append(OrderBatch(chosen, of(lines), of(refunds)))
    return batches


def _assert_first_orders_flagged(url: str) -> None:
    """Exactly each customer's earliest live order (then lowest id) is flagged new."""
    order = SalesOrder.__table__
    with get_engine(url).connect() as conn:
        stored = pd.DataFrame(
            conn.execute(
                select(
                    order.c.id,
                    order.c.customer_key,
                    order.c.ordered_at,
                    order.c.status,
                    order.c.is_new_customer,
                )
            ).all()
        )
    live = stored[(stored.status != "cancelled") & stored.customer_key.notna()]
    firsts = set(live.sort_values(["ordered_at", "id"]).groupby("customer_key").id.first())
    assert set(stored.id[stored.is_new_customer]) == firsts
    assert len(firsts) > 100


def _revised(batch: OrderBatch, seed: int) -> OrderBatch:
    """A newer version of a third of the batch's orders: moved days, cancellations, changed
    quantities, a line dropped."""
    rng = np.random.default_rng(seed)
    orders = batch.orders.sample(frac=1 / 3, random_state=seed).copy()
    orders["source_version"] = orders["source_version"] + 1
    orders["payload_sha256"] = [
        hashlib.sha256(f"revised-{h}".encode()).hexdigest() for h in orders["payload_sha256"]
    ]
    shift = pd.to_timedelta(rng.integers(-40, 40, len(orders)), unit="D")
    orders["ordered_at"] = orders["ordered_at"] + shift
    cancelled = rng.random(len(orders)) < 0.2
    orders.loc[cancelled, "status"] = "cancelled"
    keys = pd.MultiIndex.from_frame(orders[ORDER_KEY])
    lines = batch.lines[pd.MultiIndex.from_frame(batch.lines[ORDER_KEY]).isin(keys)].copy()
    lines["qty"] = lines["qty"] + rng.integers(0, 3, len(lines))
    lines = lines[lines["line_no"] != 2]
    refunds = batch.refunds[pd.MultiIndex.from_frame(batch.refunds[ORDER_KEY]).isin(keys)]
    return OrderBatch(orders, lines, refunds)


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_rollups_after_shuffled_batches_and_revisions_equal_a_full_rebuild(database, request):
    """New orders are added to the rollups, stale days recomputed: whatever the order of
    arrival (first orders after later ones flip new-customer flags on stored orders) and
    whatever revisions move or cancel, the rollups equal a rebuild from the order tables."""
    url = request.getfixturevalue(database)
    chunks = list(generate(1_500, 41, dt.date(2026, 6, 30), years=1))
    engine = get_engine(url)
    reference = reference_data()
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
    batches = _shuffled_batches(chunks, parts=4, seed=3)
    for n, batch in enumerate([*batches, *(_revised(b, n) for n, b in enumerate(batches[:2]))]):
        with engine.begin() as conn:
            result = load_orders(conn, batch)
        assert result.stale_days <= result.days
        if n == 0:
            assert not result.stale_days
        if n >= 4:
            assert result.updated > 0 and result.stale_days
    incremental = _rollup_rows(url)
    _assert_first_orders_flagged(url)
    with engine.begin() as conn:
        rebuild_all(conn)
    rebuilt = _rollup_rows(url)
    assert len(rebuilt[0]) > 1000 and len(rebuilt[1]) > 1000
    assert incremental == rebuilt
    _assert_basket_is_products_per_category(url, rebuilt[1], rebuilt[2])
    _assert_summed_over_places(DailyRollup, rebuilt[0], DailyChannelRollup, rebuilt[3])
    _assert_summed_over_places(DailyBasketRollup, rebuilt[2], DailyChannelBasketRollup, rebuilt[4])


def _assert_summed_over_places(table, rows, channel_table, channel_rows) -> None:
    """A channel rollup holds its source rollup's rows summed over regions and locations."""
    daily = pd.DataFrame(rows, columns=[c.name for c in table.__table__.columns])
    channel = pd.DataFrame(channel_rows, columns=[c.name for c in channel_table.__table__.columns])
    keys = [c.name for c in channel_table.__table__.primary_key.columns]
    expected = daily.drop(columns=["region_id", "location_id"]).groupby(keys, as_index=False).sum()
    assert len(channel) < len(daily)
    pd.testing.assert_frame_equal(channel, expected[channel.columns], check_dtype=False)


def _assert_basket_is_products_per_category(url: str, product_rows, basket_rows) -> None:
    place = ["day", "touchpoint_id", "region_id", "location_id"]
    measures = ["lines", "units", "revenue", "cost"]
    products = pd.DataFrame(product_rows, columns=[*place, "product_id", *measures])
    with get_engine(url).connect() as conn:
        category = dict(conn.execute(text("SELECT id, category FROM product")).all())
    products["product_category"] = products["product_id"].map(category)
    expected = products.groupby([*place, "product_category"])[measures].sum().reset_index()
    basket = pd.DataFrame(basket_rows, columns=[*place, "product_category", *measures])
    assert expected["product_category"].nunique() > 3
    pd.testing.assert_frame_equal(basket, expected, check_dtype=False)

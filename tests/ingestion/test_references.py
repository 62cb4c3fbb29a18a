"""The loader's per-page check of the reference ids refuses what the foreign keys refused.

A page's ids come from the reference tables read in its transaction; a row deleted after that
read (simulated here by lookups naming ids that do not exist) is the only way an order can name
a missing one. Such orders are left out with the reason the constraint gave, for the caller to
quarantine, or fail the load; the rest load. On PostgreSQL, whose order tables no longer hold
those foreign keys (migration 0061), deleting a row still referenced is refused as before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import delete
from sqlalchemy import exc
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from db.engine import get_engine
from db.ingestion_tables import Reject
from db.schema import IngestRun
from db.schema import Location
from db.schema import OrderLine
from db.schema import Product
from db.schema import Region
from db.schema import SalesOrder
from db.schema import Touchpoint
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import parse
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.errors import IngestionError
from ingestion.loader import load_orders
from ingestion.reference import Lookups
from ingestion.reference import upsert_reference
from ingestion.runs import start_run
from ingestion.sync import Origin
from ingestion.sync.rejects import write_rejects
from ingestion.sync.writing import load_canonical
from tests.ingestion.test_canonical import order_dict

GONE_LOCATION = 990_001
GONE_PRODUCT = 990_002
PARTS = ("orders", "lines", "refunds")


def _demo_batch(url: str):
    with get_engine(url).begin() as conn:
        reference = reference_data()
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
    chunks = [chunk.orders for chunk in generate(400, 7, dt.date(2026, 6, 30), years=1)]
    batch = OrderBatch(
        *(pd.concat([getattr(c, part) for c in chunks], ignore_index=True) for part in PARTS)
    )
    batch.orders["payload"] = [{"id": order_id} for order_id in batch.orders["source_order_id"]]
    return batch


def _stale_lookups(conn, batch) -> tuple[Lookups, str, str]:
    """Lookups read before a store and a product were deleted: their codes map to ids that no
    longer exist. Returns them with the store's code and the product's SKU."""
    lookups = Lookups.load(conn)
    store = batch.orders["location_code"].dropna().mode()[0]
    sku = batch.lines["sku"].mode()[0]
    stale = dataclasses.replace(
        lookups,
        location={**lookups.location, store: GONE_LOCATION},
        product={**lookups.product, sku: GONE_PRODUCT},
    )
    return stale, store, sku


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_orders_naming_a_deleted_reference_row_are_refused_with_the_reason(database, request):
    url = request.getfixturevalue(database)
    batch = _demo_batch(url)
    engine = get_engine(url)
    with engine.begin() as conn:
        lookups, store, sku = _stale_lookups(conn, batch)
        result = load_orders(conn, batch, lookups=lookups, quarantine=True)

    orders = batch.orders
    with_sku = set(batch.lines.loc[batch.lines["sku"] == sku, "source_order_id"])
    at_store = set(orders.loc[orders["location_code"] == store, "source_order_id"])
    assert with_sku and at_store
    expected = {}
    for order_id in orders["source_order_id"]:
        reasons = []
        if order_id in at_store:
            reasons.append(f"location_id {GONE_LOCATION} is not present in table location")
        if order_id in with_sku:
            reasons.append(f"product_id {GONE_PRODUCT} is not present in table product")
        if reasons:
            expected[order_id] = reasons
    refused = dict(zip(result.refused["source_order_id"], result.refused["reason"], strict=True))
    assert set(refused) == set(expected)
    for order_id, reasons in expected.items():
        assert all(reason in refused[order_id] for reason in reasons), refused[order_id]
        assert "(foreign key)" in refused[order_id]
    for order_id, payload in zip(
        result.refused["source_order_id"], result.refused["payload"], strict=True
    ):
        assert json.loads(payload) == {"id": order_id}

    loaded = len(orders) - len(expected)
    assert (result.read, result.inserted, result.unchanged) == (loaded, loaded, 0)
    with engine.connect() as conn:
        stored = set(conn.execute(select(SalesOrder.__table__.c.source_order_id)).scalars())
        lines = conn.execute(select(func.count()).select_from(OrderLine.__table__)).scalar()
    assert stored == set(orders["source_order_id"]) - set(expected)
    kept_lines = batch.lines[~batch.lines["source_order_id"].isin(set(expected))]
    assert lines == len(kept_lines)


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_without_quarantine_a_deleted_reference_row_fails_the_load(database, request):
    url = request.getfixturevalue(database)
    batch = _demo_batch(url)
    engine = get_engine(url)
    with pytest.raises(IngestionError, match="is not present in table"), engine.begin() as conn:
        lookups, _, _ = _stale_lookups(conn, batch)
        load_orders(conn, batch, lookups=lookups)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SalesOrder.__table__)).scalar() == 0


@pytest.mark.postgres
def test_a_missing_ingest_run_reaches_the_quarantine_with_its_reason(pg_url):
    """Through the path syncs, pushes, file drops and replays take (``load_canonical``)."""
    engine = get_engine(pg_url)
    origin = Origin("shopify", "test-shop", "orders")
    with engine.begin() as conn:
        result, rejects = load_canonical(
            conn, [parse(CanonicalOrder, order_dict())], run_id=990_003
        )
        write_rejects(conn, origin, rejects, None)
    assert (result.read, result.inserted) == (0, 0)
    with engine.connect() as conn:
        stored = conn.execute(
            select(Reject.__table__.c.error, Reject.__table__.c.status, Reject.__table__.c.payload)
        ).all()
        orders = conn.execute(select(func.count()).select_from(SalesOrder.__table__)).scalar()
    assert orders == 0
    assert [(error, status) for error, status, _ in stored] == [
        ("ingest_run_id 990003 is not present in table ingest_run (foreign key)", "quarantined")
    ]
    assert stored[0][2].startswith(b"{")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table, column",
    [
        (Touchpoint, "touchpoint_id"),
        (Region, "region_id"),
        (Location, "location_id"),
        (IngestRun, "ingest_run_id"),
        (Product, None),
    ],
)
def test_a_reference_row_still_named_by_an_order_cannot_be_deleted_or_rekeyed(
    pg_url, table, column
):
    batch = _demo_batch(pg_url)
    engine = get_engine(pg_url)
    order = SalesOrder.__table__
    target = table.__table__
    with engine.begin() as conn:
        load_orders(conn, batch, start_run(conn, "test", "t", "orders"))
        if table is Region:
            # Every demo region has stores, whose own reference would refuse the delete: an
            # order names a region without any.
            used = conn.execute(
                target.insert().values(code="ZZ", name="No stores").returning(target.c.id)
            ).scalar()
            first = select(order.c.id).limit(1).scalar_subquery()
            conn.execute(update(order).where(order.c.id == first).values(region_id=used))
        elif column is None:
            used = conn.execute(select(OrderLine.__table__.c.product_id).limit(1)).scalar()
        else:
            used = conn.execute(select(order.c[column]).limit(1)).scalar()
    for statement in (
        delete(target).where(target.c.id == used),
        update(target).where(target.c.id == used).values(id=used + 900_000),
    ):
        with pytest.raises(exc.IntegrityError, match="still referenced"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert conn.execute(select(target.c.id).where(target.c.id == used)).scalar() == used


@pytest.mark.postgres
def test_reference_rows_no_order_names_can_still_be_deleted(pg_url):
    _demo_batch(pg_url)
    engine = get_engine(pg_url)
    location = Location.__table__
    with engine.begin() as conn:
        first = conn.execute(select(location.c.id).order_by(location.c.id).limit(1)).scalar()
        conn.execute(update(location).where(location.c.id == first).values(name="renamed"))
        conn.execute(delete(location).where(location.c.id == first))
        assert conn.execute(select(location.c.id).where(location.c.id == first)).first() is None


@pytest.mark.postgres
def test_a_reference_row_a_loading_page_names_cannot_be_deleted_before_it_commits(pg_url):
    """The page locks the rows it names as a foreign key's check did: a concurrent delete
    waits for the page instead of leaving its orders naming a row that is gone."""
    batch = _demo_batch(pg_url)
    engine = get_engine(pg_url)
    location = Location.__table__
    with engine.begin() as conn:  # the months' partitions exist before the page
        load_orders(conn, batch, start_run(conn, "test", "t", "orders"))
        region = conn.execute(select(location.c.region_id).limit(1)).scalar()
        popup = conn.execute(
            location.insert()
            .values(code="POPUP", name="Pop-up store", region_id=region)
            .returning(location.c.id)
        ).scalar()
    later = OrderBatch(
        *(
            frame.assign(source_order_id=frame["source_order_id"] + "-later")
            for frame in (batch.orders, batch.lines, batch.refunds)
        )
    )
    later.orders["location_code"] = "POPUP"  # a store only this page's orders name
    with engine.connect() as loader, engine.connect() as admin:
        page = loader.begin()
        load_orders(loader, later, start_run(loader, "test", "t", "orders"))
        admin.execute(text("SET lock_timeout = '300ms'"))
        with pytest.raises(exc.OperationalError, match="lock timeout"):
            admin.execute(delete(location).where(location.c.id == popup))
        admin.rollback()
        page.commit()
    with pytest.raises(exc.IntegrityError, match="still referenced"), engine.begin() as conn:
        conn.execute(delete(location).where(location.c.id == popup))

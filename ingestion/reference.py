"""Reference data (regions, locations, products) and the code → id lookups the loader needs."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import select

from db.schema import ExchangeRate
from db.schema import Location
from db.schema import Product
from db.schema import Region
from db.schema import RegionMapping
from db.schema import Touchpoint
from db.upsert import bulk_upsert
from db.upsert import upsert
from ingestion.money import minor_to_decimal

UNASSIGNED = "unassigned"


def upsert_reference(
    conn: Connection, regions: pd.DataFrame, locations: pd.DataFrame, products: pd.DataFrame
) -> None:
    """Insert or update regions, locations and products by their codes."""
    upsert(
        conn,
        Region.__table__,
        regions[["code", "name", "currency"]].to_dict("records"),
        key=["code"],
    )
    region_ids = dict(conn.execute(select(Region.code, Region.id)).all())
    upsert(
        conn,
        Location.__table__,
        [
            {"code": r.code, "name": r.name, "kind": r.kind, "region_id": region_ids[r.region_code]}
            for r in locations.itertuples()
        ],
        key=["code"],
    )
    upsert(
        conn,
        Product.__table__,
        [
            {
                "sku": p.sku,
                "name": p.name,
                "category": p.category,
                "list_price": minor_to_decimal(p.list_price_minor),
                "unit_cost": minor_to_decimal(p.unit_cost_minor),
            }
            for p in products.itertuples()
        ],
        key=["sku"],
    )


def upsert_rates(conn: Connection, rates: pd.DataFrame, source: str = "") -> int:
    """Insert or replace exchange rates: ``day``, ``currency``, ``rate`` (base currency per
    unit of the currency) per row. Returns the number of rows written."""
    rows = [
        (day, currency, f"{rate:.8f}", source)
        for day, currency, rate in zip(
            rates["day"], rates["currency"], rates["rate"].astype("float64"), strict=True
        )
    ]
    bulk_upsert(
        conn,
        ExchangeRate.__table__,
        ["day", "currency", "rate", "source"],
        rows,
        ["day", "currency"],
    )
    return len(rows)


def upsert_region_mappings(conn: Connection, mappings: pd.DataFrame) -> int:
    """Insert or replace region mappings: ``source_system`` ("*" for every source), ``kind``,
    ``value`` and ``region`` (a region code, which must exist). Returns the rows written."""
    region_ids = dict(conn.execute(select(Region.code, Region.id)).all())
    unknown = sorted(set(mappings["region"]) - set(region_ids))
    if unknown:
        raise ValueError(f"unknown region codes: {', '.join(map(str, unknown))}")
    rows = [
        {"source_system": system, "kind": kind, "value": value, "region_id": region_ids[region]}
        for system, kind, value, region in zip(
            mappings["source_system"],
            mappings["kind"],
            mappings["value"],
            mappings["region"],
            strict=True,
        )
    ]
    upsert(conn, RegionMapping.__table__, rows, ["source_system", "kind", "value"])
    return len(rows)


@dataclass(frozen=True)
class Lookups:
    touchpoint: dict[str, int]
    region: dict[str, int]
    location: dict[str, int]
    location_region: dict[str, int]
    product: dict[str, int]

    @classmethod
    def load(cls, conn: Connection) -> Lookups:
        locations = conn.execute(select(Location.code, Location.id, Location.region_id)).all()
        return cls(
            touchpoint=dict(conn.execute(select(Touchpoint.code, Touchpoint.id)).all()),
            region=dict(conn.execute(select(Region.code, Region.id)).all()),
            location={code: id_ for code, id_, _ in locations},
            location_region={code: region for code, _, region in locations},
            product=dict(conn.execute(select(Product.sku, Product.id)).all()),
        )

    def touchpoint_ids(self, codes: pd.Series) -> pd.Series:
        """Touchpoint ids; an unknown code goes to Unassigned, never dropped."""
        return codes.map(self.touchpoint).fillna(self.touchpoint[UNASSIGNED]).astype("int64")

    def region_ids(self, region_codes: pd.Series, location_codes: pd.Series) -> pd.Series:
        """Region of the order: its store's region, else the region code given."""
        from_location = location_codes.map(self.location_region)
        return from_location.fillna(region_codes.map(self.region)).astype("Int64")

"""Loading the conversion denominators, spend, stock and journeys (upsert on their unique keys)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection

from db.schema import NO_PLACE
from db.schema import Inventory
from db.schema import MarketingSpend
from db.schema import Touch
from db.schema import Traffic
from db.upsert import bulk_upsert
from ingestion.enrich import required_rates
from ingestion.frames import frame_rows
from ingestion.money import convert_minor
from ingestion.money import minor_to_amount
from ingestion.reference import Lookups


def _upsert_frame(
    conn: Connection, table, frame: pd.DataFrame, key: list[str], update: list[str] | None = None
) -> None:
    columns = list(frame.columns)
    bulk_upsert(conn, table, columns, frame_rows(frame, columns), key=key, update=update)


def load_traffic(conn: Connection, frame: pd.DataFrame, lookups: Lookups) -> set[dt.date]:
    """Upsert traffic rows; an unknown store code is refused (callers quarantine such rows first),
    since mapping it to "no store" would merge two stores' rows into one."""
    if frame.empty:
        return set()
    unknown = frame["location_code"].notna() & ~frame["location_code"].isin(lookups.location)
    if unknown.any():
        codes = sorted(frame.loc[unknown, "location_code"].unique())
        raise ValueError(f"traffic names unknown store codes: {codes}")
    rows = pd.DataFrame(
        {
            "day": frame["day"],
            "touchpoint_id": lookups.touchpoint_ids(frame["touchpoint_code"]),
            "region_id": lookups.region_ids(frame["region_code"], frame["location_code"])
            .fillna(NO_PLACE)
            .astype("int64"),
            "location_id": frame["location_code"]
            .map(lookups.location)
            .fillna(NO_PLACE)
            .astype("int64"),
            "source_system": frame["source_system"],
            **{
                c: frame[c].astype("int64")
                for c in ("sessions", "footfall", "opportunities", "opportunities_won")
            },
        }
    )
    _upsert_frame(
        conn,
        Traffic.__table__,
        rows,
        key=["day", "touchpoint_id", "region_id", "location_id", "source_system"],
    )
    return set(rows["day"])


def load_spend(conn: Connection, frame: pd.DataFrame, lookups: Lookups) -> set[dt.date]:
    if frame.empty:
        return set()
    rows = pd.DataFrame(
        {
            "day": frame["day"],
            "touchpoint_id": lookups.touchpoint_ids(frame["touchpoint_code"]),
            "campaign": frame["campaign"].fillna(""),
            "source_system": frame["source_system"],
            "currency": frame["currency"],
            "spend": minor_to_amount(frame["spend_minor"]),
            "spend_base": minor_to_amount(
                convert_minor(frame["spend_minor"], required_rates(frame, "spend rows"))
            ),
            "impressions": frame["impressions"].astype("int64"),
            "clicks": frame["clicks"].astype("int64"),
        }
    )
    _upsert_frame(
        conn,
        MarketingSpend.__table__,
        rows,
        key=["day", "touchpoint_id", "campaign", "source_system"],
    )
    return set(rows["day"])


def load_inventory(conn: Connection, frame: pd.DataFrame, lookups: Lookups) -> pd.DataFrame:
    """Upsert stock snapshots; returns the rows whose SKU or location is unknown, for quarantine."""
    if frame.empty:
        return frame
    rows = pd.DataFrame(
        {
            "day": frame["day"],
            "product_id": frame["sku"].map(lookups.product),
            "location_id": frame["location_code"].map(lookups.location),
            "on_hand": frame["on_hand"].astype("int64"),
            "on_order": frame["on_order"].astype("int64"),
        }
    )
    resolved = rows[["product_id", "location_id"]].notna().all(axis=1)
    known = rows[resolved].astype({"product_id": "int64", "location_id": "int64"})
    _upsert_frame(conn, Inventory.__table__, known, key=["day", "product_id", "location_id"])
    return frame[~resolved]


def load_touches(conn: Connection, frame: pd.DataFrame, lookups: Lookups) -> int:
    if frame.empty:
        return 0
    rows = pd.DataFrame(
        {
            "customer_key": frame["customer_key"],
            "touched_at": frame["touched_at"],
            "touchpoint_id": lookups.touchpoint_ids(frame["touchpoint_code"]),
            "device": frame["device"].fillna(""),
            "campaign": frame["campaign"].fillna(""),
            "source_order_id": frame["source_order_id"],
            "source_system": frame["source_system"],
        }
    )
    _upsert_frame(
        conn, Touch.__table__, rows, key=["customer_key", "touched_at", "touchpoint_id"], update=[]
    )
    return len(rows)

"""The staging side of a load: temporary tables and the frames COPYed into them.

``prepare`` derives what the merge writes (amounts in base currency, reference ids,
local order days) from a batch; ``staging_tables`` are the temporary tables they go to.
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text

from db.temporary import temporary_definition
from ingestion import json_text
from ingestion.batch import ORDER_KEY
from ingestion.batch import OrderBatch
from ingestion.enrich import local_days
from ingestion.enrich import required_rates
from ingestion.money import convert_minor
from ingestion.money import minor_to_amount
from ingestion.money import scaled_decimals
from ingestion.reference import Lookups

# Staged lines and refunds point at their order's stage_id: joins on one indexed integer,
# not on the three-column natural key, stay fast whatever the planner guesses about
# freshly filled temporary tables (they have no statistics).
ORDER_STAGE_COLUMNS = [
    "stage_id",
    "source_system",
    "source_instance",
    "source_order_id",
    "source_version",
    "source_updated_at",
    "touchpoint_raw",
    "touchpoint_id",
    "mapping_version",
    "location_id",
    "region_id",
    "customer_key",
    "status",
    "currency",
    "subtotal",
    "discount",
    "tax",
    "shipping",
    "total",
    "refund_total",
    "fx_rate",
    "total_base",
    "revenue_base",
    "cost_of_goods_base",
    "units",
    "ordered_at",
    "order_day",
    "payload_sha256",
    "ingest_run_id",
]
# Raw payloads are staged apart: the merge updates staged order rows several times, and
# narrow rows make those updates cheap.
PAYLOAD_STAGE_COLUMNS = ["stage_id", "raw_payload"]
LINE_STAGE_COLUMNS = [
    "stage_id",
    "line_no",
    "sku",
    "product_id",
    "qty",
    "unit_price",
    "discount",
    "line_total",
    "unit_cost",
]
REFUND_STAGE_COLUMNS = [
    "stage_id",
    "source_refund_id",
    "refunded_at",
    "refund_day",
    "amount",
    "amount_base",
]


@functools.cache
def staging_tables() -> tuple[Table, Table, Table, Table]:
    """The staged orders, payloads, lines and refunds (``db.temporary``: one Table each for the
    process, made in a session the first time a load needs them)."""
    money = Numeric(18, 2)
    key = [Column(c, String(80)) for c in ORDER_KEY]

    temporary = temporary_definition

    def of_order() -> Column:
        """The staged order a line or refund belongs to."""
        return Column("stage_id", Integer, index=True)

    order = temporary(
        "stg_order",
        Column("stage_id", Integer, primary_key=True),
        *key,
        Column("source_version", BigInteger),
        Column("source_updated_at", DateTime(timezone=True)),
        Column("touchpoint_raw", String(200)),
        Column("touchpoint_id", Integer),
        Column("mapping_version", Integer),
        Column("location_id", Integer),
        Column("region_id", Integer),
        Column("customer_key", String(64)),
        Column("status", String(20)),
        Column("currency", String(3)),
        *(
            Column(c, money)
            for c in ("subtotal", "discount", "tax", "shipping", "total", "refund_total")
        ),
        Column("fx_rate", Numeric(18, 8)),
        *(Column(c, money) for c in ("total_base", "revenue_base", "cost_of_goods_base")),
        Column("units", Integer),
        Column("ordered_at", DateTime(timezone=True)),
        Column("order_day", Date),
        Column("payload_sha256", String(64)),
        Column("ingest_run_id", BigInteger),
        Column("existing_day", Date),
        Column("was_new", Boolean),
        Column("action", String(10), server_default="insert"),
        Column("order_id", BigInteger),
    )
    payload = temporary(
        "stg_payload", Column("stage_id", Integer, primary_key=True), Column("raw_payload", Text)
    )
    line = temporary(
        "stg_order_line",
        of_order(),
        Column("line_no", Integer),
        Column("sku", String(64)),
        Column("product_id", Integer),
        Column("qty", Integer),
        *(Column(c, money) for c in ("unit_price", "discount", "line_total", "unit_cost")),
    )
    refund = temporary(
        "stg_refund",
        of_order(),
        Column("source_refund_id", String(80)),
        Column("refunded_at", DateTime(timezone=True)),
        Column("refund_day", Date),
        Column("amount", money),
        Column("amount_base", money),
    )
    return order, payload, line, refund


def payload_json(payload: dict | str | None) -> str | None:
    """The stored form of a raw payload: compact JSON that PostgreSQL's JSONB accepts (text
    is that form already)."""
    if payload is None or isinstance(payload, str):
        return payload
    return json_text.compact(payload)


def _sums(stage_ids: np.ndarray, values: pd.Series, count: int) -> np.ndarray:
    """Per staged order (stage ids 0 to ``count`` - 1), the sum of ``values`` over its rows."""
    totals = np.zeros(count, dtype=np.int64)
    np.add.at(totals, stage_ids, values.to_numpy(dtype=np.int64))
    return totals


def prepare(batch: OrderBatch, lookups: Lookups, tz: ZoneInfo):
    """The staging frames: derived amounts in base currency, ids resolved, local days fixed
    (the ingest run and the order ids are the loader's to set, in the batch's transaction)."""
    orders = batch.orders.reset_index(drop=True)
    orders["stage_id"] = orders.index
    lines = batch.lines.merge(orders[ORDER_KEY + ["stage_id"]], on=ORDER_KEY)
    orders["fx_rate"] = required_rates(orders, "orders")
    refunds = batch.refunds.merge(orders[ORDER_KEY + ["stage_id", "fx_rate"]], on=ORDER_KEY)

    count = len(orders)
    line_stage = lines["stage_id"].to_numpy(dtype=np.int64)
    quantities = lines["qty"].astype("int64")
    cost_minor = _sums(line_stage, quantities * lines["unit_cost_minor"].astype("int64"), count)
    has_lines = np.bincount(line_stage, minlength=count) > 0
    own_units = pd.to_numeric(orders["units"], errors="coerce").fillna(0).astype("int64")
    units = np.where(has_lines, _sums(line_stage, quantities, count), own_units.to_numpy())
    refunded = _sums(refunds["stage_id"].to_numpy(dtype=np.int64), refunds["amount_minor"], count)

    fx = orders["fx_rate"].astype("float64")
    staged = pd.DataFrame(
        {
            "stage_id": orders["stage_id"],
            **{c: orders[c] for c in ORDER_KEY},
            "source_version": orders["source_version"].astype("int64"),
            "source_updated_at": orders["source_updated_at"],
            "touchpoint_raw": orders["touchpoint_raw"],
            "touchpoint_id": lookups.touchpoint_ids(orders["touchpoint_code"]),
            "mapping_version": orders["mapping_version"].astype("int64"),
            "location_id": orders["location_code"].map(lookups.location).astype("Int64"),
            "region_id": lookups.region_ids(orders["region_code"], orders["location_code"]),
            "customer_key": orders["customer_key"],
            "status": orders["status"],
            "currency": orders["currency"],
            "subtotal": minor_to_amount(orders["subtotal_minor"]),
            "discount": minor_to_amount(orders["discount_minor"]),
            "tax": minor_to_amount(orders["tax_minor"]),
            "shipping": minor_to_amount(orders["shipping_minor"]),
            "total": minor_to_amount(orders["total_minor"]),
            "refund_total": minor_to_amount(refunded, orders.index),
            "fx_rate": scaled_decimals(np.rint(fx.to_numpy() * 1e8), 8, orders.index),
            "total_base": minor_to_amount(convert_minor(orders["total_minor"], fx)),
            "revenue_base": minor_to_amount(
                convert_minor(
                    orders["total_minor"].astype("int64") - orders["tax_minor"].astype("int64"), fx
                )
            ),
            "cost_of_goods_base": minor_to_amount(
                convert_minor(pd.Series(cost_minor, index=orders.index), fx)
            ),
            "units": units.astype("int64"),
            "ordered_at": orders["ordered_at"],
            "order_day": local_days(orders["ordered_at"], tz).dt.date,
            "raw_payload": orders["payload"].map(payload_json),
            "payload_sha256": orders["payload_sha256"],
        }
    )
    staged_lines = pd.DataFrame(
        {
            "stage_id": lines["stage_id"],
            "line_no": lines["line_no"].astype("int64"),
            "sku": lines["sku"],
            "product_id": lines["sku"].map(lookups.product).astype("Int64"),
            "qty": lines["qty"].astype("int64"),
            "unit_price": minor_to_amount(lines["unit_price_minor"]),
            "discount": minor_to_amount(lines["discount_minor"]),
            "line_total": minor_to_amount(lines["line_total_minor"]),
            "unit_cost": minor_to_amount(lines["unit_cost_minor"]),
        }
    )
    staged_refunds = pd.DataFrame(
        {
            "stage_id": refunds["stage_id"],
            "source_refund_id": refunds["source_refund_id"].astype(str),
            "refunded_at": refunds["refunded_at"],
            "refund_day": local_days(refunds["refunded_at"], tz).dt.date,
            "amount": minor_to_amount(refunds["amount_minor"]),
            "amount_base": minor_to_amount(
                convert_minor(refunds["amount_minor"], refunds["fx_rate"].astype("float64"))
            ),
        }
    )
    return staged, staged_lines, staged_refunds

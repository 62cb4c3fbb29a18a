"""The columnar batch the loader takes: canonical orders, lines and refunds as DataFrames.

Money travels as integer minor units (``*_minor`` columns, amount × 100) so no
float ever touches an amount; the loader turns them into NUMERIC. Timestamps
are timezone-aware UTC. One batch may hold many source systems, and holds each
order once: lines cannot tell two copies of one order apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import pandas as pd

ORDER_KEY = ["source_system", "source_instance", "source_order_id"]

ORDER_COLUMNS = [
    *ORDER_KEY,
    "source_version",  # int64: strictly newer wins
    "source_updated_at",  # datetime64[ns, UTC]
    "touchpoint_raw",  # str: the raw touchpoint fields, "field=value;field=value"
    "touchpoint_code",  # str: touchpoint assigned by the channel rules ("unassigned" if none)
    "mapping_version",  # int: version of the rule set that assigned it
    "location_code",  # str or None: store / warehouse code
    "region_code",  # str or None
    "customer_key",  # str or None: pseudonymous
    "status",  # open | completed | cancelled | refunded
    "currency",  # ISO 4217
    "subtotal_minor",
    "discount_minor",
    "tax_minor",
    "shipping_minor",
    "total_minor",
    "fx_rate",  # float: base currency per unit of `currency`; NaN = not given by the source
    "ordered_at",  # datetime64[ns, UTC]
    "payload",  # dict, or its stored JSON text (``staging.payload_json``), or None
    "payload_sha256",  # str
]
# Columns an orders frame may leave out (they are added with this value), after the others:
# region_key (str or None) is the source's own place, "kind=value", for the region mapping;
# units (int or None) the items of an order without lines (with lines: the sum of their qty).
OPTIONAL_ORDER_COLUMNS = {"region_key": None, "units": None}
BATCH_ORDER_COLUMNS = [*ORDER_COLUMNS, *OPTIONAL_ORDER_COLUMNS]

LINE_COLUMNS = [
    *ORDER_KEY,
    "line_no",
    "sku",
    "qty",
    "unit_price_minor",
    "discount_minor",
    "line_total_minor",
    "unit_cost_minor",
]

REFUND_COLUMNS = [*ORDER_KEY, "source_refund_id", "refunded_at", "amount_minor"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class OrderBatch:
    orders: pd.DataFrame = field(default_factory=lambda: _empty(ORDER_COLUMNS))
    lines: pd.DataFrame = field(default_factory=lambda: _empty(LINE_COLUMNS))
    refunds: pd.DataFrame = field(default_factory=lambda: _empty(REFUND_COLUMNS))

    def __post_init__(self) -> None:
        for name, columns in (
            ("orders", BATCH_ORDER_COLUMNS),
            ("lines", LINE_COLUMNS),
            ("refunds", REFUND_COLUMNS),
        ):
            frame = getattr(self, name)
            if name == "orders":
                absent = {c: v for c, v in OPTIONAL_ORDER_COLUMNS.items() if c not in frame}
                frame = frame.assign(**absent) if absent else frame
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(f"{name} frame lacks columns {missing}")
            setattr(self, name, frame[columns])
        if self.orders.duplicated(ORDER_KEY).any():
            raise ValueError(
                "an OrderBatch holds one row per order: collapse duplicates first (ingestion."
                "canonical_frames.newest_per_order), since lines cannot tell copies apart"
            )

    def __len__(self) -> int:
        return len(self.orders)


# Side tables: one frame each, keyed as their unique constraints in db/schema.py.
TRAFFIC_COLUMNS = [
    "day",  # datetime.date in the reporting time zone
    "touchpoint_code",
    "region_code",  # None = not regional
    "location_code",  # None = not a store
    "source_system",
    "sessions",
    "footfall",
    "opportunities",
    "opportunities_won",
]
SPEND_COLUMNS = [
    "day",
    "touchpoint_code",
    "campaign",
    "source_system",
    "currency",
    "spend_minor",
    "fx_rate",
    "impressions",
    "clicks",
]
INVENTORY_COLUMNS = ["day", "sku", "location_code", "on_hand", "on_order"]
TOUCH_COLUMNS = [
    "customer_key",
    "touched_at",  # datetime64[ns, UTC]
    "touchpoint_code",
    "device",
    "campaign",
    "source_order_id",  # the order this journey ended in, or None
    "source_system",
]

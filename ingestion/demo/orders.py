"""One day of canonical orders, lines and refunds, vectorised with numpy.

Amounts are integer minor units of the region's currency:
``line_total = qty × unit_price − discount``, ``subtotal = Σ line_total`` and
``total = subtotal − discount + tax + shipping`` hold exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.demo import pricing
from ingestion.demo.customers import CustomerPool
from ingestion.demo.order_hash import payload_sha256
from ingestion.demo.plan import NO_STORE
from ingestion.demo.plan import DemandPlan
from ingestion.demo.reference import B2B
from ingestion.demo.reference import CALL
from ingestion.demo.reference import FX_TO_USD
from ingestion.demo.reference import RAW_TOUCHPOINTS
from ingestion.demo.reference import REGION_CODES
from ingestion.demo.reference import REGION_TAX
from ingestion.demo.reference import REGION_WAREHOUSE
from ingestion.demo.reference import REGIONS
from ingestion.demo.reference import REP
from ingestion.demo.reference import SHIPPED
from ingestion.demo.reference import SOURCE_OF_TOUCHPOINT
from ingestion.demo.reference import STORE
from ingestion.demo.reference import STORE_CODES
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import UNMAPPED_RAW
from ingestion.demo.reference import UNMAPPED_SHARE
from ingestion.demo.reference import WEB

NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR
MAPPING_VERSION = 1

# Local hour-of-day profile per touchpoint.
_EVENING = [
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.4,
    0.8,
    1.5,
    2.2,
    2.6,
    2.8,
    3,
    3.2,
    3,
    2.8,
    2.8,
    3,
    3.3,
    3.8,
    4.4,
    4.8,
    4.5,
    3.2,
    1.8,
]
_APP = [
    1.2,
    0.7,
    0.4,
    0.3,
    0.3,
    0.5,
    1.2,
    2.4,
    2.6,
    2,
    2,
    2.2,
    2.8,
    2.4,
    2,
    2,
    2.2,
    2.6,
    3.4,
    4.4,
    5.2,
    5.4,
    4.2,
    2.4,
]
_STORE = [0] * 9 + [1.2, 2, 2.8, 3.4, 3.5, 3, 2.9, 3.1, 3.4, 2.8, 1.6] + [0] * 4
_OFFICE = [0] * 8 + [1.5, 3, 3.6, 3.4, 2, 2.6, 3.2, 3, 2.2, 0.8] + [0] * 6
_PHONE = [0] * 8 + [1.5, 3, 3.6, 3.4, 2.6, 2.8, 3.2, 3, 2.6, 2, 1.4, 0.8] + [0] * 4
HOURS = np.array([_EVENING, _APP, _EVENING, _STORE, _OFFICE, _OFFICE, _PHONE], dtype=float)
HOURS_CHRISTMAS_EVE = HOURS.copy()
HOURS_CHRISTMAS_EVE[STORE, 17:] = 0  # stores close early on 24 December

# Lines per order (1..10) and consumer quantities (1..3).
LINE_COUNT = np.zeros((len(TOUCHPOINTS), 10))
LINE_COUNT[:, :4] = [0.52, 0.27, 0.14, 0.07]
LINE_COUNT[CALL, :4] = [0.6, 0.28, 0.12, 0.0]
LINE_COUNT[B2B] = [0, 0, 0.2, 0.18, 0.15, 0.13, 0.11, 0.09, 0.08, 0.06]
LINE_COUNT[REP] = [0, 1, 1, 1, 1, 1, 0, 0, 0, 0]
CONSUMER_QTY = np.array([0.8, 0.15, 0.05])
B2B_QTY_MEDIAN, REP_QTY_MEDIAN = 6.0, 3.0  # lognormal, sigma 0.8

COUPON_SHARE, COUPON_RATE = 0.05, 0.10
VOLUME_DISCOUNT_FROM, VOLUME_DISCOUNT_RATE = 500_000, 0.02
FREE_SHIPPING_FROM, SHIPPING_FEE, PHONE_SHIPPING_FEE = 5_000, 599, 799
CANCEL_SHARE, REFUND_SHARE, FULL_REFUND_SHARE, EDIT_SHARE = 0.03, 0.05, 0.45, 0.08
OPEN_SHARE_BY_AGE = {0: 0.7, 1: 0.3}  # orders of the last days still open


def _cumulative(weights: np.ndarray) -> np.ndarray:
    weights = np.asarray(weights, dtype=float)
    return np.cumsum(weights, axis=-1) / weights.sum(axis=-1, keepdims=True)


HOURS_CUM = _cumulative(HOURS)
HOURS_CHRISTMAS_EVE_CUM = _cumulative(HOURS_CHRISTMAS_EVE)
LINE_COUNT_CUM = _cumulative(LINE_COUNT)
CONSUMER_QTY_CUM = _cumulative(CONSUMER_QTY)
RAW_CUM = [_cumulative([share for _, share in options]) for options in RAW_TOUCHPOINTS]


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index drawn from the cumulative distribution row `cum` (or one row per draw)."""
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), cum.size - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def local_to_utc_ns(local_ns: np.ndarray, region: np.ndarray) -> np.ndarray:
    utc = np.empty_like(local_ns)
    for r, info in enumerate(REGIONS):
        mine = region == r
        if mine.any():
            stamps = pd.DatetimeIndex(local_ns[mine].astype("datetime64[ns]"))
            utc[mine] = (
                stamps.tz_localize(
                    info.timezone,
                    ambiguous=np.zeros(mine.sum(), dtype=bool),
                    nonexistent="shift_forward",
                )
                .tz_convert("UTC")
                .as_unit("ns")
                .asi8
            )
    return utc


def _order_ids(day: dt.date, tp: np.ndarray) -> np.ndarray:
    """Source order ids, sequential in time within each source system, unique per system."""
    ids = np.empty(len(tp), dtype=object)
    systems = np.array([SOURCE_OF_TOUCHPOINT[t][0] for t in range(len(TOUCHPOINTS))])[tp]
    ordinal = day.toordinal()
    for system in np.unique(systems):
        mine = systems == system
        seq = np.arange(1, mine.sum() + 1, dtype=np.int64)
        if system == "shopify":
            text = (ordinal * 1_000_000 + seq).astype(str)
        elif system == "square":
            text = np.char.add("sq-", (ordinal * 1_000_000 + seq).astype(str))
        elif system == "sap":
            text = (ordinal * 10_000 + seq).astype(str)
        else:
            text = np.char.add("006", np.char.zfill((ordinal * 1_000_000 + seq).astype(str), 15))
        ids[mine] = text.tolist()
    return ids


@dataclass
class DayOrders:
    orders: dict[str, np.ndarray]
    lines: dict[str, np.ndarray]
    refunds: dict[str, np.ndarray]
    cell: np.ndarray  # per order
    touchpoint: np.ndarray  # per order (index into TOUCHPOINTS)
    ordered_ns: np.ndarray  # per order, UTC
    line_sku: np.ndarray  # product index per line
    line_location: np.ndarray  # stock location index per line (stores, then warehouses)
    line_qty: np.ndarray
    line_active: np.ndarray  # False for lines of cancelled orders


def day_orders(
    plan: DemandPlan, i: int, rng: np.random.Generator, customers: CustomerPool, as_of_ns: int
) -> DayOrders:
    day = plan.days[i]
    cells = plan.cells
    counts = rng.poisson(plan.orders[i])
    cell = np.repeat(np.arange(len(cells)), counts)
    n = cell.size

    tp = cells.touchpoint[cell]
    hours_cum = HOURS_CHRISTMAS_EVE_CUM if (day.month, day.day) == (12, 24) else HOURS_CUM
    hour = _pick(hours_cum[tp], rng.random(n))
    within = rng.integers(0, 3_600_000_000, n) * 1000
    midnight = np.datetime64(day, "ns").astype(np.int64)
    ordered_ns = local_to_utc_ns(midnight + hour * NS_PER_HOUR + within, cells.region[cell])
    in_time = np.argsort(ordered_ns, kind="stable")
    cell, tp, ordered_ns = cell[in_time], tp[in_time], ordered_ns[in_time]
    region, store = cells.region[cell], cells.store[cell]

    raw_draw, unmapped_draw = rng.random(n), rng.random(n)
    raw = np.empty(n, dtype=object)
    for t, options in enumerate(RAW_TOUCHPOINTS):
        mine = tp == t
        labels = np.array([label for label, _ in options], dtype=object)
        raw[mine] = labels[_pick(RAW_CUM[t], raw_draw[mine])]
    codes = np.array(TOUCHPOINTS, dtype=object)[tp]
    unmapped = (tp == WEB) & (unmapped_draw < UNMAPPED_SHARE)
    raw[unmapped], codes[unmapped] = UNMAPPED_RAW, "unassigned"
    customer = customers.keys(rng, tp, region)
    order_ids = _order_ids(day, tp)

    # Lines.
    n_lines = 1 + _pick(LINE_COUNT_CUM[tp], rng.random(n))
    starts = np.cumsum(n_lines) - n_lines
    line_order = np.repeat(np.arange(n), n_lines)
    n_total = line_order.size
    line_tp, line_region = tp[line_order], region[line_order]
    sku = np.empty(n_total, dtype=np.int64)
    for t in range(len(TOUCHPOINTS)):
        mine = line_tp == t
        sku[mine] = rng.choice(len(plan.catalogue.sku), size=int(mine.sum()), p=plan.choice[i, t])
    qty_draw, qty_normal = rng.random(n_total), rng.standard_normal(n_total)
    qty = 1 + _pick(CONSUMER_QTY_CUM, qty_draw)
    b2b_qty = np.clip(5 * np.round(np.exp(np.log(B2B_QTY_MEDIAN / 5) + 0.8 * qty_normal)), 5, 200)
    rep_qty = np.clip(np.round(np.exp(np.log(REP_QTY_MEDIAN) + 0.8 * qty_normal)), 1, 60)
    qty = np.where(line_tp == B2B, b2b_qty, np.where(line_tp == REP, rep_qty, qty)).astype(np.int64)
    unit_price = pricing.local_prices(plan.list_usd[i])[line_tp, line_region, sku]
    rate = plan.discount[i, line_tp, plan.catalogue.category[sku]]
    gross = qty * unit_price
    line_discount = np.round(gross * rate).astype(np.int64)
    line_total = gross - line_discount
    unit_cost = pricing.local_costs(plan.catalogue)[line_region, sku]
    line_no = np.arange(n_total) - np.repeat(starts, n_lines) + 1

    # Order amounts.
    subtotal = np.add.reduceat(line_total, starts) if n else np.zeros(0, dtype=np.int64)
    coupon = (rng.random(n) < COUPON_SHARE) & ~np.isin(tp, [B2B, REP])
    volume = (tp == B2B) & (subtotal >= VOLUME_DISCOUNT_FROM)
    discount = np.where(
        coupon,
        np.round(subtotal * COUPON_RATE),
        np.where(volume, np.round(subtotal * VOLUME_DISCOUNT_RATE), 0),
    )
    discount = discount.astype(np.int64)
    net = subtotal - discount
    tax = np.round(net * REGION_TAX[region]).astype(np.int64)
    fee = np.where(tp == CALL, PHONE_SHIPPING_FEE, SHIPPING_FEE)
    shipping = np.where(np.isin(tp, SHIPPED) & (net < FREE_SHIPPING_FROM), fee, 0).astype(np.int64)
    total = net + tax + shipping

    # Life cycle: cancellations, refunds, edits, orders still open.
    status_draw, open_draw, edit_draw, full_draw = (rng.random(n) for _ in range(4))
    refund_days = rng.integers(1, 31, n)
    refund_offset = rng.integers(0, 8 * NS_PER_HOUR, n)
    part = rng.uniform(0.15, 0.85, n)
    cancel_delay = rng.integers(600, 2 * 86_400, n) * 1_000_000_000
    edit_delay = rng.integers(300, 6 * 3_600, n) * 1_000_000_000
    refunded_ns = ordered_ns + refund_days * NS_PER_DAY + refund_offset
    cancelled = status_draw < CANCEL_SHARE
    refunded = (status_draw >= CANCEL_SHARE) & (status_draw < CANCEL_SHARE + REFUND_SHARE)
    refunded &= refunded_ns <= as_of_ns
    age = (plan.end - day).days
    still_open = ~cancelled & ~refunded & (open_draw < OPEN_SHARE_BY_AGE.get(age, 0.0))
    edited = ~cancelled & ~refunded & (edit_draw < EDIT_SHARE)
    status = np.where(
        cancelled,
        "cancelled",
        np.where(refunded, "refunded", np.where(still_open, "open", "completed")),
    ).astype(object)
    version = np.where(cancelled | refunded | edited, 2, 1).astype(np.int64)
    updated_ns = np.where(
        cancelled,
        ordered_ns + cancel_delay,
        np.where(refunded, refunded_ns, np.where(edited, ordered_ns + edit_delay, ordered_ns)),
    )
    updated_ns = np.maximum(np.minimum(updated_ns, as_of_ns), ordered_ns)
    refund_amount = np.where(
        full_draw < FULL_REFUND_SHARE, total, np.maximum(np.round(total * part), 1)
    ).astype(np.int64)

    systems = np.array([s for s, _ in SOURCE_OF_TOUCHPOINT], dtype=object)[tp]
    instances = np.array([s for _, s in SOURCE_OF_TOUCHPOINT], dtype=object)[tp]
    currency = np.array([r.currency for r in REGIONS], dtype=object)[region]
    location = np.where(
        store == NO_STORE, None, np.array(STORE_CODES, dtype=object)[np.maximum(store, 0)]
    )
    orders = {
        "source_system": systems,
        "source_instance": instances,
        "source_order_id": order_ids,
        "source_version": version,
        "source_updated_at": updated_ns,
        "touchpoint_raw": raw,
        "touchpoint_code": codes,
        "mapping_version": np.full(n, MAPPING_VERSION, dtype=np.int64),
        "location_code": location,
        "region_code": np.array(REGION_CODES, dtype=object)[region],
        "customer_key": customer,
        "status": status,
        "currency": currency,
        "subtotal_minor": subtotal,
        "discount_minor": discount,
        "tax_minor": tax,
        "shipping_minor": shipping,
        "total_minor": total,
        "fx_rate": np.array([FX_TO_USD[c] for c in currency], dtype=float),
        "ordered_at": ordered_ns,
        "payload": np.full(n, None, dtype=object),
    }
    lines = {
        "source_system": systems[line_order],
        "source_instance": instances[line_order],
        "source_order_id": order_ids[line_order],
        "line_no": line_no,
        "sku": plan.catalogue.sku[sku],
        "qty": qty,
        "unit_price_minor": unit_price,
        "discount_minor": line_discount,
        "line_total_minor": line_total,
        "unit_cost_minor": unit_cost,
    }
    orders["payload_sha256"] = payload_sha256(orders, lines, starts, n_lines)
    refunds = {
        "source_system": systems[refunded],
        "source_instance": instances[refunded],
        "source_order_id": order_ids[refunded],
        "source_refund_id": np.char.add(order_ids[refunded].astype(str), "-r1").astype(object),
        "refunded_at": refunded_ns[refunded],
        "amount_minor": refund_amount[refunded],
    }
    line_location = np.where(
        store[line_order] == NO_STORE,
        len(STORE_CODES) + REGION_WAREHOUSE[line_region],
        store[line_order],
    )
    return DayOrders(
        orders=orders,
        lines=lines,
        refunds=refunds,
        cell=cell,
        touchpoint=tp,
        ordered_ns=ordered_ns,
        line_sku=sku,
        line_location=line_location,
        line_qty=qty,
        line_active=~cancelled[line_order],
    )

"""The loader's batch built straight from a page's columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.batch import BATCH_ORDER_COLUMNS
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import REFUND_COLUMNS
from ingestion.batch import OrderBatch
from ingestion.columnar.checks import utc_ns
from ingestion.columnar.shapes import LINE_MONEY
from ingestion.columnar.shapes import ORDER_MONEY
from ingestion.columnar.shapes import TEXT_KEY
from ingestion.columnar.shapes import Columns


def _ints(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _series(values, dtype) -> pd.Series:
    return pd.Series(values, dtype=dtype)


def build_batch(
    columns: Columns,
    keep: np.ndarray,
    amounts: tuple[dict, dict, dict],
    touchpoints: list[tuple[str, str]],
    mapping_version: int,
) -> OrderBatch:
    """The loader's batch of the kept orders (positions in page order), as ``to_order_batch``."""
    orders, lines, refunds = columns.orders, columns.lines, columns.refunds
    order_money, line_money, refund_money = amounts
    take = keep.tolist()

    def pick(values: list) -> list:
        return [values[i] for i in take]

    key = {name: pick(orders[name]) for name in TEXT_KEY}
    order_frame = pd.DataFrame(
        {
            **{name: _series(values, object) for name, values in key.items()},
            "source_version": _series(pick(orders["source_version"]), "int64"),
            "source_updated_at": utc_ns(pick(orders["source_updated_at"])),
            "touchpoint_raw": _series([touchpoints[i][0] for i in take], object),
            "touchpoint_code": _series([touchpoints[i][1] for i in take], object),
            "mapping_version": _series([mapping_version] * len(take), "int64"),
            "location_code": _series(pick(orders["location_code"]), object),
            "region_code": _series(pick(orders["region_code"]), object),
            "customer_key": _series(pick(orders["customer_key"]), object),
            "status": _series(pick(orders["status"]), object),
            "currency": _series(pick(orders["currency"]), object),
            **{f"{name}_minor": _series(order_money[name][keep], "int64") for name in ORDER_MONEY},
            "fx_rate": _series(
                [float("nan") if r is None else float(r) for r in pick(orders["fx_rate"])],
                "float64",
            ),
            "ordered_at": utc_ns(pick(orders["ordered_at"])),
            "payload": _series(pick(orders["payload"]), object),
            "payload_sha256": _series(pick(orders["payload_sha256"]), object),
            "region_key": _series(pick(orders["region_key"]), object),
            "units": _series(pick(orders["units"]), object),
        }
    )[BATCH_ORDER_COLUMNS]
    rank = np.full(len(columns), -1, dtype=np.int64)
    rank[keep] = np.arange(len(keep))
    line_rank = rank[np.asarray(lines["order"], dtype=np.int64)]
    line_rows = np.flatnonzero(line_rank >= 0)
    line_rows = line_rows[np.argsort(line_rank[line_rows], kind="stable")]
    refund_rank = rank[np.asarray(refunds["order"], dtype=np.int64)]
    refund_rows = np.flatnonzero(refund_rank >= 0)
    refund_rows = refund_rows[np.argsort(refund_rank[refund_rows], kind="stable")]
    return OrderBatch(
        orders=order_frame,
        lines=pd.DataFrame(
            {
                **_owner_key(key, line_rank[line_rows]),
                "line_no": _series(
                    np.asarray(lines["line_no"], dtype=np.int64)[line_rows], "int64"
                ),
                "sku": _series([lines["sku"][i] for i in line_rows], object),
                "qty": _series(_ints(lines["qty"])[line_rows], "int64"),
                **{
                    f"{name}_minor": _series(line_money[name][line_rows], "int64")
                    for name in LINE_MONEY
                },
            }
        )[LINE_COLUMNS],
        refunds=pd.DataFrame(
            {
                **_owner_key(key, refund_rank[refund_rows]),
                "source_refund_id": _series(
                    [refunds["source_refund_id"][i] for i in refund_rows], object
                ),
                "refunded_at": utc_ns([refunds["refunded_at"][i] for i in refund_rows]),
                "amount_minor": _series(refund_money["amount"][refund_rows], "int64"),
            }
        )[REFUND_COLUMNS],
    )


def _owner_key(key: dict[str, list], owners: np.ndarray) -> dict[str, pd.Series]:
    at = owners.tolist()
    return {name: _series([values[i] for i in at], object) for name, values in key.items()}


def newest_positions(columns: Columns) -> np.ndarray:
    """Positions of the orders a batch keeps: per natural key the highest version (the later
    copy on ties), at the place of the key's first copy (``canonical_frames.newest_per_order``)."""
    orders = columns.orders
    slot: dict[tuple[str, str, str], int] = {}
    chosen: list[int] = []
    for position, (key, version) in enumerate(
        zip(
            zip(*(orders[name] for name in TEXT_KEY), strict=True),
            orders["source_version"],
            strict=True,
        )
    ):
        at = slot.get(key)
        if at is None:
            slot[key] = len(chosen)
            chosen.append(position)
        elif version >= orders["source_version"][chosen[at]]:
            chosen[at] = position
    return np.asarray(chosen, dtype=np.int64)

"""The demo's payload hash: one sha256 per generated order over its fields and its lines."""

from __future__ import annotations

import hashlib

import numpy as np

from ingestion.batch import ORDER_COLUMNS

# Every order column before the payload, in the frame's order.
_HASHED_ORDER_FIELDS = ORDER_COLUMNS[: ORDER_COLUMNS.index("payload")]
# One line as a fixed-width little-endian record.
LINE_RECORD = np.dtype(
    [
        ("line_no", "<i8"),
        ("sku", "S32"),
        ("qty", "<i8"),
        ("unit_price", "<i8"),
        ("discount", "<i8"),
        ("line_total", "<i8"),
        ("unit_cost", "<i8"),
    ]
)


def payload_sha256(
    orders: dict, lines: dict, starts: np.ndarray, n_lines: np.ndarray
) -> np.ndarray:
    """sha256 of the order's fields (unit-separated text; timestamps as epoch ns) + its lines.

    Lines are hashed as fixed-width little-endian records, so any change to the order or
    one of its lines changes the hash.
    """
    n = len(starts)
    text = [["" if v is None else str(v) for v in orders[f].tolist()] for f in _HASHED_ORDER_FIELDS]
    records = np.empty(len(lines["sku"]), dtype=LINE_RECORD)
    records["line_no"] = lines["line_no"]
    records["sku"] = [s.encode() for s in lines["sku"]]
    records["qty"] = lines["qty"]
    records["unit_price"] = lines["unit_price_minor"]
    records["discount"] = lines["discount_minor"]
    records["line_total"] = lines["line_total_minor"]
    records["unit_cost"] = lines["unit_cost_minor"]
    blob = memoryview(records.tobytes())
    width = LINE_RECORD.itemsize
    begin = (starts * width).tolist()
    end = ((starts + n_lines) * width).tolist()
    digests = [
        hashlib.sha256("\x1f".join(fields).encode() + blob[b:e]).hexdigest()
        for fields, b, e in zip(zip(*text, strict=True), begin, end, strict=True)
    ]
    return np.array(digests, dtype=object) if n else np.zeros(0, dtype=object)

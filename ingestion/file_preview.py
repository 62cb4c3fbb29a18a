"""A dry run of a file drop: what its mapping makes of it, and every row the load would refuse
with the reason, writing nothing.

The rows the mapping refuses, and the records the load would refuse for want of reference data
(an exchange rate, a known store: ``ingestion.file_refusals``, read from the database), so the
dry run reports the rejects the load will give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from db.engine import get_engine
from ingestion.canonical import CanonicalOrder
from ingestion.connectors.file_mapping import FileMapping
from ingestion.connectors.file_rows import RowError
from ingestion.connectors.files import iter_numbered
from ingestion.file_refusals import refusals

PREVIEW_ROWS = 20


@dataclass(frozen=True)
class FilePreview:
    kind: str
    mapped: int  # records the file maps to that would load (orders: one per order id)
    rows: list[dict[str, Any]]  # the first of them, flat and readable
    rejects: list[RowError]  # every row the load would refuse, in file order


def _text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, str)) or value is None:
        return value
    return str(value)


def flat(record: Any) -> dict[str, Any]:
    """One mapped record as a flat row: an order with its touchpoint fields, units and lines."""
    if isinstance(record, CanonicalOrder):
        units = sum(line.qty for line in record.lines) if record.lines else record.units or 0
        return {
            "source_system": record.source_system,
            "source_order_id": record.source_order_id,
            "ordered_at": _text(record.ordered_at),
            "touchpoint": ";".join(f"{k}={v}" for k, v in sorted(record.touchpoint_fields.items())),
            "status": record.status,
            "currency": record.currency,
            "subtotal": _text(record.subtotal),
            "tax": _text(record.tax),
            "shipping": _text(record.shipping),
            "discount": _text(record.discount),
            "total": _text(record.total),
            "units": units,
            "lines": len(record.lines),
        }
    return {name: _text(value) for name, value in record.model_dump().items()}


def preview_data(
    data: bytes,
    mapping: FileMapping,
    *,
    limit: int = PREVIEW_ROWS,
    future_tolerance: dt.timedelta | None = None,
) -> FilePreview:
    numbered, rejects = [], []
    for line, item in iter_numbered(data, mapping, future_tolerance=future_tolerance):
        if isinstance(item, RowError):
            rejects.append(item)
        else:
            numbered.append((line, item))
    records = [record for _, record in numbered]
    with get_engine().connect() as conn:
        refused = refusals(conn, mapping.kind, records)
    rejects += [RowError(numbered[n][0], reason) for n, reason in refused.items()]
    rejects.sort(key=lambda e: e.row)
    passing = [record for n, record in enumerate(records) if n not in refused]
    return FilePreview(mapping.kind, len(passing), [flat(r) for r in passing[:limit]], rejects)

"""Columnar mapping: a page of payloads into the loader's batch, pydantic only for rule-breakers.

Each payload goes through its connector's own mapping with validation switched off (so
field semantics are the connector's, written once), then the page is checked column by
column: amounts as exact fixed-point integers (pyarrow decimals), timestamps against the
future horizon, line sums, totals, refunds, widths and the value shapes pydantic would
change or refuse. A row that breaks any rule, or that its mapping could not handle, goes
through the per-record path (``CanonicalOrder`` with pydantic), so its reject keeps the
exact reason the quarantine has always shown; a row the check was too strict for is
mapped by that path too. The batch equals ``to_order_batch(map_orders(...))`` row for row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import numpy as np

from ingestion.batch import OrderBatch
from ingestion.canonical import FUTURE_TOLERANCE
from ingestion.canonical import gc_paused
from ingestion.columnar.checks import exact_amounts
from ingestion.columnar.checks import rule_breakers
from ingestion.columnar.checks import too_wide
from ingestion.columnar.frame import build_batch
from ingestion.columnar.frame import newest_positions
from ingestion.columnar.shapes import Columns
from ingestion.columnar.shapes import Unusual
from ingestion.columnar.shapes import checked
from ingestion.columnar.shapes import validated
from ingestion.mapping import ChannelRules
from ingestion.mapping import touchpoint_raw


def _touchpoints(columns: Columns, rules: ChannelRules) -> list[tuple[str, str]]:
    """(raw fields, assigned touchpoint) per order, the rules matched once per distinct fields."""
    assigned: dict[tuple, tuple[str, str]] = {}
    found = []
    for system, fields in zip(
        columns.orders["source_system"], columns.orders["touchpoint_fields"], strict=True
    ):
        cache_key = (system, *sorted(fields.items()))
        touchpoint = assigned.get(cache_key)
        if touchpoint is None:
            touchpoint = assigned[cache_key] = (
                touchpoint_raw(fields),
                rules.match(system, fields),
            )
        found.append(touchpoint)
    return found


def map_page_columnar(
    mapped: Sequence[tuple[int, dict[str, Any] | None]],
    validate: Callable[[int], Any],
    rules: ChannelRules,
    *,
    future_tolerance: dt.timedelta | None = None,
    widths: tuple[int, int, int],
) -> tuple[OrderBatch, int]:
    """The batch of a page whose records were mapped without validation.

    ``mapped``: (index in the page, the connector's unvalidated order, or None where its
    mapping failed), in page order. ``validate(index)`` maps that record through the
    per-record path: its CanonicalOrder, or None (not an order, or rejected: the caller
    keeps the reject). Returns the batch and how many canonical orders it was built from.
    """
    horizon = dt.datetime.now(dt.UTC) + (future_tolerance or FUTURE_TOLERANCE)
    with gc_paused():
        columns, taken, slow = Columns(), [], []
        for position, order in mapped:
            try:
                if order is None:
                    raise Unusual
                shaped = checked(order)
            except (Unusual, KeyError, TypeError, AttributeError):
                slow.append(position)
                continue
            columns.append(*shaped)
            taken.append((position, shaped))
        touchpoints = _touchpoints(columns, rules)
        bad, *amounts = rule_breakers(columns, horizon)
        bad |= too_wide(columns, [raw for raw, _ in touchpoints], widths)
        if slow or bad.any():
            chosen = {
                position: order for (position, order), b in zip(taken, bad, strict=True) if not b
            }
            slow += [taken[i][0] for i in np.flatnonzero(bad)]
            for position in sorted(slow):
                order = validate(position)
                if order is not None:
                    chosen[position] = validated(order)
            columns = Columns()
            for position in sorted(chosen):
                columns.append(*chosen[position])
            touchpoints = _touchpoints(columns, rules)
            amounts = exact_amounts(columns)
        keep = newest_positions(columns)
        return build_batch(columns, keep, amounts, touchpoints, rules.version), len(columns)

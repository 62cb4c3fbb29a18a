"""The columnar mapper against the per-record one: identical batches and identical rejects.

Every connector's fixture payloads and demo payloads as each source sends them, then the
same payloads broken in every way a source can break them (each mutation touches one value:
an amount, a date, a count, a text, a missing field, the bytes themselves), so that both the
columnar rows and the rows sent back to pydantic are compared.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ingestion.canonical import to_order_batch
from ingestion.columnar.checks import micro_units
from ingestion.demo import generate
from ingestion.demo.native import native_orders
from ingestion.mapping import DEFAULT_RULES
from ingestion.sync import Incoming
from ingestion.sync import as_bytes
from ingestion.sync import map_orders
from ingestion.sync.mapping import map_page_orders

FIXTURES = Path(__file__).parent / "fixtures"
INSTANCE = {"shopify": "main-store", "square": "retail", "sap": "S4H-100", "salesforce": "crm"}
LISTS = {
    "shopify": ("shopify_orders_page1.json", ["orders"]),
    "square": ("square_orders_page1.json", ["orders"]),
    "sap": ("sap_sales_orders_page1.json", ["d", "results"]),
    "salesforce": ("salesforce_query_page1.json", ["records"]),
}


def _fixture_payloads(system: str) -> list[dict]:
    name, path = LISTS[system]
    found = []
    for page in (name, name.replace("page1", "page2")):
        body = json.loads((FIXTURES / page).read_text().replace("{base}", "http://x"))
        for step in path:
            body = body[step]
        found += body
    return found


@pytest.fixture(scope="module")
def demo_payloads():
    chunk = next(generate(600, 11, dt.date(2026, 6, 30), years=1, chunk_days=60))
    return native_orders(chunk.orders)


def _same(system: str, items: list[Incoming]) -> int:
    """Both mappers over ``items``; returns how many orders they mapped."""
    instance = INSTANCE[system]
    orders, rejects = map_orders(system, instance, items)
    expected = to_order_batch(orders, DEFAULT_RULES)
    batch, mapped, found = map_page_orders(system, instance, items, DEFAULT_RULES)
    assert mapped == len(orders)
    for name in ("orders", "lines", "refunds"):
        pd.testing.assert_frame_equal(
            getattr(batch, name).reset_index(drop=True),
            getattr(expected, name).reset_index(drop=True),
            check_dtype=True,
        )
    assert [(r.record_id, r.error, r.payload) for r in found] == [
        (r.record_id, r.error, r.payload) for r in rejects
    ]
    return mapped


@pytest.mark.parametrize("system", sorted(INSTANCE))
def test_fixture_and_demo_payloads_map_alike(system, demo_payloads):
    payloads = _fixture_payloads(system) + getattr(demo_payloads, system)
    items = [Incoming(None, as_bytes(p)) for p in payloads]
    assert _same(system, items) > 0
    # Copies and older versions of the same orders collapse alike (newest kept, first place).
    older = [_older(p) for p in payloads[:20]]
    _same(system, [*items[:20], *[Incoming(None, as_bytes(p)) for p in older], *items[:5]])


def _older(payload: dict) -> dict:
    older = copy.deepcopy(payload)
    for name in ("updated_at", "SystemModstamp"):
        if isinstance(older.get(name), str):
            older[name] = older[name].replace("20", "19", 1)
    if isinstance(older.get("version"), int):
        older["version"] -= 1
    return older


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _broken_values(value) -> list:
    """What a source may send instead of ``value``."""
    if isinstance(value, bool):
        return [None, "yes"]
    if isinstance(value, int):
        return [-value - 1, str(value), value + 0.5, 2**62, None]
    if isinstance(value, float):
        return [-value, 1e-9, float("inf"), str(value), None]
    if isinstance(value, str):
        return [
            "",
            f" {value} ",
            value + "9" * 3,
            "-" + value,
            value.replace("20", "21", 1).replace("-0", "-1", 1),
            value[:-6] if len(value) > 6 else value + ".123456789",
            "x" * 90,
            123,
            None,
        ]
    return ["1", 1]


def _set(payload: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(payload)
    target = changed
    for step in path[:-1]:
        target = target[step]
    if value is None and isinstance(target, dict):
        target.pop(path[-1])
    else:
        target[path[-1]] = value
    return changed


@pytest.mark.parametrize("system", sorted(INSTANCE))
def test_every_way_of_breaking_a_payload_maps_and_is_rejected_alike(system, demo_payloads):
    chance = random.Random(23)
    payloads = _fixture_payloads(system) + getattr(demo_payloads, system)[:40]
    broken = []
    for payload in payloads:
        for path, value in _leaves(payload):
            for replacement in _broken_values(value):
                if chance.random() < 0.25:
                    broken.append(_set(payload, path, replacement))
    items = [Incoming(None, as_bytes(p)) for p in broken]
    raw = as_bytes(payloads[0])
    items += [
        Incoming("cut", raw[:-7]),
        Incoming(None, b"\xff" + raw),
        Incoming(None, b"[1, 2]"),
        Incoming(None, payloads[0]),
    ]
    for start in range(0, len(items), 500):  # pages, as a sync sends them
        _same(system, items[start : start + 500])


def test_amounts_become_exact_micro_units_or_are_marked_inexact():
    values = [Decimal("12.34"), Decimal("0.000001"), Decimal("-5"), Decimal("1.0000001")]
    micro, exact = micro_units(values + [Decimal(10) ** 20])
    assert micro[:3].tolist() == [12_340_000, 1, -5_000_000]
    assert exact.tolist() == [True, True, True, False, False]
    # A column pyarrow takes whole: trailing zeros beyond six decimals lose nothing.
    micro, exact = micro_units([Decimal("1.10000000"), Decimal("-0.000001")])
    assert (micro.tolist(), exact.tolist()) == ([1_100_000, -1], [True, True])


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        (10**20, "qty: 100000000000000000000 is more than can be stored"),
        (2**31, "qty: 2147483648 is more than can be stored (2147483647 at most)"),
    ],
)
def test_a_count_the_tables_cannot_hold_is_a_reject_on_both_paths(demo_payloads, quantity, reason):
    """Not a failed page: the order is quarantined with its reason, the page's others load."""
    huge = copy.deepcopy(demo_payloads.shopify[0])
    free = {"id": 1, "sku": "GIFT", "quantity": quantity, "price": "0.00", "total_discount": "0"}
    huge["line_items"].append(free)  # the order's totals still add up
    items = [Incoming(None, as_bytes(huge)), Incoming(None, as_bytes(demo_payloads.shopify[1]))]
    assert _same("shopify", items) == 1
    _, _, (reject,) = map_page_orders("shopify", INSTANCE["shopify"], items, DEFAULT_RULES)
    assert reason in reject.error

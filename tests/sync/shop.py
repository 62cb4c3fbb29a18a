"""A fake Shopify shop for sync tests: generated orders, served the way the Admin API pages them,
and the totals a correct load must produce, computed straight from the payloads."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Iterable
from decimal import Decimal

from werkzeug import Request
from werkzeug import Response

from db.roles import system
from ingestion.connectors.shopify import API_VERSION
from ingestion.sources import add_source

ORDERS_PATH = f"/admin/api/{API_VERSION}/orders.json"
SOURCE_NAMES = ["web", "iphone", "android", "amazon", "ebay", "pos"]
SKUS = ["TSHIRT-M", "MUG", "CAP", "HOODIE-L", "SOCKS"]
START = dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC)
TOKEN_ENV = "CP_SYNC_TEST_SHOP_TOKEN"
TOKEN = "shpat-test-token"
CENT = Decimal("0.01")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def make_order(number: int, version: int = 0, seed: int = 0) -> dict:
    """Order ``number`` as the shop returns it after ``version`` edits (each edit adds a line)."""
    rng = random.Random(number * 1000 + seed)
    created = START + dt.timedelta(minutes=7 * number)
    updated = created + dt.timedelta(minutes=30 * version + 1)
    items = []
    for k in range(rng.randint(1, 3) + version):
        qty = rng.randint(1, 4)
        price = Decimal(rng.randint(500, 9000)) / 100
        discount = Decimal(rng.choice([0, 0, 100, 250])) / 100
        items.append(
            {
                "id": number * 100 + k,
                "sku": rng.choice(SKUS),
                "quantity": qty,
                "price": f"{price:.2f}",
                "total_discount": f"{discount:.2f}",
            }
        )
    lines_total = sum(
        Decimal(i["price"]) * i["quantity"] - Decimal(i["total_discount"]) for i in items
    )
    tax = (lines_total * Decimal("0.08")).quantize(Decimal("0.01"))
    shipping = Decimal(rng.choice(["0.00", "4.99", "9.99"]))
    line_discounts = sum(Decimal(i["total_discount"]) for i in items)
    return {
        "id": 5_000_000 + number,
        "source_name": rng.choice(SOURCE_NAMES),
        "location_id": None,
        "currency": "USD",
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "cancelled_at": None,
        "financial_status": "paid",
        "taxes_included": False,
        "total_discounts": f"{line_discounts:.2f}",
        "total_tax": f"{tax:.2f}",
        "total_shipping_price_set": {"shop_money": {"amount": f"{shipping:.2f}"}},
        "total_price": f"{lines_total + tax + shipping:.2f}",
        "customer": {"id": 900 + number % 37},
        "shipping_address": {"country_code": "US", "province_code": "CA"},
        "line_items": items,
        "refunds": [],
    }


def newest(payloads: Iterable[dict]) -> dict[int, dict]:
    """The newest payload per order id (by updated_at, as the source versions them)."""
    latest: dict[int, dict] = {}
    for payload in payloads:
        seen = latest.get(payload["id"])
        if seen is None or payload["updated_at"] > seen["updated_at"]:
            latest[payload["id"]] = payload
    return latest


def expected_totals(payloads: Iterable[dict]) -> dict:
    """What the database must hold after loading these payloads, from the payloads alone."""
    orders = newest(payloads).values()
    return {
        "orders": len(orders),
        "lines": sum(len(o["line_items"]) for o in orders),
        "total": sum(Decimal(o["total_price"]) for o in orders),
        "revenue": sum(Decimal(o["total_price"]) - Decimal(o["total_tax"]) for o in orders),
        "units": sum(i["quantity"] for o in orders for i in o["line_items"]),
    }


def database_totals(conn) -> dict:
    """The same totals read from the order tables and from the daily rollup."""
    from sqlalchemy import text

    orders, total, revenue = conn.execute(
        text(
            "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(revenue_base), 0) "
            "FROM sales_order"
        )
    ).one()
    lines, units = conn.execute(
        text("SELECT count(*), coalesce(sum(qty), 0) FROM order_line")
    ).one()
    rollup_revenue, rollup_orders, rollup_units = conn.execute(
        text(
            "SELECT coalesce(sum(gross_revenue), 0), coalesce(sum(orders), 0), "
            "coalesce(sum(units), 0) FROM daily_rollup"
        )
    ).one()
    assert (round(rollup_revenue, 2), rollup_orders, rollup_units) == (
        round(revenue, 2),
        orders,
        units,
    ), "rollups disagree with the order tables"
    return {
        "orders": orders,
        "lines": lines,
        # SQLite sums NUMERIC as a float; PostgreSQL returns the exact Decimal.
        "total": Decimal(str(total)).quantize(CENT),
        "revenue": Decimal(str(revenue)).quantize(CENT),
        "units": int(units),
    }


def rollup_rows(conn) -> tuple[list, list]:
    """The daily and product rollups' rows, in key order."""
    from sqlalchemy import select

    from db.rollup_tables import DailyProductRollup
    from db.rollup_tables import DailyRollup

    return (
        conn.execute(select(DailyRollup).order_by(*DailyRollup.__table__.primary_key)).all(),
        conn.execute(
            select(DailyProductRollup).order_by(*DailyProductRollup.__table__.primary_key)
        ).all(),
    )


def first_orders(payloads: list[dict]) -> set[str]:
    """Each customer's earliest live order, from the payloads alone."""
    first: dict[int, dict] = {}
    for order in newest(payloads).values():
        if order["cancelled_at"] is not None:
            continue
        seen = first.get(order["customer"]["id"])
        if seen is None or order["created_at"] < seen["created_at"]:
            first[order["customer"]["id"]] = order
    return {str(order["id"]) for order in first.values()}


class FakeShop:
    """Serves the shop's current orders: filtered by updated_at_min, oldest change first,
    ``page_size`` a page, next pages through the Link header (page_info), like Shopify."""

    def __init__(self, orders: list[dict], page_size: int = 50, delay: float = 0.0):
        self.orders = orders
        self.page_size = page_size
        self.delay = delay
        self.requests = 0

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.delay:
            time.sleep(self.delay)
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return Response("unauthorized", status=401)
        if "page_info" in request.args:
            offset_text, _, since = request.args["page_info"].partition("_")
            offset = int(offset_text)
        else:
            offset, since = 0, request.args["updated_at_min"]
        selected = sorted(
            (o for o in self.orders if o["updated_at"] >= since),
            key=lambda o: (o["updated_at"], o["id"]),
        )
        page = selected[offset : offset + self.page_size]
        headers = {}
        if offset + self.page_size < len(selected):
            link = f"{request.base_url}?limit=250&page_info={offset + self.page_size}_{since}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Response(
            json.dumps({"orders": page}), headers=headers, content_type="application/json"
        )


def add_shop_source(**options):
    """The shop as a configured source named "shop", added by the system."""
    return add_source(
        "shop",
        "shopify",
        "main-store",
        "https://shop.example.com/",
        secret_env="SHOP_TOKEN",
        actor=system(),
        **options,
    )

"""The Shopify and Square connectors against a local server speaking the shop's own payload
shape, misbehaving first as ``tests/ingestion/flaky_server.py`` describes; the auth header the
shop expects is asserted on every request.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from werkzeug import Request
from werkzeug import Response

from ingestion.canonical import to_order_batch
from ingestion.connectors import shopify
from ingestion.connectors import square
from ingestion.mapping import DEFAULT_RULES
from tests.ingestion.flaky_server import Flaky
from tests.ingestion.flaky_server import Sleeps
from tests.ingestion.flaky_server import client_options
from tests.ingestion.flaky_server import expected_sleeps
from tests.ingestion.flaky_server import fixture
from tests.ingestion.flaky_server import json_response


def test_shopify_pages_by_link_header_and_maps_orders(httpserver):
    page2_url = httpserver.url_for("/admin/api/2024-10/orders.json") + "?limit=250&page_info=abc123"

    def serve(request: Request) -> Response:
        if request.args.get("page_info") == "abc123":
            assert set(request.args) == {"limit", "page_info"}
            return json_response(fixture("shopify_orders_page2.json"))
        assert request.args["status"] == "any"
        assert request.args["limit"] == "250"
        assert request.args["updated_at_min"] == "2024-06-01T23:00:00Z"
        return json_response(
            fixture("shopify_orders_page1.json"), {"Link": f'<{page2_url}>; rel="next"'}
        )

    handler = Flaky(serve)
    httpserver.expect_request(
        "/admin/api/2024-10/orders.json", headers={"X-Shopify-Access-Token": "shpat_test"}
    ).respond_with_handler(handler)
    sleeps = Sleeps()
    connector = shopify.ShopifyOrders(
        httpserver.url_for("/"), "shpat_test", **client_options(sleeps)
    )

    pages = list(connector.fetch("2024-06-02T00:00:00Z"))
    httpserver.check_assertions()

    assert [len(p.records) for p in pages] == [2, 2]
    assert sleeps == expected_sleeps()
    assert all(r.headers["X-Shopify-Access-Token"] == "shpat_test" for r in handler.requests)
    # Cursor: latest updated_at read so far (08:00-04:00 = 12:00Z; then 12:30Z; then 04T01:00Z).
    assert [p.cursor for p in pages] == ["2024-06-03T12:30:00Z", "2024-06-04T01:00:00Z"]
    records = [r for p in pages for r in p.records]
    assert [r.record_id for r in records] == ["450789469", "450789470", "450789471", "450789472"]

    orders = [shopify.to_canonical(r.payload) for r in records]
    first = orders[0]
    assert first.subtotal == Decimal("50.48")  # 2 × 19.99 − 2.00 + 12.50
    assert first.discount == Decimal("3.00")  # 5.00 order total less the 2.00 on a line
    assert first.total == Decimal("56.27")
    assert first.region_code == "US-CA"
    assert first.status == "completed"
    assert first.refund_total == Decimal("12.50")
    assert first.source_version == int(
        dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC).timestamp() * 1000
    )
    assert orders[1].taxes_included and orders[1].tax == Decimal("3.99")
    assert orders[2].status == "cancelled" and orders[2].lines[0].sku == "line:466157051"
    assert orders[2].location_code == "905684977"

    batch = to_order_batch(orders, DEFAULT_RULES)
    assert list(batch.orders["touchpoint_code"]) == [
        "web",
        "mobile_app",
        "marketplace",
        "unassigned",
    ]
    assert list(batch.orders["touchpoint_raw"]) == [
        "source_name=web",
        "source_name=iphone",
        "source_name=amazon",
        "source_name=tiktok",
    ]
    # Minor units straight from the payload's strings: "56.27" → 5627, "3000" (JPY) → 300000.
    totals = [r.payload["total_price"] for r in records]
    assert list(batch.orders["total_minor"]) == [
        int(t.replace(".", "")) if "." in t else int(t) * 100 for t in totals
    ]
    assert list(batch.refunds["amount_minor"]) == [1250]


def test_square_pages_by_body_cursor_and_maps_orders(httpserver):
    def serve(request: Request) -> Response:
        body = request.get_json()
        assert body["location_ids"] == ["L1WX5ZGFPQ6TR", "L2TOKYO0000"]
        assert body["query"]["sort"] == {"sort_field": "UPDATED_AT", "sort_order": "ASC"}
        if body.get("cursor") == "CURSOR-PAGE-2":
            return json_response(fixture("square_orders_page2.json"))
        assert "cursor" not in body
        return json_response(fixture("square_orders_page1.json"))

    handler = Flaky(serve)
    httpserver.expect_request(
        "/v2/orders/search",
        method="POST",
        headers={"Authorization": "Bearer sq-token", "Square-Version": square.SQUARE_VERSION},
    ).respond_with_handler(handler)
    sleeps = Sleeps()
    connector = square.SquareOrders(
        httpserver.url_for("/"),
        "sq-token",
        ["L1WX5ZGFPQ6TR", "L2TOKYO0000"],
        **client_options(sleeps),
    )

    pages = list(connector.fetch(None))
    httpserver.check_assertions()

    assert [len(p.records) for p in pages] == [2, 1]
    assert sleeps == expected_sleeps()
    assert pages[0].cursor == "2024-06-03T17:00:00Z"
    assert pages[1].cursor == "2024-06-04T09:00:00Z"
    orders = [square.to_canonical(r.payload) for p in pages for r in p.records]
    cafe = orders[0]
    # Lines: total_money less tax: 864 − 64 and 324 − 24 cents.
    assert [line.line_total for line in cafe.lines] == [Decimal("8.00"), Decimal("3.00")]
    assert cafe.total == Decimal("11.88")  # 13.88 collected less the 2.00 tip
    assert cafe.tax == Decimal("0.88")
    assert cafe.refund_total == Decimal("3.24")  # the FAILED refund does not count
    assert cafe.source_version == 4
    assert orders[1].currency == "JPY" and orders[1].total == Decimal(1500)
    assert orders[1].status == "cancelled"
    assert orders[2].status == "open"
    batch = to_order_batch(orders, DEFAULT_RULES)
    assert list(batch.orders["touchpoint_code"]) == [
        "physical_store",
        "physical_store",
        "unassigned",
    ]
    assert list(batch.orders["location_code"]) == ["L1WX5ZGFPQ6TR", "L2TOKYO0000", "L1WX5ZGFPQ6TR"]
    assert list(batch.orders["total_minor"]) == [1188, 150000, 450]

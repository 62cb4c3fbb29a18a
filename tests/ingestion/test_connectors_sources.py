"""Each HTTP connector against a local server speaking the source's own payload shape.

Every source's first request is answered 429 (Retry-After: 1), then 500, then stalls past
the client timeout, and only then with page one; the pages that follow are served
straight. The auth header the source expects is asserted on every request.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug import Request, Response

from ingestion.canonical import to_order_batch, traffic_frame
from ingestion.connectors import ga4, salesforce, sap, shopify, square
from ingestion.errors import MappingError
from ingestion.mapping import DEFAULT_RULES

FIXTURES = Path(__file__).parent / "fixtures"
TIMEOUT = 0.3
STALL = 0.45
BACKOFF = 0.01


def fixture(name: str, base: str = "") -> bytes:
    return (FIXTURES / name).read_text().replace("{base}", base).encode()


class Sleeps(list):
    """The sleep hook: records each wait, sleeps a little (a stalled server frees up)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(0.1)


class Flaky:
    """429 with Retry-After, then 500, then a stall past the timeout, then ``serve``."""

    def __init__(self, serve):
        self.serve = serve
        self.calls = 0
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        self.requests.append(request)
        if self.calls == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        if self.calls == 2:
            return Response("upstream exploded", status=500)
        if self.calls == 3:
            time.sleep(STALL)
        return self.serve(request)


def json_response(body: bytes, headers: dict | None = None) -> Response:
    return Response(body, status=200, headers=headers, content_type="application/json")


def expected_sleeps() -> list[float]:
    # Retry-After of the 429; then exponential backoff after the 500 and after the timeout.
    return [1.0, BACKOFF * 2, BACKOFF * 4]


def client_options(sleeps: Sleeps) -> dict:
    return {"timeout": TIMEOUT, "backoff": BACKOFF, "sleep": sleeps, "max_attempts": 5}


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
            fixture("shopify_orders_page1.json"),
            {"Link": f'<{page2_url}>; rel="next"'},
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


def test_salesforce_follows_next_records_url_and_maps_won_and_traffic(httpserver):
    next_path = "/services/data/v61.0/query/01gD0000002HU6KIAW-2000"

    def serve(request: Request) -> Response:
        if request.path == next_path:
            return json_response(fixture("salesforce_query_page2.json"))
        soql = request.args["q"]
        assert "FROM Opportunity WHERE SystemModstamp > 1970-01-01T00:00:00Z" in soql
        assert soql.endswith("ORDER BY SystemModstamp ASC")
        return json_response(fixture("salesforce_query_page1.json"))

    handler = Flaky(serve)
    for path in ("/services/data/v61.0/query", next_path):
        httpserver.expect_request(
            path, headers={"Authorization": "Bearer sf-token"}
        ).respond_with_handler(handler)
    sleeps = Sleeps()
    connector = salesforce.SalesforceOpportunities(
        httpserver.url_for("/"), "sf-token", **client_options(sleeps)
    )

    pages = list(connector.fetch(None))
    httpserver.check_assertions()

    assert [len(p.records) for p in pages] == [2, 2]
    assert sleeps == expected_sleeps()
    assert [p.cursor for p in pages] == ["2024-06-03T16:00:00Z", "2024-06-04T10:00:00Z"]
    payloads = [r.payload for p in pages for r in p.records]
    orders = [salesforce.to_canonical(p) for p in payloads]
    assert [o is None for o in orders] == [False, True, False, True]
    won = [o for o in orders if o is not None]
    assert won[0].total == Decimal("2500.0") and len(won[0].lines) == 2
    assert won[0].ordered_at == dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC)
    assert won[1].currency == "EUR" and won[1].lines == [] and won[1].subtotal == Decimal("799.5")
    batch = to_order_batch(won, DEFAULT_RULES)
    assert list(batch.orders["touchpoint_code"]) == ["call_center", "sales_rep"]
    assert batch.orders["touchpoint_raw"][0] == "LeadSource=Phone Inquiry;StageName=Closed Won"
    assert list(batch.orders["total_minor"]) == [250000, 79950]

    traffic = traffic_frame(salesforce.to_traffic(payloads))
    rows = {
        (r.day.isoformat(), r.touchpoint_code): (r.opportunities, r.opportunities_won)
        for r in traffic.itertuples()
    }
    # 3 June: the won phone inquiry (call_center) and the lost web lead (sales_rep);
    # 4 June: one won partner referral; the open opportunity is not counted.
    assert rows == {
        ("2024-06-03", "call_center"): (1, 1),
        ("2024-06-03", "sales_rep"): (1, 0),
        ("2024-06-04", "sales_rep"): (1, 1),
    }


def test_sap_follows_next_link_and_maps_sales_orders(httpserver):
    base = httpserver.url_for("").rstrip("/")
    path = "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder"

    def serve(request: Request) -> Response:
        if request.args.get("$skiptoken") == "1":
            return json_response(fixture("sap_sales_orders_page2.json", base))
        assert request.args["$filter"] == (
            "LastChangeDateTime gt datetimeoffset'2024-06-02T23:00:00Z'"
        )
        assert request.args["$expand"] == "to_Item"
        assert request.args["$format"] == "json"
        return json_response(fixture("sap_sales_orders_page1.json", base))

    handler = Flaky(serve)
    httpserver.expect_request(path, headers={"APIKey": "sap-key"}).respond_with_handler(handler)
    sleeps = Sleeps()
    connector = sap.SapSalesOrders(
        httpserver.url_for("/"), api_key="sap-key", **client_options(sleeps)
    )

    pages = list(connector.fetch("2024-06-03T00:00:00Z"))
    httpserver.check_assertions()

    assert [len(p.records) for p in pages] == [1, 1]
    assert sleeps == expected_sleeps()
    assert [p.cursor for p in pages] == ["2024-06-03T16:00:00Z", "2024-06-04T10:00:00Z"]
    orders = [sap.to_canonical(r.payload) for p in pages for r in p.records]
    first = orders[0]
    assert first.subtotal == Decimal("1250.00") and first.tax == Decimal("237.50")
    assert first.total == Decimal("1487.50")
    assert [(line.line_no, line.sku, line.qty) for line in first.lines] == [
        (10, "TG11", 10),
        (20, "TG12", 5),
    ]
    assert first.ordered_at == dt.datetime(2024, 6, 3, 12, tzinfo=dt.UTC)
    assert first.source_updated_at == dt.datetime(2024, 6, 3, 16, tzinfo=dt.UTC)
    assert first.status == "completed" and orders[1].status == "open"
    batch = to_order_batch(orders, DEFAULT_RULES)
    assert list(batch.orders["touchpoint_code"]) == ["b2b_portal", "unassigned"]
    assert list(batch.lines["unit_price_minor"]) == [10000, 5000, 3330]


def test_sap_basic_auth(httpserver):
    httpserver.expect_request(
        "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder",
        headers={"Authorization": "Basic dXNlcjpwYXNz"},  # base64("user:pass")
    ).respond_with_data('{"d": {"results": []}}', content_type="application/json")
    connector = sap.SapSalesOrders(httpserver.url_for("/"), basic_auth=("user", "pass"))
    assert [p.records for p in connector.fetch(None)] == [[]]


def test_ga4_pages_by_offset_and_builds_daily_traffic(httpserver):
    def serve(request: Request) -> Response:
        body = request.get_json()
        assert body["limit"] == 3
        assert body["dateRanges"] == [{"startDate": "2024-06-01", "endDate": "2024-06-04"}]
        assert [d["name"] for d in body["dimensions"]] == list(ga4.DIMENSIONS)
        page = {0: "ga4_report_page1.json", 3: "ga4_report_page2.json"}[body["offset"]]
        return json_response(fixture(page))

    handler = Flaky(serve)
    httpserver.expect_request(
        "/v1beta/properties/123456:runReport",
        method="POST",
        headers={"Authorization": "Bearer ga-token"},
    ).respond_with_handler(handler)
    sleeps = Sleeps()
    connector = ga4.Ga4Report(
        "123456",
        "ga-token",
        base_url=httpserver.url_for("/"),
        today=dt.date(2024, 6, 4),
        page_size=3,
        **client_options(sleeps),
    )

    pages = list(connector.fetch("2024-06-04"))  # look-back of 3 days → from 1 June
    httpserver.check_assertions()

    assert [len(p.records) for p in pages] == [3, 2]
    assert sleeps == expected_sleeps()
    assert [p.cursor for p in pages] == ["2024-06-04", "2024-06-04"]
    rows = [r.payload for p in pages for r in p.records]
    traffic = ga4.to_traffic(rows)
    groups = {(t.day.isoformat(), t.touchpoint_code, t.channel_group): t.sessions for t in traffic}
    assert groups == {
        ("2024-06-03", "web", "Paid Search"): 120,
        ("2024-06-03", "web", "Direct"): 300,
        ("2024-06-03", "mobile_app", "Paid Social"): 50,
        ("2024-06-03", "mobile_app", "Organic Search"): 40,
        ("2024-06-04", "web", "Email"): 80,
    }
    frame = traffic_frame(traffic)
    sessions = {(r.day.isoformat(), r.touchpoint_code): r.sessions for r in frame.itertuples()}
    assert sessions == {
        ("2024-06-03", "mobile_app"): 90,
        ("2024-06-03", "web"): 420,
        ("2024-06-04", "web"): 80,
    }
    assert set(frame["source_system"]) == {"ga4"}
    assert sum(t.purchases for t in traffic) == 4 + 9 + 1 + 2 + 3


def test_ga4_export_files_in_both_formats(tmp_path):
    rows = ga4.report_rows(json.loads(fixture("ga4_report_page1.json")))
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    csv_file = tmp_path / "export.csv"
    header = list(rows[0])
    csv_file.write_text(
        ",".join(header) + "\n" + "\n".join(",".join(r[h] for h in header) for r in rows) + "\n"
    )
    from_jsonl = ga4.to_traffic(ga4.read_export(jsonl))
    from_csv = ga4.to_traffic(ga4.read_export(csv_file))
    assert from_jsonl == from_csv
    assert sum(t.sessions for t in from_csv) == 120 + 300 + 50


@pytest.mark.parametrize(
    ("module", "payload", "reason"),
    [
        (shopify, {"id": 1, "created_at": "2024-06-01T00:00:00Z"}, "missing field updated_at"),
        (
            shopify,
            {
                "id": 1,
                "updated_at": "2024-06-01T10:00:00",
                "created_at": "2024-06-01T10:00:00Z",
            },
            "has no time zone",
        ),
        (
            square,
            {
                "id": "x",
                "state": "OPEN",
                "total_money": {"amount": "12.5", "currency": "USD"},
            },
            "total_money.amount: '12.5' is not an integer amount of minor units",
        ),
        (
            square,
            {"id": "x", "state": "OPEN", "total_money": {"amount": 100, "currency": "ABC"}},
            "'ABC' is not an ISO 4217 currency code",
        ),
        (sap, {"SalesOrder": "1", "LastChangeDateTime": "2024-06-01"}, "is not an OData date"),
    ],
)
def test_connector_mapping_errors_are_readable(module, payload, reason):
    with pytest.raises(MappingError, match=reason):
        module.to_canonical(payload)

"""The HTTP connectors of Salesforce, SAP and GA4 against a local server speaking the source's
own payload shape (Shopify and Square: ``test_connectors_shops.py``).

Every source's first request is answered 429, then 500, then stalls past the client timeout,
and only then with page one (``tests/ingestion/flaky_server.py``); the pages that follow are
served straight. The auth header the source expects is asserted on every request.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from werkzeug import Request
from werkzeug import Response

from ingestion.canonical import to_order_batch
from ingestion.canonical import traffic_frame
from ingestion.connectors import ga4
from ingestion.connectors import salesforce
from ingestion.connectors import sap
from ingestion.connectors import shopify
from ingestion.connectors import square
from ingestion.errors import MappingError
from ingestion.mapping import DEFAULT_RULES
from tests.ingestion.flaky_server import Flaky
from tests.ingestion.flaky_server import Sleeps
from tests.ingestion.flaky_server import client_options
from tests.ingestion.flaky_server import expected_sleeps
from tests.ingestion.flaky_server import fixture
from tests.ingestion.flaky_server import json_response


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
            {"id": 1, "updated_at": "2024-06-01T10:00:00", "created_at": "2024-06-01T10:00:00Z"},
            "has no time zone",
        ),
        (
            square,
            {"id": "x", "state": "OPEN", "total_money": {"amount": "12.5", "currency": "USD"}},
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

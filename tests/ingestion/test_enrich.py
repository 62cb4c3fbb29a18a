"""Reference data the payloads do not carry: exchange rate, region, unit cost, on every sync.

Orders go through the real sync path (``load_page``: connector → enrichment → loader) into
a real database; the expected amounts are computed here with Decimal from the inputs.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from db.engine import get_engine
from db.roles import system
from db.schema import ExchangeRate
from db.schema import IngestRun
from db.schema import OrderLine
from db.schema import Region
from db.schema import SalesOrder
from ingestion.reference import upsert_reference
from ingestion.reference_files import load_rates_file
from ingestion.reference_files import load_region_file
from ingestion.reference_files import read_rates
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page

FIXTURES = Path(__file__).parent / "fixtures"
SHOPIFY = Origin("shopify", "main-store", "webhook", "shop")
SAP = Origin("sap", "S4H-100", "sync", "erp")
CENT = Decimal("0.01")
RATES = "day,currency,rate\n2024-06-01,EUR,1.0850\n2024-06-03,EUR,1.0912\n2024-06-03,GBP,1.2710\n"
REGIONS = "source_system,kind,value,region\nsap,sales_org,1010,de\n,country,FR,fr\n"
TG11_COST = Decimal("40.00")  # base currency (USD)

runner = CliRunner()


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_EVEN)


def _shopify_order(order_id: int, created_at: str, currency: str = "EUR") -> dict:
    order = copy.deepcopy(
        json.loads((FIXTURES / "shopify_orders_page1.json").read_text())["orders"][0]
    )
    order.update(id=order_id, currency=currency, created_at=created_at, updated_at=created_at)
    order["refunds"] = []
    order["financial_status"] = "paid"
    return order


def _sap_order() -> dict:
    return json.loads((FIXTURES / "sap_sales_orders_page1.json").read_text())["d"]["results"][0]


@pytest.fixture(params=["pg_url", "sqlite_url"])
def database(request, tmp_path) -> str:
    """A migrated database with regions, one product, the rates and region mappings loaded
    through the reference-file loaders (as ``channelperf reference load-fx`` does)."""
    url = request.getfixturevalue(request.param)
    regions = pd.DataFrame(
        [
            {"code": "us", "name": "United States", "currency": "USD"},
            {"code": "de", "name": "Germany", "currency": "EUR"},
            {"code": "fr", "name": "France", "currency": "EUR"},
        ]
    )
    products = pd.DataFrame(
        [
            {
                "sku": "TG11",
                "name": "Trade good",
                "category": "",
                "list_price_minor": 9900,
                "unit_cost_minor": int(TG11_COST * 100),
            }
        ]
    )
    locations = pd.DataFrame(columns=["code", "name", "kind", "region_code"])
    with get_engine(url).begin() as conn:
        upsert_reference(conn, regions, locations, products)
    (tmp_path / "rates.csv").write_text(RATES)
    (tmp_path / "regions.csv").write_text(REGIONS)
    load_rates_file(tmp_path / "rates.csv", system())
    load_region_file(tmp_path / "regions.csv", system())
    return url


def _runs(url: str) -> list:
    with get_engine(url).connect() as conn:
        return conn.execute(select(IngestRun.__table__)).mappings().all()


def test_a_foreign_order_takes_the_rate_of_its_day_and_one_without_a_rate_is_quarantined(
    database,
):
    on_time = _shopify_order(9001, "2024-06-04T10:00:00Z")  # latest rate: 2024-06-03
    stale = _shopify_order(9002, "2024-07-01T10:00:00Z")  # latest rate 28 days old
    result, rejects = load_page(
        get_engine(), SHOPIFY, [Incoming(None, on_time), Incoming(None, stale)]
    )

    assert (result.inserted, len(rejects)) == (1, 1)
    assert rejects[0].record_id == "9002"
    assert rejects[0].error == "no exchange rate for EUR on or before 2024-07-01 (within 7 days)"
    rate = Decimal("1.0912")
    with get_engine().connect() as conn:
        order = conn.execute(select(SalesOrder.__table__)).mappings().one()
        stored = conn.execute(text("SELECT record_id, error, status FROM reject")).one()
    assert order["source_order_id"] == "9001" and order["currency"] == "EUR"
    assert Decimal(order["fx_rate"]) == rate
    total, tax = Decimal(on_time["total_price"]), Decimal(on_time["total_tax"])
    assert Decimal(order["revenue_base"]) == _cents((total - tax) * rate)
    assert Decimal(order["total_base"]) == _cents(total * rate)
    assert tuple(stored) == ("9002", rejects[0].error, "quarantined")
    (run,) = _runs(database)
    assert (run["read"], run["inserted"], run["rejected"]) == (2, 1, 1)
    assert run["read"] == run["inserted"] + run["updated"] + run["unchanged"] + run["rejected"]


def _scaled(value, factor: int):
    """The payload with every amount (a decimal string) ``factor`` times larger."""
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, str) and value.replace(".", "", 1).isdigit() and "." in value:
        return str(Decimal(value) * factor)
    return value


def test_an_order_too_large_in_the_base_currency_is_quarantined_not_a_failed_load(database):
    """56.27 × 10^12 KWD fits the order's own columns, not once converted at 3.25 USD."""
    with get_engine().begin() as conn:
        conn.execute(
            insert(ExchangeRate.__table__).values(
                day=dt.date(2024, 6, 3), currency="KWD", rate=Decimal("3.25"), source="test"
            )
        )
    huge = _scaled(_shopify_order(9003, "2024-06-04T10:00:00Z", currency="KWD"), 10**12)
    fine = _shopify_order(9004, "2024-06-04T10:00:00Z", currency="KWD")
    result, rejects = load_page(get_engine(), SHOPIFY, [Incoming(None, huge), Incoming(None, fine)])
    assert result.inserted == 1 and [r.record_id for r in rejects] == ["9003"]
    assert rejects[0].error == (
        "in USD its amounts reach 182,877,500,000,000.00, more than can be stored "
        "(90,071,992,547,409.91 at most)"
    )


def test_the_base_currency_and_a_rate_given_by_the_source_need_no_table(database):
    usd = _shopify_order(9003, "2024-07-01T10:00:00Z", currency="USD")
    result, rejects = load_page(get_engine(), SHOPIFY, [Incoming(None, usd)])
    assert (result.inserted, rejects) == (1, [])
    with get_engine().connect() as conn:
        assert conn.execute(select(SalesOrder.__table__.c.fx_rate)).scalar() == 1


def test_an_sap_order_gets_its_region_from_the_sales_org_and_its_cost_from_the_product(database):
    payload = _sap_order()
    assert payload["SalesOrganization"] == "1010" and payload["TransactionCurrency"] == "EUR"
    result, rejects = load_page(get_engine(), SAP, [Incoming(None, payload)])
    assert (result.inserted, rejects) == (1, [])
    rate = Decimal("1.0912")  # the order is dated 2024-06-03
    with get_engine().connect() as conn:
        order = (
            conn.execute(
                select(SalesOrder.__table__, Region.code.label("region")).join(
                    Region, Region.id == SalesOrder.region_id
                )
            )
            .mappings()
            .one()
        )
        lines = dict(conn.execute(select(OrderLine.sku, OrderLine.unit_cost)).all())
        quantities = dict(conn.execute(select(OrderLine.sku, OrderLine.qty)).all())
    assert order["region"] == "de"
    assert Decimal(order["fx_rate"]) == rate
    # The product's base-currency cost in the order's currency at the order's rate.
    assert lines["TG11"] == _cents(TG11_COST / rate)
    assert lines["TG12"] == 0  # no such product: no cost to fill in
    cost_local = lines["TG11"] * quantities["TG11"]
    assert Decimal(order["cost_of_goods_base"]) == _cents(cost_local * rate)


def test_a_mapping_applies_to_its_kind_only(database):
    payload = _sap_order()
    payload["SalesOrder"] = "5000009"
    payload["SalesOrganization"] = "FR"
    payload["to_Item"]["results"] = [
        {**item, "SalesOrder": "5000009"} for item in payload["to_Item"]["results"]
    ]
    # No row maps the sales org "FR"; the "*" row for FR is of the kind country.
    load_page(get_engine(), SAP, [Incoming(None, payload)])
    with get_engine().connect() as conn:
        assert conn.execute(select(SalesOrder.region_id)).scalar() is None


def test_rate_files_refuse_bad_input_with_line_numbers(database, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "day,currency,rate\n2024-06-01,EUR,abc\n2024-13-01,EUR,1.1\n2024-06-01,ZZZ,1\n"
        "2024-06-02,USD,1\n2024-06-02,GBP,-1\n2024-06-03,EUR,1.1\n2024-06-03,EUR,1.2\n"
        "2024-06-04,EUR,99999999999\n2024-06-04,GBP,1e400\n2024-06-04,JPY,0.000000001\n"
    )
    out = runner.invoke(app, ["reference", "load-fx", str(bad)])
    assert out.exit_code == 2
    for expected in (
        "line 2: 'abc' is not a number",
        "line 3: '2024-13-01' is not a date",
        "line 4: 'ZZZ' is not an ISO 4217 currency code",
        "line 5: USD is the base currency",
        "line 6: rate -1 must be a positive number",
        "line 8: a second rate for EUR on 2024-06-03 (line 7)",
        "line 9: rate 99999999999 is out of range",
        "line 10: rate 1e400 is out of range",
        "line 11: rate 0.000000001 is out of range",
    ):
        assert expected in " ".join(out.output.split()), expected
    with get_engine().connect() as conn:
        assert (
            conn.execute(
                select(ExchangeRate.rate).where(ExchangeRate.day == dt.date(2024, 6, 2))
            ).first()
            is None
        )
    regions = tmp_path / "regions.csv"
    regions.write_text("kind,value,region\ncountry,IT,it\n")
    out = runner.invoke(app, ["reference", "load-regions", str(regions)])
    assert out.exit_code == 2 and "unknown region codes: it" in out.output
    regions.write_text(f"kind,value,region\ncountry,I\x00T,it\nstore,{'x' * 121},it\n")
    out = runner.invoke(app, ["reference", "load-regions", str(regions)])
    assert out.exit_code == 2, out.output
    assert "line 2: value holds a NUL character" in out.output
    assert "line 3: value is longer than 120 characters" in out.output


def test_ecb_style_wide_rates_are_read_inverted(tmp_path, use_database):
    use_database("sqlite://", base_currency="EUR")
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(
        "Date,USD,JPY,CYP,\n2024-06-03,1.0850,169.50,N/A,\n2024-05-31,1.0848,170.5,N/A,\n"
    )
    rates = read_rates(path, inverse=True)
    assert len(rates) == 4
    usd = rates[(rates["currency"] == "USD")].set_index("day")["rate"]
    assert usd.iloc[0] == pytest.approx(1 / 1.0850)

"""Admin › Exchange rates: the grid's numbers against SQL of our own, the currencies still
needing rates, and a rates file loaded through the page as through ``channelperf reference
load-fx`` (the same command: audited, a file with a wrong row refused by its lines and nothing
written), saying how many quarantined rejects a replay can then load.
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from dash import no_update
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app as cli
from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from db.schema import ExchangeRate
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay
from ingestion.rate_coverage import RateGap
from ingestion.rate_coverage import rate_gaps
from ingestion.rate_coverage import waiting_for_replay
from ingestion.sync import Incoming
from ingestion.sync import load_page
from tests.command_world import changed_tables
from tests.command_world import database_state
from tests.dashapp.test_page_commands import _call_as
from tests.dashapp.test_page_commands import _page_module
from tests.ingestion.test_enrich import SHOPIFY
from tests.ingestion.test_enrich import _shopify_order

pytestmark = pytest.mark.postgres

runner = CliRunner()
RATES = (
    "day,currency,rate\n2024-06-01,EUR,1.0850\n2024-06-03,EUR,1.0912\n2024-06-02,GBP,1.2710\n"
    "2024-06-05,EUR,1.0875\n"
)
# ECB-style: units of the currency per unit of the base currency (USD here), read --inverse.
WIDE = "Date,JPY,CHF,CYP,\n2024-06-04,156.25,0.8,N/A,\n2024-06-03,,0.8125,N/A,\n"
CHF_AND_EUR = "day,currency,rate\n2024-06-02,CHF,1.1\n2024-06-04,EUR,1.09\n"
BAD = "day,currency,rate\n2024-06-04,CHF,1.1\n2024-06-04,CHF,abc\n2024-06-31,EUR,1.1\n"
# What the grid shows, computed here: each currency's days, the rate of its last day.
GRID_SQL = """
SELECT r.currency, min(r.day)::text, max(r.day)::text, count(*),
       (SELECT l.rate FROM exchange_rate l WHERE l.currency = r.currency
        ORDER BY l.day DESC LIMIT 1)
FROM exchange_rate r GROUP BY r.currency ORDER BY r.currency
"""


def upload(csv: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(csv.encode()).decode()


def load_as_admin(app, csv: str, filename: str = "rates.csv", inverse: bool = False):
    """The page's upload callback, as an admin's browser fires it: (message, gaps, grid)."""
    page = _page_module("admin_exchange_rates")
    given = {"upload": upload(csv), "filename": filename, "inverse": inverse}
    return _call_as(app, "admin", page, "load_rates", "IDS.upload", given)


def load_chf_order(order_id: int, created_at: str) -> None:
    """A Shopify order in CHF, synced: quarantined if no rate converts it."""
    load_page(get_engine(), SHOPIFY, [Incoming(None, _shopify_order(order_id, created_at, "CHF"))])


def _audited_loads() -> list[tuple]:
    with get_engine().connect() as conn:
        return conn.execute(
            select(AuditLog.actor, AuditLog.entity_id, AuditLog.after)
            .where(AuditLog.action == "reference.load_fx")
            .order_by(AuditLog.id)
        ).all()


def test_the_grid_shows_each_currency_as_sql_counts_it(app, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(RATES)
    out = runner.invoke(cli, ["reference", "load-fx", str(path)])
    assert out.exit_code == 0, out.output
    assert "4 rates for EUR, GBP from 2024-06-01 to 2024-06-05." in out.output
    message, _, grid = load_as_admin(app, WIDE, "eurofxref.csv", inverse=True)
    assert message.color == "success", message.children
    assert message.children[0] == "Loaded 3 rates for CHF, JPY from 2024-06-03 to 2024-06-04. "

    assert grid == _page_module("admin_exchange_rates")._grid_rows()
    with get_engine().connect() as conn:
        expected = conn.execute(text(GRID_SQL)).all()
    shown = [(r["currency"], r["first_day"], r["last_day"], r["days"]) for r in grid]
    assert shown == [tuple(row[:4]) for row in expected]
    assert [r["latest_rate"] for r in grid] == [pytest.approx(float(row[4])) for row in expected]
    by_currency = {r["currency"]: r for r in grid}
    assert (by_currency["EUR"]["days"], by_currency["EUR"]["latest_rate"]) == (3, 1.0875)
    assert by_currency["CHF"]["latest_rate"] == pytest.approx(1 / 0.8)
    assert by_currency["JPY"]["latest_rate"] == pytest.approx(1 / 156.25)
    assert by_currency["JPY"]["latest_source"] == "eurofxref.csv"

    (cli_load, page_load) = _audited_loads()
    assert cli_load[1:] == (
        "rates.csv",
        {"rows": 4, "currencies": ["EUR", "GBP"], "first_day": "2024-06-01",
         "last_day": "2024-06-05"},
    )  # fmt: skip
    assert page_load == (
        "admin-user",
        "eurofxref.csv",
        {"rows": 3, "currencies": ["CHF", "JPY"], "first_day": "2024-06-03",
         "last_day": "2024-06-04"},
    )  # fmt: skip


def test_a_loaded_rate_lets_the_quarantined_orders_be_replayed(app):
    load_chf_order(9101, "2024-06-04T10:00:00Z")
    assert rate_gaps() == [
        RateGap("CHF", "1 quarantined reject without a rate (days 2024-06-04 to 2024-06-04)")
    ]
    assert waiting_for_replay() == 0
    message, gaps, _ = load_as_admin(
        app, "day,currency,rate\n2024-06-02,CHF,1.1\n2024-06-04,EUR,1.09\n"
    )
    done, waiting, link, _ = message.children
    assert done == "Loaded 2 rates for CHF, EUR from 2024-06-02 to 2024-06-04. "
    assert waiting.startswith("1 quarantined reject in these currencies now has a rate and waits")
    assert link.href == "/admin/rejects"
    assert "Every currency" in str(gaps) and "1 quarantined reject now has a rate" in str(gaps)
    assert waiting_for_replay(["EUR"]) == 0 and waiting_for_replay(["CHF"]) == 1

    replayed = replay([r.id for r in list_rejects()], actor=system())
    assert replayed.inserted == 1
    assert (waiting_for_replay(), rate_gaps()) == (0, [])


def test_orders_newer_than_their_currencys_last_rate_by_over_a_week_are_named(app):
    long_name = "r" * 200 + ".csv"  # longer than the rate's source and the audit's entity id
    message, _, grid = load_as_admin(
        app, "day,currency,rate\n2024-06-01,CHF,1.1\n2024-06-10,CHF,1.12\n", long_name
    )
    assert message.color == "success" and grid[0]["latest_source"] == "r" * 80
    load_chf_order(9102, "2024-06-12T10:00:00Z")  # loads: 2 days after a rate
    assert list_rejects() == [] and rate_gaps() == []
    # As if the order had carried its own rate: the table's last is 11 days older.
    with get_engine().begin() as conn:
        conn.execute(delete(ExchangeRate).where(ExchangeRate.day == dt.date(2024, 6, 10)))
    assert rate_gaps() == [RateGap("CHF", "orders up to 2024-06-12, last rate 2024-06-01")]
    with get_engine().begin() as conn:
        conn.execute(delete(ExchangeRate))
    assert rate_gaps() == [RateGap("CHF", "orders up to 2024-06-12, no rate stored")]


def test_a_file_with_a_wrong_row_is_refused_by_its_lines_on_both_paths(app, pg_url, tmp_path):
    before = database_state(pg_url)
    message, gaps, grid = load_as_admin(app, BAD)
    assert message.color == "danger" and (gaps, grid) == (no_update, no_update)
    assert message.children.startswith("Nothing was loaded. rates.csv: line 3: 'abc' is not")
    assert "line 4: '2024-06-31' is not a date like 2026-05-01" in message.children
    assert "line 2" not in message.children
    path = tmp_path / "rates.csv"
    path.write_text(BAD)
    out = runner.invoke(cli, ["reference", "load-fx", str(path)])
    assert out.exit_code == 2
    assert "line 3: 'abc' is not a number" in out.output and "line 4: '2024-06-31'" in out.output
    # An empty upload is refused as empty: its name never makes the server read a file.
    message, _, _ = load_as_admin(app, "", filename="/etc/hostname")
    assert message.color == "danger" and "/etc/hostname is empty" in message.children
    assert changed_tables(before, database_state(pg_url)) == []

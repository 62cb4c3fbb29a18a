"""Grid cells format numbers in the browser (d3 in AG Grid): signs judged on the digits shown,
amounts in the base currency."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import dash
import pytest
from werkzeug.serving import make_server

from analytics.metrics import format_value
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from db.settings import get_settings
from tests.browser import browser_page
from tests.browser import free_port

VALUES = [-0.01, 0.04, -1.26, 2.0, None]
AMOUNTS = [1234.567, -1234.567, None]


@contextmanager
def served_grid(columns: list[dict], rows: list[dict]):
    """A bare Dash app showing one grid, served in this process; yields its URL."""
    app = dash.Dash(__name__)
    app.layout = data_grid("numbers", columns, "numbers.csv", row_data=rows)
    server = make_server("127.0.0.1", free_port(), app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def shown_cells(site: str, fields: tuple[str, ...], n: int) -> dict[str, list[str]]:
    """The text of the grid's first ``n`` cells of each field, as the browser shows them."""
    with browser_page() as page:
        page.goto(site)
        page.wait_for_selector(f".ag-row[row-index='{n - 1}'] [col-id='{fields[-1]}']")
        return {
            field: [
                page.inner_text(f".ag-row[row-index='{i}'] [col-id='{field}']") for i in range(n)
            ]
            for field in fields
        }


@pytest.fixture(scope="module")
def grid_site():
    """One grid of signed columns."""
    rows = [{"n": i, "signed": v, "points": v} for i, v in enumerate(VALUES)]
    columns = [
        column("n", "Row"),
        column("signed", "Signed", "signed"),
        column("points", "Points", "pct_points"),
    ]
    with served_grid(columns, rows) as site:
        yield site


def test_signed_cells_read_plus_minus_zero_when_the_digits_shown_are_zero(grid_site):
    shown = shown_cells(grid_site, ("signed", "points"), len(VALUES))
    assert shown["signed"] == ["±0.0", "±0.0", "−1.3", "+2.0", "—"]
    assert shown["points"] == ["±0.0%", "±0.0%", "−1.3%", "+2.0%", "—"]


@pytest.fixture
def base_currency(monkeypatch):
    """Set ``CHANNELPERF_BASE_CURRENCY`` for one test."""

    def use(code: str) -> None:
        monkeypatch.setenv("CHANNELPERF_BASE_CURRENCY", code)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("code", "whole", "cents"),
    [
        ("EUR", ["€1,235", "−€1,235", "—"], ["€1,234.57", "−€1,234.57", "—"]),
        ("CHF", ["CHF 1,235", "−CHF 1,235", "—"], ["CHF 1,234.57", "−CHF 1,234.57", "—"]),
        ("USD", ["$1,235", "−$1,235", "—"], ["$1,234.57", "−$1,234.57", "—"]),
    ],
)
def test_amounts_show_the_base_currency_as_the_cards_do(base_currency, code, whole, cents):
    base_currency(code)
    rows = [{"n": i, "whole": v, "cents": v} for i, v in enumerate(AMOUNTS)]
    columns = [
        column("n", "Row"),
        column("whole", "Whole", "currency"),
        column("cents", "Cents", "currency_cents"),
    ]
    with served_grid(columns, rows) as site:
        shown = shown_cells(site, ("whole", "cents"), len(AMOUNTS))
    assert shown == {"whole": whole, "cents": cents}
    # The symbol the KPI cards write (compacted there: "−€1.2k").
    card = format_value(AMOUNTS[1], "currency", code)
    assert card.removesuffix("1.2k") == whole[1].removesuffix("1,235")

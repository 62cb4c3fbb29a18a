"""Grid cells format numbers in the browser (d3 in AG Grid): signs judged on the digits shown."""

from __future__ import annotations

import threading

import dash
import pytest
from werkzeug.serving import make_server

from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from tests.browser import browser_page
from tests.browser import free_port

VALUES = [-0.01, 0.04, -1.26, 2.0, None]


@pytest.fixture(scope="module")
def grid_site():
    """A bare Dash app showing one grid of signed columns, served in this process."""
    app = dash.Dash(__name__)
    rows = [{"n": i, "signed": v, "points": v} for i, v in enumerate(VALUES)]
    app.layout = data_grid(
        "numbers",
        [
            column("n", "Row"),
            column("signed", "Signed", "signed"),
            column("points", "Points", "pct_points"),
        ],
        "numbers.csv",
        row_data=rows,
    )
    server = make_server("127.0.0.1", free_port(), app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_signed_cells_read_plus_minus_zero_when_the_digits_shown_are_zero(grid_site):
    with browser_page() as page:
        page.goto(grid_site)
        page.wait_for_selector(".ag-row[row-index='4'] [col-id='points']")
        shown = {
            field: [
                page.inner_text(f".ag-row[row-index='{i}'] [col-id='{field}']")
                for i in range(len(VALUES))
            ]
            for field in ("signed", "points")
        }
    assert shown["signed"] == ["±0.0", "±0.0", "−1.3", "+2.0", "—"]
    assert shown["points"] == ["±0.0%", "±0.0%", "−1.3%", "+2.0%", "—"]

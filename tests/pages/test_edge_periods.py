"""Data ending on a quarter's first day: the pages open on the last complete quarter (saying
so beside the period picker), and no channel's share is below 0 % or above 100 % even on the
one-day quarter, where refunds outweigh a channel's sales.

The data: a year of demo orders ending on 1 July (reporting in New York time, the demo's
westernmost zone, so no order spills into 2 July), and one hand-made wholesale order of
June refunded in full on 1 July, loaded through the loader."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from analytics.contribution import share_over_time
from analytics.contribution import underperformers
from analytics.periods import Period
from analytics.rollup import data_range
from analytics.rollup import rollup_sums
from analytics.views.overview import build_overview
from dashapp.components.filters import MIN_CURRENT_DAYS
from dashapp.components.filters import opening_preset
from dashapp.components.url_state import read_view
from db.engine import get_engine
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.canonical import to_order_batch
from ingestion.loader import load_orders
from ingestion.mapping import DEFAULT_RULES
from tests.conftest import load_demo
from tests.layout_tree import component_in

pytestmark = pytest.mark.postgres
LAST_DAY = dt.date(2026, 7, 1)  # the first day of Q3
Q2 = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
ONE_DAY = Period(LAST_DAY, LAST_DAY)
TZ = "America/New_York"
PAYLOAD = {"id": "edge-1"}
REFUNDED = parse(
    CanonicalOrder,
    {
        "source_system": "sap",
        "source_instance": "erp",
        "source_order_id": "edge-1",
        "source_version": 2,
        "source_updated_at": "2026-07-01T15:00:00Z",
        "ordered_at": "2026-06-15T15:00:00Z",
        "touchpoint_fields": {"DistributionChannel": "10"},
        "status": "refunded",
        "currency": "USD",
        "subtotal": "50000.00",
        "total": "50000.00",
        "refunds": [
            {"source_refund_id": "R1", "refunded_at": "2026-07-01T15:00:00Z", "amount": "50000"}
        ],
        "payload": PAYLOAD,
        "payload_sha256": payload_sha256(PAYLOAD),
    },
)


@pytest.fixture(scope="module")
def edge_db(tmp_path_factory):
    from db.migrate import upgrade
    from db.settings import get_settings
    from tests.conftest import create_database
    from tests.conftest import drop_database

    url = create_database("cp_edge")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHANNELPERF_DATABASE_URL", url)
        patch.setenv("CHANNELPERF_REPORTING_TZ", TZ)
        get_settings.cache_clear()
        upgrade(url)
        load_demo(url, n_orders=6000, seed=3, years=1, end=LAST_DAY)
        with get_engine(url).begin() as conn:
            load_orders(conn, to_order_batch([REFUNDED], DEFAULT_RULES))
    get_settings.cache_clear()
    yield url
    drop_database(url)


@pytest.fixture
def edge(edge_db, use_database, monkeypatch):
    use_database(edge_db, reporting_tz=TZ)
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    return edge_db


def test_the_default_period_is_the_last_complete_quarter_with_a_note(edge):
    first, last = data_range()
    assert last == LAST_DAY
    view = read_view({}, first, last, "quarter")
    assert (view.preset, view.period) == ("last_quarter", Q2)
    assert "Showing last quarter" in view.note and "only 1 day of data" in view.note
    # A page whose default is not "this quarter" is left alone, and so is a longer quarter.
    assert read_view({}, first, last, "last_365").note is None
    longer = LAST_DAY + dt.timedelta(days=MIN_CURRENT_DAYS - 1)
    assert opening_preset("quarter", longer) == ("quarter", None)
    assert opening_preset("quarter", longer - dt.timedelta(days=1))[0] == "last_quarter"
    # Asked for explicitly, this quarter is still the one day.
    asked = read_view({"preset": "quarter"}, first, last, "quarter")
    assert (asked.preset, asked.period, asked.note) == ("quarter", ONE_DAY, None)


@pytest.mark.parametrize("period", [ONE_DAY, Q2], ids=["one-day quarter", "default period"])
@pytest.mark.parametrize("level", ["category", "touchpoint"])
def test_no_share_is_below_0_or_above_100_percent(edge, period, level):
    sums = rollup_sums(period, (level,))
    if period == ONE_DAY:  # the edge this test is about: refunds outweigh some sales
        net = sums.set_index(level)["revenue"]
        assert net["wholesale" if level == "category" else "b2b_portal"] < 0, net
    expected = sums.set_index(level)["gross_revenue"] / sums["gross_revenue"].sum()

    shares = share_over_time(period, level)
    table = underperformers(period, level).set_index("channel")
    assert shares["share"].between(0, 1).all() and table["share"].between(0, 1).all()
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["share"].to_dict() == pytest.approx(expected.to_dict())
    if level == "category":  # the Overview breaks down by category when nothing is filtered
        overview = build_overview(period).by_channel.set_index("channel")["share"]
        assert overview.to_dict() == pytest.approx(expected.to_dict())
        assert overview.between(0, 1).all()
    assert shares.groupby("bucket")["share"].sum().to_numpy() == pytest.approx(1.0)
    targeted = table["share_of_targeted"].dropna()
    assert targeted.between(0, 1).all()
    if level == "category":  # the demo's revenue targets are per category
        assert targeted.sum() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def app():
    """The Dash app, created once: it registers the pages whose layouts are read."""
    from dashapp.app import create_app

    return create_app()


@pytest.mark.parametrize("page", ["overview", "contribution", "trends"])
def test_each_page_opens_on_its_period_with_the_note_beside_the_picker(edge, app, page):
    # Dash imports the pages as ``pages.<name>``: importing them again under another name
    # would register each a second time, without its layout.
    layout = sys.modules[f"pages.{page}"].layout()
    dates = component_in(layout, f"{page}-dates")
    note = component_in(layout, f"{page}-period-note")
    if page in ("overview", "contribution"):  # "this quarter to date" by default
        assert (dates.start_date, dates.end_date) == (Q2.start, Q2.end)
        assert component_in(layout, f"{page}-preset").value == "last_quarter"
        assert "only 1 day of data" in note.children
    else:  # its default, the last 12 months, is long enough
        assert note is None

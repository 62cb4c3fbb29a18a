"""The generated demo data, once per session: ``demo`` (three years, 30,000 orders) and
``busy`` (one dense year). The tests only read them."""

from __future__ import annotations

import pandas as pd
import pytest

from ingestion.demo import generate
from tests.ingestion.demo.frames import BUSY_ORDERS
from tests.ingestion.demo.frames import END
from tests.ingestion.demo.frames import N_ORDERS
from tests.ingestion.demo.frames import SEED
from tests.ingestion.demo.frames import add_local_day
from tests.ingestion.demo.frames import collect


@pytest.fixture(scope="session")
def demo() -> dict[str, pd.DataFrame]:
    data = collect(generate(N_ORDERS, SEED, END))
    add_local_day(data["orders"])
    return data


@pytest.fixture(scope="session")
def busy() -> dict[str, pd.DataFrame]:
    """One dense year, for effects that need more than a few orders a day to be seen."""
    data = collect(generate(BUSY_ORDERS, SEED, END, years=1, chunk_days=30))
    add_local_day(data["orders"])
    return data

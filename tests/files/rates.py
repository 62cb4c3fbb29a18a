"""Exchange rates stored for a test: base currency per unit of a currency on a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import insert

from db.engine import get_engine
from db.schema import ExchangeRate


def store_rates(rates: dict[tuple[str, str], str]) -> None:
    """``{(ISO day, currency): rate}`` into the exchange_rate table."""
    with get_engine().begin() as conn:
        conn.execute(
            insert(ExchangeRate.__table__),
            [
                {
                    "day": dt.date.fromisoformat(day),
                    "currency": currency,
                    "rate": Decimal(rate),
                    "source": "test",
                }
                for (day, currency), rate in rates.items()
            ],
        )

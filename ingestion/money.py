"""Exact conversions between integer minor units and decimal amounts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")


def minor_to_decimal(minor: int) -> Decimal:
    return (Decimal(int(minor)) * CENT).quantize(CENT)


def _text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def minor_to_text(minor: pd.Series) -> pd.Series:
    """'123.45' strings from integer cents, exactly (what COPY feeds into NUMERIC)."""
    return pd.Series(
        [_text(v) for v in minor.astype("int64").tolist()], index=minor.index, dtype=object
    )


def convert_minor(minor: pd.Series, fx_rate: pd.Series) -> pd.Series:
    """Amounts in base-currency cents: round half to even of amount × rate."""
    return pd.Series(
        np.rint(minor.astype("float64").to_numpy() * fx_rate.astype("float64").to_numpy()),
        index=minor.index,
    ).astype("int64")

"""Exact conversions between integer minor units and decimal amounts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")


def minor_to_decimal(minor: int) -> Decimal:
    return (Decimal(int(minor)) * CENT).quantize(CENT)


def minor_to_text(minor: pd.Series) -> pd.Series:
    """Exact decimal text from integer cents, for COPY into NUMERIC: '12345e-2' is 123.45 to
    PostgreSQL (and to ``Decimal``), and integer formatting is vectorised."""
    return minor.astype("int64").astype(str) + "e-2"


def convert_minor(minor: pd.Series, fx_rate: pd.Series) -> pd.Series:
    """Amounts in base-currency cents: round half to even of amount × rate."""
    return pd.Series(
        np.rint(minor.astype("float64").to_numpy() * fx_rate.astype("float64").to_numpy()),
        index=minor.index,
    ).astype("int64")

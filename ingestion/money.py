"""Exact conversions between integer minor units and decimal amounts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")


def minor_to_decimal(minor: int) -> Decimal:
    return (Decimal(int(minor)) * CENT).quantize(CENT)


def minor_to_text(minor: pd.Series) -> pd.Series:
    """'123.45' strings from integer cents, exactly (what COPY feeds into NUMERIC)."""
    values = minor.astype("int64")
    sign = np.where(values < 0, "-", "")
    absolute = values.abs()
    whole = (absolute // 100).astype(str)
    cents = (absolute % 100).astype(str).str.zfill(2)
    return sign + whole + "." + cents


def convert_minor(minor: pd.Series, fx_rate: pd.Series) -> pd.Series:
    """Amounts in base-currency cents: round half to even of amount × rate."""
    return pd.Series(
        np.rint(minor.astype("float64").to_numpy() * fx_rate.astype("float64").to_numpy()),
        index=minor.index,
    ).astype("int64")

"""Exact conversions between integer minor units and decimal amounts."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

CENT = Decimal("0.01")
# Cents convert to the base currency as float64 (``convert_minor``): exact up to 2^53.
EXACT_CENTS = 2**53 - 1


def minor_to_decimal(minor: int) -> Decimal:
    return (Decimal(int(minor)) * CENT).quantize(CENT)


def scaled_decimals(units: pd.Series | np.ndarray, scale: int, index=None) -> pd.Series:
    """Exact decimals of ``units`` × 10^-``scale`` (integers), as Arrow ``decimal128(18,
    scale)`` built from the integers' bits, with no Python work per value: pyarrow renders
    them for COPY ('123.45') and they read back as ``Decimal``. Formatting each integer as
    text took a fifth of a page's preparation."""
    values = np.asarray(units, dtype=np.int64)
    # A decimal128 is a little-endian 128-bit integer: the value, then its sign extended.
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    array = pa.Array.from_buffers(
        pa.decimal128(18, scale), len(values), [None, pa.py_buffer(words)]
    )
    if index is None and isinstance(units, pd.Series):
        index = units.index
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index)


def minor_to_amount(minor: pd.Series | np.ndarray, index=None) -> pd.Series:
    """Exact amounts from integer cents (``scaled_decimals``), for COPY into NUMERIC."""
    return scaled_decimals(minor, 2, index)


def convert_minor(minor: pd.Series, fx_rate: pd.Series) -> pd.Series:
    """Amounts in base-currency cents: round half to even of amount × rate."""
    return pd.Series(
        np.rint(minor.astype("float64").to_numpy() * fx_rate.astype("float64").to_numpy()),
        index=minor.index,
    ).astype("int64")

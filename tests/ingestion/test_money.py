"""Exact amounts for COPY (``ingestion.money``): Arrow decimals built from integer bits must be
the same numbers as ``Decimal`` arithmetic gives, sign and scale included, and render for
COPY as plain decimal text."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st
from pyarrow import csv

from ingestion.money import minor_to_amount
from ingestion.money import scaled_decimals

LIMIT = 10**17 - 1  # NUMERIC(18, s) holds 18 digits


@given(st.lists(st.integers(-LIMIT, LIMIT), max_size=50), st.sampled_from([0, 2, 8]))
def test_scaled_decimals_are_the_integers_times_ten_to_minus_scale(units, scale):
    got = scaled_decimals(np.array(units, dtype=np.int64), scale).tolist()
    assert got == [Decimal(u).scaleb(-scale) for u in units]


def test_amounts_keep_the_series_index_and_render_for_copy_as_decimal_text():
    cents = pd.Series([12345, -5, 0, 100, -987654321], index=[7, 3, 9, 1, 0])
    amounts = minor_to_amount(cents)
    assert list(amounts.index) == [7, 3, 9, 1, 0]
    buffer = io.BytesIO()
    csv.write_csv(
        pa.Table.from_pandas(pd.DataFrame({"amount": amounts}), preserve_index=False),
        buffer,
        csv.WriteOptions(include_header=False),
    )
    assert buffer.getvalue().decode().split() == [
        "123.45",
        "-0.05",
        "0.00",
        "1.00",
        "-9876543.21",
    ]

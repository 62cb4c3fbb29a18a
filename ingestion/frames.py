"""Turning DataFrames into plain Python rows for the database driver."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd


def _column_values(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        values = series.dt.to_pydatetime().tolist()
    else:
        values = series.tolist()
    missing = series.isna().to_numpy()
    if missing.any():
        values = [None if gone else value for value, gone in zip(values, missing, strict=True)]
    return values


def frame_rows(frame: pd.DataFrame, columns: Sequence[str]) -> Iterator[tuple]:
    """Rows as tuples of Python values (None for missing), in ``columns`` order."""
    return zip(*(_column_values(frame[c]) for c in columns), strict=True)

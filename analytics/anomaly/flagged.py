"""Anomalies in a metric series read from a file: the points one of the detectors flags.

The file is a CSV, or JSON lines / JSON records for ``.jsonl`` / ``.json``; bad input raises
AnalyticsError saying what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.anomaly.band import expected_band
from analytics.anomaly.series import infer_period
from analytics.anomaly.shesd import shesd_flags
from analytics.errors import AnalyticsError

OUTPUT_COLUMNS = ["timestamp", "observed", "expected", "lower", "upper", "direction"]


def read_series(path: Path, time_col: str, value_col: str) -> pd.Series:
    """The ``value_col`` of the file indexed by ``time_col``; AnalyticsError on any bad input."""
    if not path.is_file():
        raise AnalyticsError(f"no such file: {path}")
    try:
        if path.suffix.lower() == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif path.suffix.lower() == ".json":
            text = path.read_text(encoding="utf-8").lstrip()
            frame = pd.read_json(path, lines=not text.startswith("["), dtype=False)
        else:
            frame = pd.read_csv(path, dtype={time_col: str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AnalyticsError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in (time_col, value_col) if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"{path} has no column {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, frame.columns))}"
        )
    try:
        timestamps = pd.to_datetime(frame[time_col].astype(str), format="mixed")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError(f"column {time_col!r} has a value that is not a date: {exc}") from exc
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = values.isna() & frame[value_col].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise AnalyticsError(
            f"column {value_col!r} has a value that is not a number: "
            f"{frame[value_col].iloc[row]!r} (row {row + 1})"
        )
    index = pd.DatetimeIndex(timestamps)
    return pd.Series(values.to_numpy(dtype=float), index=index, name=value_col)


def flagged_points(
    y: pd.Series,
    method: str,
    period: int | None,
    max_anoms: float,
    direction: str,
    alpha: float,
    k: float,
) -> pd.DataFrame:
    """The anomalous points as ``timestamp, observed, expected, lower, upper, direction``:
    ``method`` ``band`` (the learned expected band) or ``shesd``; ``direction`` ``both``,
    ``pos`` or ``neg``."""
    if method == "band":
        flags = expected_band(y, period=period, k=k)
    else:
        if period is None:
            period = infer_period(y.index)
            if period == 1:
                raise AnalyticsError("no seasonal period follows from the spacing; give --period")
        flags = shesd_flags(y, period, max_anoms=max_anoms, alpha=alpha, direction=direction)
        flags = flags.assign(lower=float("nan"), upper=float("nan"))
    flagged = flags[flags["is_anomaly"]]
    if direction != "both":
        flagged = flagged[flagged["direction"] == direction]
    return flagged.rename_axis("timestamp").reset_index()[OUTPUT_COLUMNS]

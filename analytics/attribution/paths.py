"""Journeys as a compact path table, and the common aggregated-path file format.

A ``PathTable`` holds many paths at once as flat arrays (as a CSR matrix holds rows): the
channel index of every step, each path's first step in ``offsets``, and per path its
conversions, conversion value and null (non-converting) count. Rows may repeat a path
(journeys straight from the touch table) or be distinct paths with counts (the aggregated
format); every model treats both alike.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError

SEPARATOR = ">"
PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")


@dataclass(frozen=True)
class PathTable:
    channels: tuple[str, ...]
    offsets: np.ndarray  # int64, n_paths + 1: path i is steps[offsets[i]:offsets[i + 1]]
    steps: np.ndarray  # int64 channel index of each step
    conversions: np.ndarray  # float64 per path
    value: np.ndarray  # float64 per path
    nulls: np.ndarray  # float64 per path: journeys of this path that did not convert
    ages: np.ndarray  # float64 per step: days before the journey's end (its conversion)

    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @cached_property
    def path_of_step(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_paths), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        """Each step's index within its path (0 for the first touch)."""
        return np.arange(len(self.steps)) - self.offsets[:-1][self.path_of_step]

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    def labels(self) -> np.ndarray:
        """Each path as ``A > B > C``."""
        names = np.array(self.channels, dtype=object)[self.steps]
        return np.array(
            [f" {SEPARATOR} ".join(names[a:b]) for a, b in itertools.pairwise(self.offsets)],
            dtype=object,
        )


def path_table(
    paths: list[list[str]] | pd.Series,
    conversions,
    value=None,
    nulls=None,
    ages: list[list[float]] | None = None,
) -> PathTable:
    """A path table from lists of channel names (and, per step, days before the end)."""
    paths = list(paths)
    lengths = np.fromiter((len(p) for p in paths), dtype=np.int64, count=len(paths))
    names = np.array([c for p in paths for c in p], dtype=object)
    flat_ages = None if ages is None else np.asarray([a for p in ages for a in p], dtype=float)
    return from_steps(names, lengths, conversions, value, nulls, flat_ages)


def from_steps(
    names: np.ndarray, lengths: np.ndarray, conversions, value=None, nulls=None, ages=None
) -> PathTable:
    """A path table from every step's channel name in path order and each path's length."""
    n = len(lengths)
    if n == 0:
        raise AnalyticsError("there are no journeys to attribute")
    if (lengths == 0).any():
        raise AnalyticsError(f"journey {int(np.argmin(lengths)) + 1} has no touches")
    codes, uniques = pd.factorize(np.asarray(names, dtype=object), sort=True)
    table = PathTable(
        channels=tuple(str(u) for u in uniques),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        steps=codes.astype(np.int64),
        conversions=_counts(conversions, n, "conversions"),
        value=_counts(value, n, "conversion value") if value is not None else np.zeros(n),
        nulls=_counts(nulls, n, "null counts") if nulls is not None else np.zeros(n),
        ages=_ages(ages, lengths),
    )
    if table.total_conversions <= 0:
        raise AnalyticsError("the journeys hold no conversions to attribute")
    return table


def _counts(values, n: int, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if len(array) != n:
        raise AnalyticsError(f"{what} has {len(array)} values for {n} paths")
    if not np.isfinite(array).all() or (array < 0).any():
        raise AnalyticsError(f"{what} must be finite and not negative")
    return array


def _ages(ages: np.ndarray | None, lengths: np.ndarray) -> np.ndarray:
    """Without times, a step's age is the number of steps before the journey's last."""
    if ages is None:
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        last = np.repeat(lengths - 1, lengths)
        return (last - (np.arange(lengths.sum()) - starts)).astype(float)
    if len(ages) != lengths.sum():
        raise AnalyticsError("ages must give one value per touch")
    return np.asarray(ages, dtype=float)


def read_paths(source: Path | str) -> PathTable:
    """The aggregated-path format: one row per distinct path, ``path`` as ``A > B > C``,
    ``total_conversions``, and optionally ``total_conversion_value`` and ``total_null``;
    fields separated by ``,`` or ``;`` (detected from the header)."""
    path = Path(source)
    if not path.is_file():
        raise AnalyticsError(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnalyticsError(f"{path.name} is not UTF-8 text: {exc}") from None
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise AnalyticsError(f"{path.name} is empty")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype={"path": str}, quoting=csv.QUOTE_MINIMAL
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise AnalyticsError(f"cannot read {path.name}: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return paths_from_frame(frame, path.name)


def paths_from_frame(frame: pd.DataFrame, name: str = "the paths") -> PathTable:
    missing = [c for c in PATH_COLUMNS[:2] if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"{name} has no column {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(repr, frame.columns))}"
        )
    if frame.empty:
        raise AnalyticsError(f"{name} has no paths")
    numbers = {}
    for column in PATH_COLUMNS[1:]:
        if column not in frame.columns:
            numbers[column] = np.zeros(len(frame))
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise AnalyticsError(
                f"{name} row {row + 2}: {column} must be a non-negative number, "
                f"got {frame[column].iloc[row]!r}"
            )
        numbers[column] = values.to_numpy(dtype=float)
    names, lengths = _split_paths(frame["path"].fillna("").astype(str).tolist(), name)
    return from_steps(
        names,
        lengths,
        numbers["total_conversions"],
        numbers["total_conversion_value"],
        numbers["total_null"],
    )


def _split_paths(texts: list[str], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Every step's channel name and each path's length, splitting all paths in one pass and
    trimming each distinct name once (a split per path costs seconds over a million)."""
    lengths = np.fromiter((t.count(SEPARATOR) + 1 for t in texts), dtype=np.int64, count=len(texts))
    codes, raw = pd.factorize(np.array(SEPARATOR.join(texts).split(SEPARATOR), dtype=object))
    trimmed = np.array([str(n).strip() for n in raw], dtype=object)
    names = trimmed[codes]
    empty = np.flatnonzero(trimmed == "")
    if empty.size:
        step = int(np.flatnonzero(codes == empty[0])[0])
        row = int(np.searchsorted(np.cumsum(lengths), step, side="right"))
        raise AnalyticsError(f"{name} row {row + 2}: path {texts[row]!r} has an empty channel name")
    return names, lengths


TOP_PATH_COLUMNS = ["path", "length", "journeys", "conversions", "conversion_rate", "value"]


def top_paths(table: PathTable, n: int = 20) -> pd.DataFrame:
    """The path explorer: the ``n`` most frequent paths with conversions, conversion rate
    (conversions per journey) and length."""
    frame = pd.DataFrame(
        {
            "path": table.labels(),
            "length": table.lengths,
            "journeys": table.conversions + table.nulls,
            "conversions": table.conversions,
            "value": table.value,
        }
    )
    grouped = frame.groupby("path", sort=False).agg(
        length=("length", "first"),
        journeys=("journeys", "sum"),
        conversions=("conversions", "sum"),
        value=("value", "sum"),
    )
    grouped["conversion_rate"] = grouped["conversions"] / grouped["journeys"].where(
        grouped["journeys"] > 0
    )
    grouped = grouped.sort_values(["journeys", "conversions"], ascending=False, kind="stable")
    return grouped.head(n).reset_index()[TOP_PATH_COLUMNS]

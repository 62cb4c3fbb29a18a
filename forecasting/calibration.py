"""Prediction intervals by split-conformal prediction on the rolling-origin backtest, per
horizon, and the non-negativity of measures that cannot go below zero.

A model's own interval is often too narrow (it ignores parameter and level uncertainty) or too
wide, and a combination or Croston has none worth the name. So every published interval is
``[yhat - below, yhat + above]`` where, per series, model and horizon bucket (consecutive
steps ahead, ``bucket_size`` of them so each bucket holds about ``BUCKET_SCORES`` backtest
errors), ``below`` and ``above`` are the split-conformal quantiles of the backtest's
over- and under-forecasts at the interval's tail share (10 % each side for 80 %). Errors grow
with the horizon; the buckets let the interval grow with them. Errors are measured relative
to the series' level at each fold's origin (``origin_scales``) and put back at today's level
(``rescale``): a series that has doubled since the first fold has errors about twice as
large.

``held_out_coverage`` tells how well that works on data the offsets did not see: each fold's
interval is calibrated on the other folds only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from forecasting.backtest import CUTOFF
from forecasting.backtest import MODEL
from forecasting.models.base import interval_quantiles
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y

STEP, BUCKET, SCALE = "step", "bucket", "scale"
BELOW, ABOVE = "below", "above"
BUCKET_SCORES = 40
"""Backtest errors wanted per horizon bucket: enough for a 90 % quantile to mean something.
A fold's errors move together (one origin, one level), so a bucket holds few independent
ones; with 20 the intervals covered 73 % of real series' actuals at 80 % (bench_accuracy's
series, the classical combination), with 40 — neighbouring horizons pooled — 76.5 %."""


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) × coverage)``-th smallest score
    (the largest one when that exceeds ``n``)."""
    ordered = np.sort(scores)
    rank = min(math.ceil((len(ordered) + 1) * coverage), len(ordered))
    return float(ordered[rank - 1])


def bucket_size(folds: int) -> int:
    """Steps ahead per bucket so that ``folds`` folds give about ``BUCKET_SCORES`` errors."""
    return max(1, math.ceil(BUCKET_SCORES / max(folds, 1)))


def with_steps(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``frame`` with ``step``: 1 for each group's first date, 2 for the next …"""
    out = frame.sort_values([*by, DS], kind="stable").reset_index(drop=True)
    out[STEP] = out.groupby(by, sort=False).cumcount() + 1
    return out


def grouped_conformal_quantile(
    frame: pd.DataFrame, keys: list[str], column: str, coverage: float
) -> pd.Series:
    """``conformal_quantile`` of ``column`` within each group of ``keys`` (vectorised)."""
    ordered = frame.sort_values([*keys, column], kind="stable")
    group = ordered.groupby(keys, sort=False)[column]
    size = group.transform("size").to_numpy()
    rank = np.minimum(np.ceil((size + 1) * coverage), size)
    chosen = ordered[(group.cumcount() + 1).to_numpy() == rank]
    return chosen.set_index(keys)[column]


def origin_scales(frame: pd.DataFrame, origins: Iterable, season: int) -> pd.DataFrame:
    """``unique_id, cutoff, scale``: each series' level at each origin, the mean absolute value
    of its last four weeks (daily) or last season up to it; the series' own mean absolute value
    where that is zero, and 1 where both are."""
    window = 28 if season == 7 else max(season, 4)
    rows = []
    for uid, group in frame.groupby(ID, sort=True):
        values, days = group[Y].abs(), group[DS]
        overall = float(values.mean())
        for origin in origins:
            recent = float(values[days <= origin].tail(window).mean())
            scale = recent if recent > 0 else overall if overall > 0 else 1.0
            rows.append({ID: uid, CUTOFF: pd.Timestamp(origin), SCALE: scale})
    return pd.DataFrame(rows, columns=[ID, CUTOFF, SCALE])


def rescale(offsets: pd.DataFrame, scales: pd.DataFrame) -> pd.DataFrame:
    """Offsets in units of the level (``conformal_offsets`` with scales) at the level of one
    origin (``scales``: ``unique_id, scale``)."""
    out = offsets.merge(scales[[ID, SCALE]], on=ID, how="left")
    factor = out.pop(SCALE).fillna(1.0).to_numpy()
    return out.assign(**{BELOW: out[BELOW] * factor, ABOVE: out[ABOVE] * factor})


def conformal_offsets(
    backtest: pd.DataFrame, level: int, size: int, scales: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``unique_id, model, bucket, below, above`` from backtest forecasts (``unique_id, ds,
    cutoff, model, y, yhat``), in units of each fold's origin level when ``scales`` are given
    (``origin_scales``). Offsets are at least zero, so the interval holds ``yhat``."""
    _, coverage = interval_quantiles(level)
    scored = with_steps(backtest.dropna(subset=[Y, YHAT]), [ID, MODEL, CUTOFF])
    scored[BUCKET] = (scored[STEP] - 1) // size
    error = (scored[Y] - scored[YHAT]).to_numpy()
    if scales is not None:
        error = error / scored[[ID, CUTOFF]].merge(scales, how="left")[SCALE].fillna(1.0).to_numpy()
    scored[ABOVE], scored[BELOW] = error, -error
    keys = [ID, MODEL, BUCKET]
    offsets = pd.concat(
        [grouped_conformal_quantile(scored, keys, side, coverage) for side in (BELOW, ABOVE)],
        axis=1,
    ).clip(lower=0.0)
    return (
        offsets.reset_index()[[ID, MODEL, BUCKET, BELOW, ABOVE]]
        .sort_values(keys)
        .reset_index(drop=True)
    )


def calibrate(forecasts: pd.DataFrame, offsets: pd.DataFrame, size: int) -> pd.DataFrame:
    """``forecasts`` (with ``model``) with each interval set from its series and model's offsets
    for its step ahead (steps past the backtest's horizon take its last bucket); rows without
    offsets keep their interval."""
    if offsets.empty:
        return forecasts
    last = offsets.groupby([ID, MODEL])[BUCKET].max().rename("last").reset_index()
    out = with_steps(forecasts, [ID, MODEL]).merge(last, on=[ID, MODEL], how="left")
    out[BUCKET] = np.minimum((out[STEP] - 1) // size, out["last"].fillna(0)).astype(int)
    out = out.merge(offsets, on=[ID, MODEL, BUCKET], how="left")
    known = out[BELOW].notna().to_numpy()
    out[LOWER] = np.where(known, out[YHAT] - out[BELOW], out[LOWER])
    out[UPPER] = np.where(known, out[YHAT] + out[ABOVE], out[UPPER])
    return out[forecasts.columns]


def clip_nonnegative(forecasts: pd.DataFrame, ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Forecasts of measures that cannot be negative (orders, revenue) truncated at zero: the
    point and both bounds, the upper bound kept at or above the point forecast. Truncating the
    lower bound at zero changes no coverage (no actual is below zero). ``ids`` limits it to
    those series (default: all)."""
    out = forecasts.copy()
    rows = out[ID].isin(list(ids)) if ids is not None else pd.Series(True, index=out.index)
    for column in (YHAT, LOWER, UPPER):
        if column in out.columns:
            out.loc[rows, column] = out.loc[rows, column].clip(lower=0.0)
    if UPPER in out.columns:
        out.loc[rows, UPPER] = np.maximum(out.loc[rows, UPPER], out.loc[rows, YHAT])
    return out


def held_out_coverage(
    backtest: pd.DataFrame,
    level: int,
    size: int,
    nonnegative: Iterable[str] = (),
    scales: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``unique_id, model, coverage``: the share of each fold's actuals inside an interval
    calibrated on the other folds only (none with a single fold); ``nonnegative`` series are
    truncated at zero as published."""
    folds = sorted(backtest[CUTOFF].unique())
    if len(folds) < 2:
        return pd.DataFrame(columns=[ID, MODEL, "coverage"])
    parts = []
    for cutoff in folds:
        offsets = conformal_offsets(backtest[backtest[CUTOFF] != cutoff], level, size, scales)
        if scales is not None:
            offsets = rescale(offsets, scales[scales[CUTOFF] == cutoff])
        fold = backtest[backtest[CUTOFF] == cutoff]
        parts.append(clip_nonnegative(calibrate(fold, offsets, size), nonnegative))
    scored = pd.concat(parts, ignore_index=True)
    inside = (scored[Y] >= scored[LOWER]) & (scored[Y] <= scored[UPPER])
    return inside.groupby([scored[ID], scored[MODEL]]).mean().rename("coverage").reset_index()

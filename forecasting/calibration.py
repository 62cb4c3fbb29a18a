"""Split-conformal calibration of prediction intervals from backtest forecasts.

A model's own interval is often too narrow (it ignores parameter and level uncertainty) or too
wide. Per series and model, each side's half-width is stretched by the factor that makes the
backtest's out-of-sample errors fall outside it at the interval's tail rate (10 % per side for
an 80 % interval): the scaled-residual form of split-conformal prediction, which keeps the
model's shape (wider further ahead, narrow on closed days) and fixes the overall width.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from forecasting.backtest import MODEL
from forecasting.models.base import interval_quantiles
from forecasting.series import ID, LOWER, UPPER, YHAT, Y

LOWER_SCALE, UPPER_SCALE = "lower_scale", "upper_scale"
MIN_WIDTH_SHARE = 0.1
"""A half-width is at least this share of the series' mean absolute backtest error, so a
zero-width side (a day the model is sure of) can still be scaled."""


def conformal_quantile(scores: np.ndarray, coverage: float) -> float:
    """The split-conformal quantile: the ``ceil((n + 1) × coverage)``-th smallest score
    (the largest one when that exceeds ``n``)."""
    ordered = np.sort(scores)
    rank = min(math.ceil((len(ordered) + 1) * coverage), len(ordered))
    return float(ordered[rank - 1])


def _half_widths(frame: pd.DataFrame, floor: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    minimum = frame[ID].map(floor).to_numpy()
    below = np.maximum((frame[YHAT] - frame[LOWER]).to_numpy(), minimum)
    above = np.maximum((frame[UPPER] - frame[YHAT]).to_numpy(), minimum)
    return below, above


def width_floor(backtest: pd.DataFrame) -> pd.Series:
    """The smallest half-width per series (``MIN_WIDTH_SHARE`` of its mean absolute error)."""
    error = (backtest[Y] - backtest[YHAT]).abs()
    floor = MIN_WIDTH_SHARE * error.groupby(backtest[ID]).mean()
    return floor.where(floor > 0, 1e-9)


def interval_scales(backtest: pd.DataFrame, level: int) -> pd.DataFrame:
    """``unique_id, model, lower_scale, upper_scale`` from backtest forecasts (``unique_id, ds,
    model, y, yhat, yhat_lower, yhat_upper``): the factors on each half-width that leave
    the interval's tail share of backtest actuals below it and above it."""
    tail, _ = interval_quantiles(level)
    scored = backtest.dropna(subset=[Y, YHAT, LOWER, UPPER]).reset_index(drop=True)
    floor = width_floor(scored)
    below, above = _half_widths(scored, floor)
    scored["below"] = (scored[YHAT] - scored[Y]).to_numpy() / below
    scored["above"] = (scored[Y] - scored[YHAT]).to_numpy() / above
    rows = [
        {
            ID: uid,
            MODEL: model,
            LOWER_SCALE: max(conformal_quantile(group["below"].to_numpy(), 1 - tail), 0.0),
            UPPER_SCALE: max(conformal_quantile(group["above"].to_numpy(), 1 - tail), 0.0),
        }
        for (uid, model), group in scored.groupby([ID, MODEL], sort=True)
    ]
    scales = pd.DataFrame(rows, columns=[ID, MODEL, LOWER_SCALE, UPPER_SCALE])
    return scales.merge(floor.rename("min_width").reset_index(), on=ID)


def calibrate(forecasts: pd.DataFrame, scales: pd.DataFrame) -> pd.DataFrame:
    """``forecasts`` (with ``model``) with each interval side scaled by its series and model's
    factor; rows without a factor keep their interval."""
    out = forecasts.merge(scales, on=[ID, MODEL], how="left")
    known = out[LOWER_SCALE].notna().to_numpy()
    floor = out["min_width"].fillna(0.0).to_numpy()
    below = np.maximum((out[YHAT] - out[LOWER]).to_numpy(), floor)
    above = np.maximum((out[UPPER] - out[YHAT]).to_numpy(), floor)
    lower = out[YHAT].to_numpy() - out[LOWER_SCALE].to_numpy() * below
    upper = out[YHAT].to_numpy() + out[UPPER_SCALE].to_numpy() * above
    out[LOWER] = np.where(known, lower, out[LOWER])
    out[UPPER] = np.where(known, upper, out[UPPER])
    return out.drop(columns=[LOWER_SCALE, UPPER_SCALE, "min_width"])[forecasts.columns]

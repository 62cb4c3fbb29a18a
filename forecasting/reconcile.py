"""Coherent forecasts over a hierarchy: touchpoints add up to their category, categories to
the total.

Every method maps the base forecasts ``ŷ`` (one per series, each level forecast on its own)
to bottom-level forecasts ``b``, and publishes ``S b``, with ``S`` the summing matrix (a row
per series, a column per bottom series): so the reconciled forecasts add up exactly.

* ``bottom_up``: ``b`` is the bottom series' own forecasts;
* ``top_down``: the total's forecast split by each bottom series' share of the total over
  the recent history (``SHARE_PERIODS``);
* the minimum-trace family (Wickramasuriya, Athanasopoulos & Hyndman 2019),
  ``b = (S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ``, as R's ``hts`` and ``fable`` offer it, by what ``W`` is:
  ``ols`` the identity (Hyndman et al. 2011), ``wls_struct`` the number of bottom series
  each series sums (Athanasopoulos et al. 2017), ``wls_var`` the base forecasts' backtest
  error variances, and ``mint_shrink`` their whole covariance shrunk towards its diagonal
  (Schäfer & Strimmer's intensity). The first two estimate nothing, which is what a
  hierarchy with more series than backtest errors may need; the last two weigh each series
  by how well it has been forecast.

For measures that cannot be negative, negative bottom forecasts are set to zero before
summing up. Which method publishes is chosen per hierarchy on the backtest
(``reconciled_backtest``): each fold is reconciled with what was known without that fold.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import metrics
from forecasting.backtest import CUTOFF
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import YHAT
from forecasting.series import Y

SHARE_PERIODS = 364
"""Top-down splits the total by each series' share of the last year (of days)."""


@dataclass(frozen=True)
class Hierarchy:
    """Bottom series and, per aggregate series, the bottom series it sums."""

    bottom: tuple[str, ...]
    aggregates: dict[str, tuple[str, ...]]

    @property
    def ids(self) -> list[str]:
        return [*self.aggregates, *self.bottom]

    @property
    def top(self) -> str:
        """The aggregate that sums every bottom series."""
        return next(a for a, parts in self.aggregates.items() if set(parts) == set(self.bottom))

    def summing_matrix(self) -> np.ndarray:
        column = {uid: j for j, uid in enumerate(self.bottom)}
        rows = [
            np.eye(len(self.bottom))[[column[p] for p in parts]].sum(axis=0)
            for parts in self.aggregates.values()
        ]
        return np.vstack([*rows, np.eye(len(self.bottom))]) if rows else np.eye(len(self.bottom))


def shrunk_covariance(errors: np.ndarray) -> np.ndarray:
    """Covariance of ``errors`` (samples × series, uncentred) shrunk towards its diagonal."""
    n = errors.shape[0]
    covariance = errors.T @ errors / n
    sd = np.sqrt(np.diag(covariance))
    sd = np.where(sd > 0, sd, 1.0)
    scaled = errors / sd
    variance = (1 / (n * (n - 1))) * ((scaled**2).T @ (scaled**2) - (scaled.T @ scaled) ** 2 / n)
    correlation = covariance / np.outer(sd, sd)
    off = ~np.eye(len(sd), dtype=bool)
    denominator = float((correlation[off] ** 2).sum())
    intensity = float(np.clip(variance[off].sum() / denominator, 0, 1)) if denominator else 1.0
    shrunk = intensity * np.diag(np.diag(covariance)) + (1 - intensity) * covariance
    return shrunk + np.eye(len(sd)) * 1e-9 * max(float(np.diag(covariance).mean()), 1e-12)


def bottom_up(hierarchy: Hierarchy, base: np.ndarray, **_) -> np.ndarray:
    return base[len(hierarchy.aggregates) :]


def top_down(hierarchy: Hierarchy, base: np.ndarray, shares: np.ndarray, **_) -> np.ndarray:
    return shares[:, None] * base[hierarchy.ids.index(hierarchy.top)][None, :]


def min_trace(hierarchy: Hierarchy, base: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bottom forecasts ``(S' W⁻¹ S)⁻¹ S' W⁻¹ ŷ`` for the error covariance ``weights`` (W)."""
    summing = hierarchy.summing_matrix()
    precision = np.linalg.pinv(weights)
    return np.linalg.pinv(summing.T @ precision @ summing) @ summing.T @ precision @ base


def ols(hierarchy: Hierarchy, base: np.ndarray, **_) -> np.ndarray:
    return min_trace(hierarchy, base, np.eye(len(hierarchy.ids)))


def wls_struct(hierarchy: Hierarchy, base: np.ndarray, **_) -> np.ndarray:
    return min_trace(hierarchy, base, np.diag(hierarchy.summing_matrix().sum(axis=1)))


def wls_var(hierarchy: Hierarchy, base: np.ndarray, errors: np.ndarray, **_) -> np.ndarray:
    """W: the error variances, which are the diagonal of ``shrunk_covariance`` (shrinking
    keeps the diagonal, with its floor for a series never wrong)."""
    return min_trace(hierarchy, base, np.diag(np.diag(shrunk_covariance(errors))))


def mint_shrink(hierarchy: Hierarchy, base: np.ndarray, errors: np.ndarray, **_) -> np.ndarray:
    return min_trace(hierarchy, base, shrunk_covariance(errors))


METHODS: dict[str, Callable[..., np.ndarray]] = {
    "bottom_up": bottom_up,
    "top_down": top_down,
    "ols": ols,
    "wls_struct": wls_struct,
    "wls_var": wls_var,
    "mint_shrink": mint_shrink,
}
ERROR_WEIGHTED = ("wls_var", "mint_shrink")
"""Methods weighing the series by their backtest errors."""


def reconcile_matrix(
    hierarchy: Hierarchy, method: str, base: np.ndarray, nonnegative: bool, **inputs
) -> np.ndarray:
    """Reconciled forecasts (series in ``hierarchy.ids`` order × steps) from base ones."""
    bottom = METHODS[method](hierarchy, base, **inputs)
    if nonnegative:
        bottom = np.maximum(bottom, 0.0)
    return hierarchy.summing_matrix() @ bottom


def shares(hierarchy: Hierarchy, history: pd.DataFrame) -> np.ndarray:
    """Each bottom series' share of the total over the last ``SHARE_PERIODS`` periods."""
    recent = history[history[DS] > history[DS].max() - pd.Timedelta(days=SHARE_PERIODS)]
    sums = recent.groupby(ID)[Y].sum().reindex(list(hierarchy.bottom), fill_value=0.0)
    total = float(sums.sum())
    return (sums / total).to_numpy() if total else np.full(len(sums), 1 / len(sums))


def reconcile_frame(
    hierarchy: Hierarchy,
    method: str,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    errors: pd.DataFrame,
    nonnegative: bool,
) -> pd.DataFrame:
    """``forecasts`` (``unique_id, ds, yhat`` + other columns, every hierarchy series) with
    ``yhat`` reconciled; ``errors`` are backtest errors (``cutoff, ds`` × series columns)."""
    ids = hierarchy.ids
    base = forecasts.pivot(index=ID, columns=DS, values=YHAT).loc[ids]
    matrix = reconcile_matrix(
        hierarchy,
        method,
        base.to_numpy(),
        nonnegative,
        shares=shares(hierarchy, history),
        errors=errors[ids].to_numpy() if method in ERROR_WEIGHTED else None,
    )
    reconciled = pd.DataFrame(matrix, index=base.index, columns=base.columns)
    values = reconciled.stack().rename("reconciled").reset_index()
    out = forecasts.merge(values, on=[ID, DS], how="left")
    return out.assign(**{YHAT: out.pop("reconciled")})[forecasts.columns]


def error_matrix(backtest: pd.DataFrame) -> pd.DataFrame:
    """Backtest errors ``y - yhat`` with one row per fold and date, one column per series."""
    errors = backtest.assign(error=backtest[Y] - backtest[YHAT])
    return errors.pivot_table(index=[CUTOFF, DS], columns=ID, values="error").fillna(0.0)


def reconciled_backtest(
    hierarchy: Hierarchy,
    method: str,
    backtest: pd.DataFrame,
    history: pd.DataFrame,
    nonnegative: bool,
) -> pd.DataFrame:
    """The champions' backtest forecasts (one row per series, fold and date) reconciled fold
    by fold with what was known without that fold: shares from the history before its cutoff,
    errors from the other folds."""
    parts = []
    folds = sorted(backtest[CUTOFF].unique())
    for cutoff in folds:
        others = backtest[backtest[CUTOFF] != cutoff] if len(folds) > 1 else backtest
        parts.append(
            reconcile_frame(
                hierarchy,
                method,
                backtest[backtest[CUTOFF] == cutoff],
                history[history[DS] <= cutoff],
                error_matrix(others),
                nonnegative,
            )
        )
    return pd.concat(parts, ignore_index=True)


def mean_mase(backtest: pd.DataFrame, history: pd.DataFrame, season: int) -> float:
    """Mean MASE over series and folds (each fold scaled by its training part)."""
    values = []
    for (uid, cutoff), fold in backtest.groupby([ID, CUTOFF]):
        train = history[(history[ID] == uid) & (history[DS] <= cutoff)][Y]
        value = metrics.mase(fold[Y], fold[YHAT], train, season)
        if np.isfinite(value):
            values.append(value)
    return float(np.mean(values)) if values else float("inf")


def choose_method(
    hierarchy: Hierarchy,
    backtest: pd.DataFrame,
    history: pd.DataFrame,
    season: int,
    nonnegative: bool,
    methods: Iterable[str] = METHODS,
) -> tuple[str, dict[str, float], pd.DataFrame]:
    """The method with the lowest mean backtest MASE over the hierarchy's series, every
    method's score, and the chosen method's reconciled backtest."""
    results = {
        method: reconciled_backtest(hierarchy, method, backtest, history, nonnegative)
        for method in methods
    }
    scores = {method: mean_mase(frame, history, season) for method, frame in results.items()}
    best = min(scores, key=scores.get)
    return best, scores, results[best]

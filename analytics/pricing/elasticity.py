"""Own-price elasticity from log-log demand models: ``log q = a + ε·log p + controls``.

Without an instrument the model is fitted by OLS (statsmodels); with one or more instruments
for price (a cost or tax shifter) by two-stage least squares (linearmodels' ``IV2SLS``) with
the first-stage F statistic of the excluded instruments. Standard errors are
heteroskedasticity-robust (HC1) in both, and the 95 % interval uses the t distribution.
Non-numeric controls (weekday names, seasons) enter as indicator columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from linearmodels.iv import IV2SLS

from analytics.errors import AnalyticsError

MIN_OBSERVATIONS = 20
WEAK_INSTRUMENT_F = 10.0
LEVEL = 0.95
LOG_PRICE = "log_price"
RESULT_COLUMNS = [
    "elasticity",
    "std_error",
    "ci_low",
    "ci_high",
    "method",
    "n",
    "first_stage_f",
    "warning",
]


@dataclass(frozen=True)
class Elasticity:
    elasticity: float
    std_error: float
    ci_low: float
    ci_high: float
    method: str  # ols | 2sls
    n: int
    first_stage_f: float | None
    warning: str  # "" when the estimate is usable

    @property
    def usable(self) -> bool:
        return not self.warning


def _positive(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise AnalyticsError(
            f"{what} column {column!r} must hold positive numbers (log-log model); row "
            f"{row + 1} has {_shown(frame[column].iloc[row])}"
        )
    return np.log(values.to_numpy(dtype=float))


def _shown(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _numeric(frame: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    """The columns as numbers; text columns become indicators (first level dropped)."""
    parts = []
    for column in columns:
        values = frame[column]
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise AnalyticsError(f"{what} column {column!r} is empty in row {row + 1}")
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).rename(column))
        else:
            dummies = pd.get_dummies(values.astype(str), prefix=column, drop_first=True)
            parts.append(dummies.astype(float))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def _check_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"no column {', '.join(map(repr, missing))}; the data has "
            f"{', '.join(map(repr, frame.columns))}"
        )


def _full_rank(matrix: pd.DataFrame) -> bool:
    return np.linalg.matrix_rank(matrix.to_numpy()) == matrix.shape[1]


def estimate_elasticity(
    frame: pd.DataFrame,
    price: str,
    quantity: str,
    instruments: list[str] | tuple[str, ...] = (),
    controls: list[str] | tuple[str, ...] = (),
) -> Elasticity:
    """The own-price elasticity of ``quantity`` in ``price`` (one group of observations)."""
    instruments, controls = list(instruments), list(controls)
    _check_columns(frame, [price, quantity, *instruments, *controls])
    frame = frame.reset_index(drop=True)
    n = len(frame)
    y = pd.Series(_positive(frame, quantity, "quantity"), name="log_quantity")
    log_price = pd.Series(_positive(frame, price, "price"), name=LOG_PRICE)
    exog = sm.add_constant(_numeric(frame, controls, "control"), has_constant="add")
    exog = exog.loc[:, exog.nunique() > 1].assign(const=1.0)
    parameters = exog.shape[1] + 1
    if n < max(MIN_OBSERVATIONS, parameters + 5):
        raise AnalyticsError(
            f"too few observations: {n}, the model needs at least "
            f"{max(MIN_OBSERVATIONS, parameters + 5)} for {parameters} parameters"
        )
    if np.ptp(log_price.to_numpy()) == 0:
        raise AnalyticsError(
            f"price column {price!r} does not vary: no elasticity can be estimated"
        )
    regressors = pd.concat([exog, log_price], axis=1)
    if not _full_rank(regressors):
        raise AnalyticsError("the controls explain price exactly (collinear): drop some controls")
    if not instruments:
        fit = sm.OLS(y, regressors).fit(cov_type="HC1", use_t=True)
        low, high = fit.conf_int(alpha=1 - LEVEL).loc[LOG_PRICE]
        return _result(fit.params[LOG_PRICE], fit.bse[LOG_PRICE], low, high, "ols", n, None)
    z = _numeric(frame, instruments, "instrument")
    constant = [c for c in z.columns if z[c].nunique() <= 1]
    if constant:
        raise AnalyticsError(f"instrument {constant[0]!r} does not vary, so it cannot move price")
    if not _full_rank(pd.concat([exog, z], axis=1)):
        raise AnalyticsError(
            "the instruments are collinear with the controls or each other (singular first stage)"
        )
    fit = IV2SLS(y, exog, log_price, z).fit(cov_type="robust", debiased=True)
    low, high = fit.conf_int(level=LEVEL).loc[LOG_PRICE]
    first_stage = float(fit.first_stage.diagnostics.loc[LOG_PRICE, "f.stat"])
    return _result(
        fit.params[LOG_PRICE], fit.std_errors[LOG_PRICE], low, high, "2sls", n, first_stage
    )


def _result(estimate, error, low, high, method, n, first_stage_f) -> Elasticity:
    warnings = []
    if low <= 0 <= high:
        warnings.append("the 95 % interval includes zero")
    if first_stage_f is not None and first_stage_f < WEAK_INSTRUMENT_F:
        warnings.append(f"weak instrument (first-stage F {first_stage_f:.1f} < 10)")
    if low > 0:
        warnings.append("demand rises with price here: check the data before acting")
    return Elasticity(
        elasticity=float(estimate),
        std_error=float(error),
        ci_low=float(low),
        ci_high=float(high),
        method=method,
        n=int(n),
        first_stage_f=first_stage_f,
        warning="; ".join(warnings),
    )


def elasticity_table(
    frame: pd.DataFrame,
    price: str,
    quantity: str,
    instruments: list[str] | tuple[str, ...] = (),
    controls: list[str] | tuple[str, ...] = (),
    group: str | None = None,
) -> pd.DataFrame:
    """One row per group (or one row): ``[group,] elasticity, std_error, ci_low, ci_high,
    method, n, first_stage_f, warning``. A group that cannot be estimated stops the whole
    table with its reason (nothing partial is returned)."""
    if frame.empty:
        raise AnalyticsError("the data has no rows")
    if group is None:
        result = estimate_elasticity(frame, price, quantity, instruments, controls)
        return pd.DataFrame([_row(result)], columns=RESULT_COLUMNS)
    _check_columns(frame, [group])
    rows = []
    for name, part in frame.groupby(group, sort=True, dropna=False):
        try:
            result = estimate_elasticity(part, price, quantity, instruments, controls)
        except AnalyticsError as exc:
            raise AnalyticsError(f"{group} {name!r}: {exc}") from None
        rows.append({group: name, **_row(result)})
    return pd.DataFrame(rows, columns=[group, *RESULT_COLUMNS])


def _row(result: Elasticity) -> dict:
    return {column: getattr(result, column) for column in RESULT_COLUMNS}

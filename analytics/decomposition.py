"""Why revenue moved: additive LMDI-I decomposition of revenue = traffic × conversion × AOV.

For a product V = x₁·x₂·x₃ the log-mean Divisia index (Ang 2005) gives each factor the
effect ``L(V¹, V⁰) · ln(x¹ₖ / x⁰ₖ)`` where L is the logarithmic mean; the effects add up
to V¹ − V⁰ exactly and leave no residual. Here traffic = visits, conversion =
orders / visits and AOV = revenue / orders, so V is the revenue itself.

Zeros have no logarithm. Rows follow the limits that the Ang & Liu (2007) small-value
strategy converges to, applied exactly instead of through an epsilon:

- a key present in only one state (new or gone) puts its whole change into the
  traffic effect;
- a factor that is zero in one state (e.g. visits but no orders) takes the whole
  change; two zero factors share it equally; zero in both states means no change;
- a factor undefined in one state (AOV without orders) is taken equal to its value in
  the other state, so it explains nothing.

Orders without visits, revenue without orders and negative values cannot be factorised
and raise ``AnalyticsError`` naming the keys.
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError

EFFECTS = ["traffic_effect", "conversion_effect", "aov_effect"]
TOTAL_LABEL = "Total"


@overload
def logmean(a: float, b: float) -> float: ...
@overload
def logmean(a: np.ndarray, b: np.ndarray) -> np.ndarray: ...
def logmean(a, b):
    """Logarithmic mean (a − b) / (ln a − ln b) of non-negative numbers.

    L(a, a) = a and L(a, 0) = L(0, b) = 0 (the limits); near-equal arguments use
    ``log1p`` so no precision is lost. Negative inputs give NaN.
    """
    a_arr, b_arr = np.broadcast_arrays(
        np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    )
    result = np.full(a_arr.shape, np.nan)
    positive = (a_arr > 0) & (b_arr > 0)
    equal = positive & (a_arr == b_arr)
    differ = positive & ~equal
    result[equal] = a_arr[equal]
    a_differ, b_differ = a_arr[differ], b_arr[differ]
    relative = (a_differ - b_differ) / b_differ
    log_ratio = np.where(np.abs(relative) < 0.5, np.log1p(relative), np.log(a_differ / b_differ))
    result[differ] = (a_differ - b_differ) / log_ratio
    result[((a_arr == 0) & (b_arr >= 0)) | ((b_arr == 0) & (a_arr >= 0))] = 0.0
    return float(result) if result.ndim == 0 else result


def lmdi_effects(factors_base: np.ndarray, factors_current: np.ndarray) -> np.ndarray:
    """Additive LMDI-I effects of each factor, rows × factors; rows sum to ΔΠ factors.

    Factors must be finite and non-negative; zero factors follow the limit rules in
    the module docstring.
    """
    base = np.asarray(factors_base, dtype="float64")
    current = np.asarray(factors_current, dtype="float64")
    value_base, value_current = base.prod(axis=1), current.prod(axis=1)
    change = value_current - value_base
    zero_base, zero_current = base == 0, current == 0
    positive = ~zero_base.any(axis=1) & ~zero_current.any(axis=1)
    effects = np.zeros_like(base)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratios = np.log(current[positive] / base[positive])
    effects[positive] = logmean(value_current[positive], value_base[positive])[:, None] * log_ratios
    from_zero = zero_base.any(axis=1) & ~zero_current.any(axis=1)
    to_zero = zero_current.any(axis=1) & ~zero_base.any(axis=1)
    for rows, zeros in ((from_zero, zero_base), (to_zero, zero_current)):
        share = zeros[rows] / zeros[rows].sum(axis=1, keepdims=True)
        effects[rows] = change[rows, None] * share
    return effects


def decompose_revenue(
    base: pd.DataFrame, current: pd.DataFrame, key: str = "channel", total: bool = False
) -> pd.DataFrame:
    """Split each key's revenue change from ``base`` to ``current`` into three effects.

    Inputs have columns ``key, visits, orders, revenue`` (several rows per key are
    summed, so daily rollups can be passed as they are). Returns one row per key with
    ``revenue_base, revenue_current, change, traffic_effect, conversion_effect,
    aov_effect, status`` (``continuing``, ``new`` or ``gone``), the effects summing to
    ``change``; ``total=True`` appends a ``Total`` row of the column sums. Money
    becomes float here: these are estimates for display, not ledger amounts.
    """
    states = [
        _summed(frame, key, ["visits", "orders", "revenue"], name)
        for frame, name in ((base, "base"), (current, "current"))
    ]
    base_state, current_state = states[0].add_suffix("_base"), states[1].add_suffix("_current")
    joined = base_state.join(current_state, how="outer").fillna(0.0)
    for suffix in ("_base", "_current"):
        _check_factorisable(joined, suffix, key)
    factors = {suffix: _revenue_factors(joined, suffix) for suffix in ("_base", "_current")}
    _fill_undefined_aov(factors["_base"], factors["_current"])
    return _effects_table(
        joined["revenue_base"].to_numpy(),
        joined["revenue_current"].to_numpy(),
        factors["_base"],
        factors["_current"],
        present_base=_present(joined, "_base"),
        present_current=_present(joined, "_current"),
        index=joined.index,
        total=total,
    )


def decompose_target_variance(
    actual: pd.DataFrame, target: pd.DataFrame, key: str = "channel", total: bool = False
) -> pd.DataFrame:
    """Split each key's variance to target (actual − target revenue) into three effects.

    ``actual`` has ``key, visits, orders, revenue``; ``target`` has ``key,
    revenue_target, conversion_target, aov_target`` (conversion as a fraction). The
    target traffic is the one the targets imply: revenue_target / (conversion_target ×
    aov_target). Returns the columns of ``decompose_revenue`` with ``revenue_base``
    renamed ``revenue_target``, ``revenue_current`` renamed ``revenue_actual`` and
    ``change`` renamed ``variance``; ``status`` is ``new`` for a key without a target
    and ``gone`` for a target without actuals.
    """
    actuals = _summed(actual, key, ["visits", "orders", "revenue"], "actual")
    if key in target.columns and target[key].duplicated().any():
        raise AnalyticsError(f"target has several rows for one {key}; give one target per {key}")
    targets = _summed(target, key, ["revenue_target", "conversion_target", "aov_target"], "target")
    joined = actuals.join(targets, how="outer").fillna(0.0)
    _check_factorisable(joined.rename(columns=lambda c: f"{c}_actual"), "_actual", key)
    revenue_target = joined["revenue_target"].to_numpy()
    conversion_target = joined["conversion_target"].to_numpy()
    aov_target = joined["aov_target"].to_numpy()
    impossible = (revenue_target > 0) & ((conversion_target <= 0) | (aov_target <= 0))
    if impossible.any():
        raise AnalyticsError(
            f"revenue target without a positive conversion and AOV target for {key} "
            f"{', '.join(map(str, joined.index[impossible]))}"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        traffic_target = np.where(
            revenue_target > 0, revenue_target / (conversion_target * aov_target), 0.0
        )
    target_factors = np.column_stack(
        [
            traffic_target,
            np.where(revenue_target > 0, conversion_target, 0.0),
            np.where(revenue_target > 0, aov_target, np.nan),
        ]
    )
    actual_factors = _revenue_factors(joined.rename(columns=lambda c: f"{c}_actual"), "_actual")
    _fill_undefined_aov(target_factors, actual_factors)
    table = _effects_table(
        revenue_target,
        joined["revenue"].to_numpy(),
        target_factors,
        actual_factors,
        present_base=revenue_target > 0,
        present_current=_present(joined.rename(columns=lambda c: f"{c}_actual"), "_actual"),
        index=joined.index,
        total=total,
    )
    return table.rename(
        columns={
            "revenue_base": "revenue_target",
            "revenue_current": "revenue_actual",
            "change": "variance",
        }
    )


def _summed(frame: pd.DataFrame, key: str, columns: list[str], name: str) -> pd.DataFrame:
    """One row per key with ``columns`` summed, checked for presence and sign."""
    missing = {key, *columns} - set(frame.columns)
    if missing:
        raise AnalyticsError(f"{name} lacks column(s) {', '.join(sorted(missing))}")
    values = frame[columns].astype("float64")
    if (values < 0).to_numpy().any():
        raise AnalyticsError(f"{name} has negative values; cannot decompose")
    return values.groupby(frame[key].to_numpy()).sum().rename_axis(key)


def _check_factorisable(joined: pd.DataFrame, suffix: str, key: str) -> None:
    visits, orders, revenue = (joined[f"{c}{suffix}"] for c in ("visits", "orders", "revenue"))
    for bad, what in (
        ((visits == 0) & (orders > 0), "orders without visits"),
        ((orders == 0) & (revenue > 0), "revenue without orders"),
    ):
        if bad.any():
            keys = ", ".join(map(str, joined.index[bad.to_numpy()]))
            raise AnalyticsError(f"{what} for {key} {keys}; conversion or AOV is undefined")


def _present(joined: pd.DataFrame, suffix: str) -> np.ndarray:
    return (joined[f"visits{suffix}"] > 0).to_numpy() | (joined[f"revenue{suffix}"] > 0).to_numpy()


def _revenue_factors(joined: pd.DataFrame, suffix: str) -> np.ndarray:
    """traffic, conversion, AOV per row; conversion 0 without visits, AOV NaN without orders."""
    visits = joined[f"visits{suffix}"].to_numpy()
    orders = joined[f"orders{suffix}"].to_numpy()
    revenue = joined[f"revenue{suffix}"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.where(visits > 0, orders / visits, 0.0)
        aov = np.where(orders > 0, revenue / orders, np.nan)
    return np.column_stack([visits, conversion, aov])


def _fill_undefined_aov(base: np.ndarray, current: np.ndarray) -> None:
    """An AOV undefined in one state takes the other state's value (1 if both undefined)."""
    base_aov, current_aov = base[:, 2], current[:, 2]
    base[:, 2] = np.where(np.isnan(base_aov), np.nan_to_num(current_aov, nan=1.0), base_aov)
    current[:, 2] = np.where(np.isnan(current_aov), base[:, 2], current_aov)


def _effects_table(
    revenue_base: np.ndarray,
    revenue_current: np.ndarray,
    factors_base: np.ndarray,
    factors_current: np.ndarray,
    present_base: np.ndarray,
    present_current: np.ndarray,
    index: pd.Index,
    total: bool,
) -> pd.DataFrame:
    change = revenue_current - revenue_base
    continuing = present_base & present_current
    effects = np.zeros((len(index), 3))
    effects[continuing] = lmdi_effects(factors_base[continuing], factors_current[continuing])
    effects[~continuing, 0] = change[~continuing]
    status = np.where(continuing, "continuing", np.where(present_current, "new", "gone"))
    status = np.where(~present_base & ~present_current, "continuing", status)
    table = pd.DataFrame(
        {"revenue_base": revenue_base, "revenue_current": revenue_current, "change": change},
        index=index,
    )
    table[EFFECTS] = effects
    table["status"] = status
    table = table.reset_index()
    if total:
        sums = table[["revenue_base", "revenue_current", "change", *EFFECTS]].sum()
        total_row = pd.DataFrame([{index.name: TOTAL_LABEL, **sums.to_dict(), "status": "total"}])
        table = pd.concat([table, total_row], ignore_index=True)
    return table

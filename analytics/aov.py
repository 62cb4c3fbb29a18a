"""Average order value: which channels deviate, and what in the basket moved it.

A deviation is a Mann–Whitney U test on the order-value distributions (two-sided,
Benjamini–Hochberg adjusted across channels) *and* a relative AOV change of at least
``min_effect``: significance alone flags trivial moves on big channels, size alone
flags noise on small ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from analytics.decomposition import lmdi_effects
from analytics.decomposition import logmean
from analytics.errors import AnalyticsError

MIN_ORDERS = 2


def aov_deviation_flags(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    alpha: float = 0.01,
    min_effect: float = 0.05,
    key: str = "channel",
    totals: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Per channel: does its AOV deviate from its own baseline, and from its peers now?

    Inputs have columns ``key, order_value``: one row per order, or, with an ``orders``
    column, that many orders of that value (a histogram) and, with a ``revenue`` column,
    their exact total (the AOV then comes from it, not from the binned values). Returns one row
    per key with ``orders_current, orders_baseline, aov_current, aov_baseline,
    change_pct`` (percentage points), ``p_baseline`` (raw) and ``p_baseline_adjusted``
    (BH across keys), ``deviates_from_baseline``, ``direction`` (``up``/``down``/
    ``none``), then the same against the other keys' orders pooled in the current
    period: ``aov_peers, peer_diff_pct, p_peers, p_peers_adjusted,
    deviates_from_peers, peer_direction``. Each family of tests is adjusted on its
    own; keys with fewer than two orders on either side get no test (NaN, no flag).

    When the inputs are samples, ``totals`` (current, baseline) gives the whole
    population: frames indexed by key with ``orders`` and ``revenue``. The order counts,
    AOVs and changes then come from them, and only the tests from the samples.
    """
    now = _order_values(current, key, "current")
    before = _order_values(baseline, key, "baseline")
    if totals:
        now_totals, before_totals = (_totals_of(frame) for frame in totals)
    else:
        now_totals, before_totals = (_sample_totals(values) for values in (now, before))
    everyone = np.sum(list(now_totals.values()), axis=0) if now_totals else np.zeros(2)
    keys = sorted(set(now) | set(before), key=str)
    rows = []
    for name in keys:
        own, past = now.get(name, _NO_ORDERS), before.get(name, _NO_ORDERS)
        peers = _pooled([values for other, values in now.items() if other != name])
        own_totals = now_totals.get(name, np.zeros(2))
        past_totals = before_totals.get(name, np.zeros(2))
        rows.append(
            {
                key: name,
                "orders_current": int(own_totals[0]),
                "orders_baseline": int(past_totals[0]),
                "aov_current": _aov(own_totals),
                "aov_baseline": _aov(past_totals),
                "p_baseline": _mann_whitney(own, past),
                "aov_peers": _aov(everyone - own_totals),
                "p_peers": _mann_whitney(own, peers),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            key,
            "orders_current",
            "orders_baseline",
            "aov_current",
            "aov_baseline",
            "p_baseline",
            "aov_peers",
            "p_peers",
        ],
    )
    table["change_pct"] = (table["aov_current"] / table["aov_baseline"] - 1) * 100
    table["peer_diff_pct"] = (table["aov_current"] / table["aov_peers"] - 1) * 100
    for family, effect, flag, direction in (
        ("p_baseline", "change_pct", "deviates_from_baseline", "direction"),
        ("p_peers", "peer_diff_pct", "deviates_from_peers", "peer_direction"),
    ):
        table[f"{family}_adjusted"] = _benjamini_hochberg(table[family].to_numpy(dtype="float64"))
        table[flag] = (table[f"{family}_adjusted"] < alpha) & (
            table[effect].abs() >= min_effect * 100
        )
        table[direction] = np.where(table[flag], np.where(table[effect] > 0, "up", "down"), "none")
    return table[
        [
            key,
            "orders_current",
            "orders_baseline",
            "aov_current",
            "aov_baseline",
            "change_pct",
            "p_baseline",
            "p_baseline_adjusted",
            "deviates_from_baseline",
            "direction",
            "aov_peers",
            "peer_diff_pct",
            "p_peers",
            "p_peers_adjusted",
            "deviates_from_peers",
            "peer_direction",
        ]
    ]


BASKET_EFFECTS = [
    "units_per_order_effect",
    "price_per_unit_effect",
    "mix_effect",
    "within_category_price_effect",
]


def basket_drivers(
    current: pd.DataFrame, baseline: pd.DataFrame, key: str = "channel"
) -> pd.DataFrame:
    """Decompose each key's AOV change into basket size, category mix and price.

    Inputs have columns ``key, product_category, orders, units, revenue`` (line-level
    or aggregated; rows are summed). A key's order count is the sum of ``orders``
    over its rows, so in category-level aggregates ``orders`` must be the orders
    *attributed* to the category (summing to the key's orders), not the orders that
    contain it; with an ``order_id`` column the distinct order ids are counted instead.

    Method (two-level LMDI-I, every step exact):

    1. AOV = units per order × price per unit (R/O = U/O · R/U); LMDI splits
       ΔAOV into ``units_per_order_effect`` + ``price_per_unit_effect``.
    2. Price per unit is a unit-share weighted sum over categories,
       R/U = Σ_c s_c · p_c with s_c = u_c/U and p_c = r_c/u_c; LMDI on each term
       splits Δ(R/U) into a mix part Σ L(s_c p_c) ln(s¹/s⁰) and a within-category
       price part Σ L(s_c p_c) ln(p¹/p⁰); a category present in one state only is
       all mix.
    3. Both parts are scaled by L(AOV¹, AOV⁰) / L(ppu¹, ppu⁰), which turns Δ(R/U)
       into exactly the ``price_per_unit_effect`` of step 1, giving ``mix_effect``
       + ``within_category_price_effect`` = ``price_per_unit_effect``.

    Returns one row per key with ``aov_base, aov_current, aov_change`` and the four
    effects (``units_per_order_effect + price_per_unit_effect = aov_change``). Keys
    without orders in one state have status ``new``/``gone`` and NaN effects.
    """
    states = ((baseline, "baseline"), (current, "current"))
    for frame, name in states:
        _check_basket(frame, key, name)
    both = pd.concat([frame for frame, _ in states], ignore_index=True)
    key_codes, keys = pd.factorize(both[key], sort=True)
    category_codes, categories = pd.factorize(both["product_category"], sort=True)
    # Per state (baseline, current), key and product category: units and revenue.
    cell = (np.repeat([0, 1], [len(baseline), len(current)]), key_codes, category_codes)
    units = np.zeros((2, len(keys), len(categories)))
    revenue = np.zeros_like(units)
    np.add.at(units, cell, both["units"].to_numpy(dtype="float64"))
    np.add.at(revenue, cell, both["revenue"].to_numpy(dtype="float64"))
    orders = np.stack(
        [_key_orders(frame, key, name).reindex(keys).to_numpy() for frame, name in states]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        aov = np.where(orders > 0, revenue.sum(axis=2) / orders, np.nan)
    continuing = (orders[0] > 0) & (orders[1] > 0)
    effects = np.full((len(keys), len(BASKET_EFFECTS)), np.nan)
    if continuing.any():
        effects[continuing] = _basket_effects(
            units[:, continuing], revenue[:, continuing], orders[:, continuing]
        )
    table = pd.DataFrame(
        {key: keys, "aov_base": aov[0], "aov_current": aov[1], "aov_change": aov[1] - aov[0]}
    )
    table[BASKET_EFFECTS] = effects
    table["status"] = np.where(continuing, "continuing", np.where(orders[1] > 0, "new", "gone"))
    return table


def _basket_effects(units: np.ndarray, revenue: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """The four effects per key, from (state, key, category) units and revenue and (state,
    key) orders of keys with orders in both states."""
    key_units, key_revenue = units.sum(axis=2), revenue.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_order = np.stack(
            [key_units / orders, np.where(key_units > 0, key_revenue / key_units, 0.0)], axis=2
        )
    factors_base, factors_now = per_order
    level = lmdi_effects(factors_base, factors_now)
    mix, price = _price_per_unit_parts(units, revenue)
    price_change = mix + price
    aov_weight = logmean(factors_now.prod(axis=1), factors_base.prod(axis=1))
    ppu_weight = logmean(factors_now[:, 1], factors_base[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(
            ppu_weight > 0,
            aov_weight / ppu_weight,
            np.where(price_change != 0, level[:, 1] / price_change, 0.0),
        )
    return np.column_stack([level[:, 0], level[:, 1], scale * mix, scale * price])


def _price_per_unit_parts(units: np.ndarray, revenue: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mix and within-category price parts of the change in revenue per unit, per key."""
    key_units = units.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(key_units > 0, units / key_units, 0.0)
        price = np.where(units > 0, revenue / units, 0.0)
    factors = np.stack([share, price], axis=3)  # state, key, category, (share, price)
    in_both = (units[0] > 0) & (units[1] > 0)
    parts = np.zeros(in_both.shape + (2,))
    parts[in_both] = lmdi_effects(factors[0][in_both], factors[1][in_both])
    parts[~in_both, 0] = factors[1][~in_both].prod(axis=1) - factors[0][~in_both].prod(axis=1)
    summed = parts.sum(axis=1)
    return summed[:, 0], summed[:, 1]


def _check_basket(frame: pd.DataFrame, key: str, name: str) -> None:
    missing = {key, "product_category", "units", "revenue"} - set(frame.columns)
    if missing:
        raise AnalyticsError(f"{name} lacks column(s) {', '.join(sorted(missing))}")
    values = frame[["units", "revenue"]].astype("float64")
    if (values < 0).to_numpy().any():
        raise AnalyticsError(f"{name} has negative units or revenue")
    bad = (values["units"] == 0) & (values["revenue"] > 0)
    if bad.any():
        raise AnalyticsError(
            f"{name} has revenue without units for {key} {frame.loc[bad, key].iloc[0]}"
        )


def _key_orders(frame: pd.DataFrame, key: str, name: str) -> pd.Series:
    if "order_id" in frame.columns:
        counts = frame.groupby(key)["order_id"].nunique().astype("float64")
    elif "orders" in frame.columns:
        counts = frame.groupby(key)["orders"].sum().astype("float64")
    else:
        raise AnalyticsError(f"{name} needs an orders or an order_id column")
    return counts.rename("orders")


@dataclass(frozen=True)
class _Values:
    """Order values as a histogram: distinct ``values``, how many orders have each
    (``weights``), and those orders' exact ``revenue``."""

    values: np.ndarray
    weights: np.ndarray
    revenue: float

    @property
    def count(self) -> int:
        return int(self.weights.sum())

    def expanded(self) -> np.ndarray:
        return np.repeat(self.values, self.weights.astype("int64"))


_NO_ORDERS = _Values(np.empty(0), np.empty(0), 0.0)


def _sample_totals(values: dict[object, _Values]) -> dict[object, np.ndarray]:
    """Per key: (orders, revenue) of the sample itself."""
    return {name: np.array([v.count, v.revenue], dtype="float64") for name, v in values.items()}


def _totals_of(frame: pd.DataFrame) -> dict[object, np.ndarray]:
    """Per key: (orders, revenue) from a frame indexed by key."""
    pairs = frame[["orders", "revenue"]].to_numpy(dtype="float64")
    return dict(zip(frame.index, pairs, strict=True))


def _aov(totals: np.ndarray) -> float:
    """Revenue per order of an (orders, revenue) pair; NaN without orders."""
    return float(totals[1] / totals[0]) if totals[0] > 0 else np.nan


def _pooled(parts: list[_Values]) -> _Values:
    if not parts:
        return _NO_ORDERS
    return _Values(
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.weights for p in parts]),
        sum(p.revenue for p in parts),
    )


def _order_values(frame: pd.DataFrame, key: str, name: str) -> dict[object, _Values]:
    missing = {key, "order_value"} - set(frame.columns)
    if missing:
        raise AnalyticsError(f"{name} orders lack column(s) {', '.join(sorted(missing))}")
    values = frame["order_value"].to_numpy(dtype="float64")
    if np.isnan(values).any():
        raise AnalyticsError(f"{name} orders have missing order values")
    weights = (
        frame["orders"].to_numpy(dtype="float64") if "orders" in frame else np.ones(len(frame))
    )
    if (weights < 0).any() or (weights != np.round(weights)).any():
        raise AnalyticsError(f"{name} order counts must be whole and not negative")
    revenue = frame["revenue"].to_numpy(dtype="float64") if "revenue" in frame else values * weights
    positions = pd.Series(values).groupby(frame[key].to_numpy()).indices
    return {
        group: _Values(values[rows], weights[rows], float(revenue[rows].sum()))
        for group, rows in positions.items()
    }


# Up to this many orders a side, scipy's own test runs on the expanded values (it is exact
# there when nothing ties); above it, the same normal approximation on the histogram.
_EXPANDED_UP_TO = 8


def _mann_whitney(sample: _Values, other: _Values) -> float:
    """Two-sided Mann–Whitney U p-value: scipy's asymptotic test (tie and continuity
    corrected), computed from histograms so a binned sample is never expanded."""
    n1, n2 = sample.count, other.count
    if n1 < MIN_ORDERS or n2 < MIN_ORDERS:
        return np.nan
    if n1 <= _EXPANDED_UP_TO or n2 <= _EXPANDED_UP_TO:
        return float(mannwhitneyu(sample.expanded(), other.expanded()).pvalue)
    distinct, where = np.unique(np.concatenate([sample.values, other.values]), return_inverse=True)
    ties = np.bincount(where, weights=np.concatenate([sample.weights, other.weights]))
    midranks = np.cumsum(ties) - (ties - 1) / 2
    u1 = float((midranks[where[: len(sample.values)]] * sample.weights).sum()) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    n = n1 + n2
    spread = np.sqrt(n1 * n2 / 12 * ((n + 1) - float((ties**3 - ties).sum()) / (n * (n - 1))))
    if spread == 0:
        return 1.0
    return float(min(2 * norm.sf((u - n1 * n2 / 2 - 0.5) / spread), 1.0))


def _benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    adjusted = np.full_like(p_values, np.nan)
    tested = ~np.isnan(p_values)
    if tested.any():
        adjusted[tested] = multipletests(p_values[tested], method="fdr_bh")[1]
    return adjusted

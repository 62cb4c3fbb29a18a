"""Diminishing-returns spend-response curves per channel.

``response = base + f(spend)`` with ``f`` one of

* ``exponential``: ``a·(1 − exp(−spend/k))`` — saturates at ``a``;
* ``hill``: ``a·spendⁿ / (kⁿ + spendⁿ)`` — S-shaped for ``n > 1``, half of ``a`` at ``k``;
* ``log``: ``a·log1p(spend/k)`` — never saturates, returns keep falling.

Fitted by bounded least squares (``scipy.optimize.curve_fit``) on daily (spend, revenue or
orders) pairs. Spend and response are floats here: this is a statistical fit, convert
money from Decimal at the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq
from scipy.optimize import curve_fit

from forecasting.errors import ForecastingError

FORMS = ("exponential", "hill", "log")


def _exponential(spend, base, a, k):
    return base + a * (1 - np.exp(-spend / k))


def _hill(spend, base, a, k, n):
    s = np.power(np.maximum(spend, 0.0), n)
    return base + a * s / (k**n + s)


def _log(spend, base, a, k):
    return base + a * np.log1p(spend / k)


_FUNCTIONS = {"exponential": _exponential, "hill": _hill, "log": _log}
_PARAMETERS = {
    "exponential": ("base", "a", "k"),
    "hill": ("base", "a", "k", "n"),
    "log": ("base", "a", "k"),
}


@dataclass(frozen=True)
class SaturationCurve:
    form: str
    params: dict[str, float]
    r_squared: float
    max_observed_spend: float

    def response(self, spend: ArrayLike) -> np.ndarray:
        return _FUNCTIONS[self.form](np.asarray(spend, dtype=float), **self.params)

    def marginal(self, spend: ArrayLike) -> np.ndarray:
        """Extra response per extra unit of spend at ``spend`` (the curve's derivative)."""
        s = np.asarray(spend, dtype=float)
        a, k = self.params["a"], self.params["k"]
        if self.form == "exponential":
            return a / k * np.exp(-s / k)
        if self.form == "log":
            return a / (k + s)
        n = self.params["n"]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = a * n * k**n * np.power(s, n - 1) / (k**n + np.power(s, n)) ** 2
        return np.nan_to_num(value, nan=0.0, posinf=np.inf)

    def spend_at_marginal(self, threshold: float) -> float:
        """The spend beyond which one more unit returns less than ``threshold``: where extra
        spend stops paying (e.g. threshold 1.0 for revenue per unit of spend). 0 if even
        the first unit returns less."""
        if threshold <= 0:
            raise ForecastingError(f"marginal-return threshold must be positive, got {threshold}")
        a, k = self.params["a"], self.params["k"]
        if self.form == "exponential":
            return max(0.0, k * np.log(a / (k * threshold)))
        if self.form == "log":
            return max(0.0, a / threshold - k)
        n = self.params["n"]
        peak = k * ((n - 1) / (n + 1)) ** (1 / n) if n > 1 else 0.0
        if float(self.marginal(max(peak, 1e-12 * k))) <= threshold:
            return 0.0
        upper = max(peak, k)
        while float(self.marginal(upper)) > threshold:
            upper *= 2
        return float(brentq(lambda s: float(self.marginal(s)) - threshold, max(peak, 1e-12), upper))

    def points(self, n: int = 50, max_spend: float | None = None) -> pd.DataFrame:
        """``spend, response, marginal`` on an even grid up to ``max_spend`` (default 1.5×
        the largest observed spend), for charts."""
        grid = np.linspace(0.0, max_spend or 1.5 * self.max_observed_spend, n)
        return pd.DataFrame(
            {"spend": grid, "response": self.response(grid), "marginal": self.marginal(grid)}
        )


def fit_saturation(
    spend: ArrayLike, response: ArrayLike, form: str = "exponential"
) -> SaturationCurve:
    """Fit ``form`` to paired daily spend and response (revenue or orders)."""
    if form not in FORMS:
        raise ForecastingError(f"unknown saturation form {form!r}; choose one of {FORMS}")
    x = np.asarray(spend, dtype=float)
    y = np.asarray(response, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ForecastingError("spend and response must be 1-d and of equal length")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 10 or np.ptp(x) == 0:
        raise ForecastingError("a saturation curve needs at least 10 days with varying spend")
    if (x < 0).any():
        raise ForecastingError("spend must not be negative")
    top_x, top_y = float(x.max()), float(np.abs(y).max()) or 1.0
    k0 = float(np.median(x[x > 0])) if (x > 0).any() else top_x / 2
    if form == "hill":
        p0 = [max(float(y.min()), 0.0), top_y, k0, 1.5]
        bounds = ([0.0, 0.0, top_x * 1e-4, 0.3], [top_y * 10, top_y * 20, top_x * 20, 6.0])
    else:
        p0 = [max(float(y.min()), 0.0), top_y, k0]
        bounds = ([0.0, 0.0, top_x * 1e-4], [top_y * 10, top_y * 50, top_x * 50])
    p0 = np.clip(p0, bounds[0], bounds[1])
    try:
        values, _ = curve_fit(_FUNCTIONS[form], x, y, p0=p0, bounds=bounds, maxfev=20000)
    except RuntimeError as exc:
        raise ForecastingError(f"the {form} curve did not converge: {exc}") from exc
    params = dict(zip(_PARAMETERS[form], map(float, values), strict=True))
    fitted = _FUNCTIONS[form](x, **params)
    total = float(np.sum((y - y.mean()) ** 2))
    r_squared = 1 - float(np.sum((y - fitted) ** 2)) / total if total else float("nan")
    return SaturationCurve(form, params, r_squared, top_x)

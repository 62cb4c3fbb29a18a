"""Spend response per touchpoint: a saturation curve fitted to each touchpoint's daily (spend,
revenue) pairs, and the daily spend above which one more unit of spend returns less than one
unit of revenue."""

from __future__ import annotations

from dataclasses import dataclass

from forecasting.data import spend_and_revenue
from forecasting.errors import ForecastingError
from forecasting.saturation import SaturationCurve
from forecasting.saturation import fit_saturation


@dataclass(frozen=True)
class TouchpointResponse:
    touchpoint: str
    name: str
    curve: SaturationCurve | None  # None: the pairs do not support a fit
    break_even_spend: float | None  # daily spend where the marginal return falls to 1


def touchpoint_responses(url: str | None = None) -> list[TouchpointResponse]:
    """One entry per touchpoint with marketing spend, by code."""
    responses = []
    for code, part in spend_and_revenue(url).groupby("touchpoint", sort=True):
        try:
            curve = fit_saturation(part["spend"], part["revenue"])
        except ForecastingError:
            curve = None
        stop = curve.spend_at_marginal(1.0) if curve else None
        responses.append(TouchpointResponse(code, part["touchpoint_name"].iloc[0], curve, stop))
    return responses

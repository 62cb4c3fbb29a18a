"""Forecasting models sharing one interface (see ``base.ForecastModel``) and their names."""

from __future__ import annotations

from collections.abc import Callable

from forecasting.errors import ForecastingError
from forecasting.models.arima import AutoARIMA
from forecasting.models.base import ForecastModel
from forecasting.models.intermittent import SBA
from forecasting.models.intermittent import TSB
from forecasting.models.intermittent import Croston
from forecasting.models.lightgbm_model import LightGBMModel
from forecasting.models.local import Naive
from forecasting.models.profile_model import ProfileModel
from forecasting.models.prophet_model import ProphetModel
from forecasting.models.seasonal_naive import SeasonalNaive
from forecasting.models.statistical import ETS
from forecasting.models.theta import Theta

ModelFactory = Callable[[], ForecastModel]

MODEL_FACTORIES: dict[str, ModelFactory] = {
    model.name: model
    for model in (
        SeasonalNaive,
        Naive,
        ETS,
        Theta,
        AutoARIMA,
        ProphetModel,
        LightGBMModel,
        ProfileModel,
        Croston,
        SBA,
        TSB,
    )
}
BASELINE = SeasonalNaive.name
CLASSICAL = (ETS.name, Theta.name, AutoARIMA.name)
"""The statistical peers a data scientist would otherwise pick: the champion is judged
against the best of them."""
INTERMITTENT = (Croston.name, SBA.name, TSB.name)
DAILY_ONLY = (ProphetModel.name, LightGBMModel.name, ProfileModel.name)
"""Models built on the calendar of days (weekdays, holidays, day of year)."""


def factories(names: list[str] | tuple[str, ...]) -> dict[str, ModelFactory]:
    """The factories of the named models; the seasonal-naive baseline is always included."""
    unknown = [n for n in names if n not in MODEL_FACTORIES]
    if unknown:
        raise ForecastingError(f"unknown model(s) {unknown}; known: {sorted(MODEL_FACTORIES)}")
    return {name: MODEL_FACTORIES[name] for name in dict.fromkeys([BASELINE, *names])}


__all__ = [
    "BASELINE",
    "CLASSICAL",
    "DAILY_ONLY",
    "ETS",
    "INTERMITTENT",
    "MODEL_FACTORIES",
    "SBA",
    "TSB",
    "AutoARIMA",
    "Croston",
    "ForecastModel",
    "LightGBMModel",
    "ModelFactory",
    "Naive",
    "ProfileModel",
    "ProphetModel",
    "SeasonalNaive",
    "Theta",
    "factories",
]

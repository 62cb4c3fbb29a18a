"""Forecasting models sharing one interface (see ``base.ForecastModel``) and their names."""

from __future__ import annotations

from collections.abc import Callable

from forecasting.errors import ForecastingError
from forecasting.models.base import ForecastModel
from forecasting.models.lightgbm_model import LightGBMModel
from forecasting.models.profile_model import ProfileModel
from forecasting.models.prophet_model import ProphetModel
from forecasting.models.seasonal_naive import SeasonalNaive

ModelFactory = Callable[[], ForecastModel]

MODEL_FACTORIES: dict[str, ModelFactory] = {
    SeasonalNaive.name: SeasonalNaive,
    ProphetModel.name: ProphetModel,
    LightGBMModel.name: LightGBMModel,
    ProfileModel.name: ProfileModel,
}
BASELINE = SeasonalNaive.name


def factories(names: list[str] | tuple[str, ...]) -> dict[str, ModelFactory]:
    """The factories of the named models; the seasonal-naive baseline is always included."""
    unknown = [n for n in names if n not in MODEL_FACTORIES]
    if unknown:
        raise ForecastingError(f"unknown model(s) {unknown}; known: {sorted(MODEL_FACTORIES)}")
    return {name: MODEL_FACTORIES[name] for name in dict.fromkeys([BASELINE, *names])}


__all__ = [
    "BASELINE",
    "MODEL_FACTORIES",
    "ForecastModel",
    "LightGBMModel",
    "ModelFactory",
    "ProfileModel",
    "ProphetModel",
    "SeasonalNaive",
    "factories",
]

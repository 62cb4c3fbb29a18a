"""The interface every forecasting model implements."""

from __future__ import annotations

from typing import Protocol
from typing import Self

import pandas as pd

from forecasting.errors import ForecastingError


class ForecastModel(Protocol):
    """Fit on a long frame (``unique_id, ds, y`` + exog), forecast every series it saw.

    ``predict`` returns ``unique_id, ds, yhat, yhat_lower, yhat_upper``; the interval is the
    central ``level`` % prediction interval (80 by default).
    """

    name: str
    min_history: int
    level: int

    def fit(self, train: pd.DataFrame) -> Self: ...

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame: ...


def interval_quantiles(level: int) -> tuple[float, float]:
    """The lower and upper quantile of a central ``level`` % interval, e.g. 80 → (0.1, 0.9)."""
    if not 0 < level < 100:
        raise ForecastingError(f"interval level must be between 0 and 100, got {level}")
    tail = (1 - level / 100) / 2
    return tail, 1 - tail


def trained(train: pd.DataFrame | None) -> pd.DataFrame:
    """The training frame a model kept when it was fitted; refused if it never was."""
    if train is None:
        raise ForecastingError("fit the model before predicting")
    return train

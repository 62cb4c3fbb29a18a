"""The PNG logged with every training run: history, backtest folds and the forecast."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from forecasting.backtest import CUTOFF
from forecasting.backtest import MODEL
from forecasting.series import DS
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y


def forecast_figure(
    history: pd.DataFrame,
    backtest_forecasts: pd.DataFrame,
    forecast: pd.DataFrame,
    title: str,
    history_days: int = 180,
) -> Figure:
    """One series: the last ``history_days`` actuals, each model's backtest folds and the
    champion forecast with its interval. Built without pyplot, so it is safe in workers."""
    figure = Figure(figsize=(10, 4), dpi=100)
    axes = figure.subplots()
    recent = history.tail(history_days)
    axes.plot(recent[DS], recent[Y], color="black", linewidth=1, label="actual")
    for model, folds in backtest_forecasts.groupby(MODEL, sort=True):
        for i, (_, fold) in enumerate(folds.groupby(CUTOFF, sort=True)):
            axes.plot(
                fold[DS],
                fold[YHAT],
                linewidth=0.8,
                alpha=0.7,
                color=f"C{sorted(backtest_forecasts[MODEL].unique()).index(model) + 1}",
                label=f"backtest {model}" if i == 0 else None,
            )
    axes.plot(forecast[DS], forecast[YHAT], color="C0", linewidth=1.5, label="forecast")
    axes.fill_between(forecast[DS], forecast[LOWER], forecast[UPPER], color="C0", alpha=0.2)
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    return figure

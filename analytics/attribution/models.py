"""The attribution models by name, one result frame per model, and the comparison with last
touch (the usual default) that every page and export shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.attribution import heuristics
from analytics.attribution.markov import markov
from analytics.attribution.paths import PathTable
from analytics.attribution.shapley import shapley
from analytics.errors import AnalyticsError

RESULT_COLUMNS = ["channel", "conversions", "value"]
BASELINE = "last"


@dataclass(frozen=True)
class Model:
    name: str
    label: str
    run: Callable[..., pd.DataFrame]


def _rule(weights: Callable[..., np.ndarray]) -> Callable[..., pd.DataFrame]:
    def run(paths: PathTable, **params) -> pd.DataFrame:
        conversions, value = heuristics.credit(paths, weights(paths, **params))
        return _frame(paths, conversions, value)

    return run


def _markov(paths: PathTable, order: int = 1) -> pd.DataFrame:
    conversions, value, effect = markov(paths, order)
    return _frame(paths, conversions, value).assign(removal_effect=effect)


def _shapley(paths: PathTable) -> pd.DataFrame:
    return _frame(paths, *shapley(paths))


def _frame(paths: PathTable, conversions: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"channel": list(paths.channels), "conversions": conversions, "value": value}
    )


MODELS = {
    m.name: m
    for m in (
        Model("first", "First touch", _rule(heuristics.first_touch)),
        Model("last", "Last touch", _rule(heuristics.last_touch)),
        Model("linear", "Linear", _rule(heuristics.linear)),
        Model("time_decay", "Time decay", _rule(heuristics.time_decay)),
        Model("position", "Position based (40/20/40)", _rule(heuristics.position_based)),
        Model("markov", "Markov chain", _markov),
        Model("shapley", "Shapley value", _shapley),
    )
}
PARAMETERS = {"time_decay": ("half_life",), "markov": ("order",)}


def attribute(paths: PathTable, model: str, **params) -> pd.DataFrame:
    """``channel, conversions, value`` (plus ``removal_effect`` for Markov) for one model;
    parameters a model does not take (``order``, ``half_life``) are ignored."""
    if model not in MODELS:
        raise AnalyticsError(
            f"unknown attribution model {model!r}; choose one of {', '.join(MODELS)}"
        )
    taken = {k: v for k, v in params.items() if k in PARAMETERS.get(model, ()) and v is not None}
    return MODELS[model].run(paths, **taken)


COMPARISON_COLUMNS = [
    "model",
    "channel",
    "conversions",
    "value",
    "last_touch_conversions",
    "last_touch_value",
    "conversions_difference",
    "value_difference",
]


def compare_models(paths: PathTable, models=tuple(MODELS), **params) -> pd.DataFrame:
    """Every model's result beside last touch, with the difference (model − last touch)."""
    baseline = attribute(paths, BASELINE).set_index("channel")
    frames = []
    for name in models:
        result = attribute(paths, name, **params).set_index("channel")
        frames.append(
            pd.DataFrame(
                {
                    "model": name,
                    "channel": result.index,
                    "conversions": result["conversions"].to_numpy(),
                    "value": result["value"].to_numpy(),
                    "last_touch_conversions": baseline["conversions"].to_numpy(),
                    "last_touch_value": baseline["value"].to_numpy(),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["conversions_difference"] = frame["conversions"] - frame["last_touch_conversions"]
    frame["value_difference"] = frame["value"] - frame["last_touch_value"]
    return frame[COMPARISON_COLUMNS]

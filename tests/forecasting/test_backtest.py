import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import backtest
from forecasting.backtest import choose_champion
from forecasting.backtest import cutoffs
from forecasting.backtest import holdout_evaluate
from forecasting.backtest import summarise
from forecasting.models import LightGBMModel
from forecasting.models import SeasonalNaive
from forecasting.models import factories
from forecasting.training import train


def seasonal_trend_frame(days=3 * 365, ids=("web", "store"), seed=0):
    """Weekly and yearly multiplicative seasonality on a linear trend, 3 % noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, uid in enumerate(ids):
        ds = pd.date_range("2022-01-01", periods=days, freq="D")
        weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2])[ds.day_of_week]
        yearly = 1 + 0.3 * np.sin(2 * np.pi * (ds.day_of_year.to_numpy() - 80) / 365.25)
        trend = 1 + 0.5 * np.arange(days) / days
        y = (200 + 150 * i) * trend * weekly * yearly * (1 + rng.normal(0, 0.03, days))
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


class Constant:
    """A deliberately bad model: the training mean."""

    name, level, min_history = "constant", 80, 1

    def fit(self, train):
        self.train = train
        return self

    def predict(self, horizon, future_exog=None):
        last = self.train.groupby("unique_id").ds.max()
        rows = []
        for uid, day in last.items():
            mean = self.train[self.train.unique_id == uid].y.mean()
            for h in range(1, horizon + 1):
                rows.append((uid, day + pd.Timedelta(days=h), mean, mean - 1, mean + 1))
        return pd.DataFrame(rows, columns=["unique_id", "ds", "yhat", "yhat_lower", "yhat_upper"])


def test_cutoffs_step_back_by_the_horizon():
    frame = seasonal_trend_frame(days=100, ids=("a",))
    got = cutoffs(frame, horizon=14, folds=3)
    last = frame.ds.max()
    assert got == [last - pd.Timedelta(days=d) for d in (42, 28, 14)]


def test_backtest_scores_match_an_independent_computation():
    frame = seasonal_trend_frame(days=120, ids=("a", "b"))
    scores = backtest(frame, {"snaive": SeasonalNaive, "constant": Constant}, horizon=14, folds=2)
    assert len(scores) == 2 * 2 * 2
    row = scores[(scores.unique_id == "b") & (scores.model == "snaive")].iloc[0]
    y = frame[frame.unique_id == "b"].y.to_numpy()
    cut = 120 - 28  # first fold trains on the first 92 days
    actual, train_y = y[cut : cut + 14], y[:cut]
    forecast = np.r_[train_y[-7:], train_y[-7:]]
    scale = np.mean(np.abs(train_y[7:] - train_y[:-7]))
    assert row.mase == pytest.approx(np.mean(np.abs(forecast - actual)) / scale)
    assert row.wape == pytest.approx(np.abs(forecast - actual).sum() / actual.sum())
    assert row.bias == pytest.approx((forecast - actual).mean() / actual.mean())
    champions = choose_champion(scores)
    assert champions.to_dict() == {"a": "snaive", "b": "snaive"}


def test_champion_is_chosen_by_mean_backtest_mase_with_baseline_on_ties():
    scores = pd.DataFrame(
        {
            "unique_id": ["x"] * 4 + ["y"] * 4 + ["z"] * 2,
            "model": ["snaive", "snaive", "lightgbm", "lightgbm"] * 2 + ["lightgbm", "snaive"],
            "cutoff": [1, 2, 1, 2] * 2 + [1, 1],
            "horizon": 14,
            "mase": [1.0, 1.0, 0.5, 1.6, 1.0, 1.0, 0.5, 1.4, 0.7, 0.7],
            "wape": 0.1,
            "bias": 0.0,
            "coverage": 0.8,
        }
    )
    assert choose_champion(scores).to_dict() == {"x": "snaive", "y": "lightgbm", "z": "snaive"}
    assert summarise(scores).set_index(["unique_id", "model"]).loc[("x", "lightgbm"), "mase"] == (
        pytest.approx(1.05)
    )


def test_holdout_evaluate_scores_the_last_days():
    frame = seasonal_trend_frame(days=100, ids=("a",))
    scores = holdout_evaluate(frame, {"snaive": SeasonalNaive}, holdout_days=21)
    assert len(scores) == 1
    assert scores.cutoff.iloc[0] == frame.ds.max() - pd.Timedelta(days=21)
    assert scores.horizon.iloc[0] == 21


@pytest.mark.slow
def test_champion_beats_seasonal_naive_by_a_quarter_on_an_eight_week_holdout():
    frame = seasonal_trend_frame()
    holdout = 56
    cut = frame.ds.max() - pd.Timedelta(days=holdout)
    history, future = frame[frame.ds <= cut], frame[frame.ds > cut]
    result = train(history, models="auto", horizon=holdout, folds=3)
    champion = result.champion_forecast().merge(future, on=["unique_id", "ds"])
    baseline = SeasonalNaive().fit(history).predict(holdout).merge(future, on=["unique_id", "ds"])
    for uid in frame.unique_id.unique():
        train_y = history[history.unique_id == uid].y.to_numpy()
        scale = np.abs(train_y[7:] - train_y[:-7]).mean()
        mine = champion[champion.unique_id == uid]
        naive = baseline[baseline.unique_id == uid]
        assert len(mine) == holdout
        champion_mase = np.abs(mine.yhat - mine.y).mean() / scale
        naive_mase = np.abs(naive.yhat - naive.y).mean() / scale
        assert champion_mase <= 0.75 * naive_mase, (uid, champion_mase, naive_mase)
    singles = {"snaive", "naive", "ets", "theta", "arima", "prophet", "lightgbm", "profile"}
    combinations = {"combo_mean", "combo_median", "combo_classical"}
    assert set(result.champions) <= singles | combinations
    assert set(result.scores.model) == singles | combinations


def test_training_refits_only_winners_and_the_baseline():
    frame = seasonal_trend_frame(days=200, ids=("a",))
    result = train(frame, {"lightgbm": lambda: LightGBMModel(n_estimators=60)}, 14, folds=2)
    assert set(result.fitted) == {"snaive"} | set(result.champions)
    forecast = result.champion_forecast()
    assert len(forecast) == 14 and forecast.model.iloc[0] == result.champions["a"]
    assert sorted(factories(["lightgbm"])) == ["lightgbm", "snaive"]


def test_a_favoured_combination_needs_beating_by_the_margin():
    scores = pd.DataFrame(
        {
            "unique_id": ["x", "x", "y", "y"],
            "model": ["combo_mean", "ets"] * 2,
            "cutoff": 1,
            "horizon": 14,
            "mase": [1.0, 0.96, 1.0, 0.9],
            "wape": 0.1,
            "bias": 0.0,
            "coverage": 0.8,
        }
    )
    assert choose_champion(scores).to_dict() == {"x": "ets", "y": "ets"}
    chosen = choose_champion(scores, favoured=["combo_mean"], margin=0.05)
    assert chosen.to_dict() == {"x": "combo_mean", "y": "ets"}


def test_the_default_keeps_its_place_unless_beaten_in_every_fold_by_the_margin():
    folds = {
        # challenger better on average by 20 % but worse in one fold: the default stays
        "x": {"combo_classical": [1.0, 1.0, 1.0], "prophet": [0.5, 0.7, 1.2]},
        # better in every fold but by 5 % on average: the default stays
        "y": {"combo_classical": [1.0, 1.0, 1.0], "prophet": [0.96, 0.94, 0.95]},
        # better in every fold and by 30 %: the challenger
        "z": {"combo_classical": [1.0, 1.0, 1.0], "prophet": [0.7, 0.6, 0.8], "ets": [0.9] * 3},
        # no default scored: the lowest mean
        "w": {"ets": [1.0, 1.0, 1.0], "prophet": [0.5, 0.7, 1.2]},
    }
    scores = pd.DataFrame(
        [
            (uid, model, cutoff, 14, mase, 0.1, 0.0, 0.8)
            for uid, models in folds.items()
            for model, values in models.items()
            for cutoff, mase in enumerate(values)
        ],
        columns=["unique_id", "model", "cutoff", "horizon", "mase", "wape", "bias", "coverage"],
    )
    chosen = choose_champion(scores, margin=0.1, default="combo_classical")
    assert chosen.to_dict() == {
        "w": "prophet",
        "x": "combo_classical",
        "y": "combo_classical",
        "z": "prophet",
    }

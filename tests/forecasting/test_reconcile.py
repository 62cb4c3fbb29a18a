import numpy as np
import pandas as pd
import pytest

from forecasting.reconcile import METHODS
from forecasting.reconcile import Hierarchy
from forecasting.reconcile import choose_method
from forecasting.reconcile import reconcile_matrix
from forecasting.reconcile import shrunk_covariance
from forecasting.training import duplicated_series
from forecasting.training import train

# total = web + app + store; online = web + app (store is its own category)
HIERARCHY = Hierarchy(
    bottom=("web", "app", "store"),
    aggregates={"total": ("web", "app", "store"), "online": ("web", "app")},
)


def test_summing_matrix_rows_follow_the_ids():
    assert HIERARCHY.ids == ["total", "online", "web", "app", "store"]
    assert HIERARCHY.top == "total"
    np.testing.assert_array_equal(
        HIERARCHY.summing_matrix(),
        [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    )


BASE = np.array([[100.0, 90.0], [70.0, 60.0], [40.0, 35.0], [25.0, 30.0], [28.0, 26.0]])
"""Incoherent base forecasts (rows as ``HIERARCHY.ids``, two steps)."""


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_adds_up_exactly(method):
    errors = np.random.default_rng(0).normal(0, 1, (60, 5))
    got = reconcile_matrix(
        HIERARCHY, method, BASE, False, shares=np.array([0.4, 0.3, 0.3]), errors=errors
    )
    np.testing.assert_allclose(got[0], got[2] + got[3] + got[4], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[1], got[2] + got[3], rtol=0, atol=1e-9)


def test_bottom_up_and_top_down_by_hand():
    up = reconcile_matrix(HIERARCHY, "bottom_up", BASE, False)
    np.testing.assert_allclose(up[:, 0], [93, 65, 40, 25, 28])
    down = reconcile_matrix(HIERARCHY, "top_down", BASE, False, shares=np.array([0.5, 0.3, 0.2]))
    np.testing.assert_allclose(down[:, 1], [90, 72, 45, 27, 18])


def test_mint_with_equal_uncorrelated_errors_is_the_ols_projection():
    """With W = σ² I, MinT is S (S'S)⁻¹ S' ŷ: computed here independently."""
    errors = np.random.default_rng(1).normal(0, 1, (5000, 5))
    got = reconcile_matrix(HIERARCHY, "mint_shrink", BASE, False, errors=errors)
    s = HIERARCHY.summing_matrix()
    expected = s @ np.linalg.solve(s.T @ s, s.T @ BASE)
    np.testing.assert_allclose(got, expected, rtol=0.02)


def test_ols_is_the_projection_onto_coherent_forecasts():
    """OLS moves the base forecasts to the nearest coherent ones: unchanged when coherent,
    and the correction is orthogonal to every coherent direction."""
    s = HIERARCHY.summing_matrix()
    got = reconcile_matrix(HIERARCHY, "ols", BASE, False)
    np.testing.assert_allclose(s.T @ (BASE - got), 0, atol=1e-9)
    coherent = s @ np.array([[40.0, 35.0], [25.0, 30.0], [28.0, 26.0]])
    np.testing.assert_allclose(reconcile_matrix(HIERARCHY, "ols", coherent, False), coherent)


def test_structural_weights_by_hand():
    """One aggregate over two series, W = diag(2, 1, 1): each bottom forecast moves by a
    quarter of the incoherence (total - a - b), the total by minus a half."""
    pair = Hierarchy(bottom=("a", "b"), aggregates={"t": ("a", "b")})
    base = np.array([[12.0], [5.0], [3.0]])  # total 12, parts 5 + 3 = 8: 4 short
    got = reconcile_matrix(pair, "wls_struct", base, False)
    np.testing.assert_allclose(got[:, 0], [10.0, 6.0, 4.0])


def test_error_variances_weigh_the_better_forecast_series_more():
    """W = diag(σ²): with the total's errors 9 times the parts' variance, the total moves
    by 9/11 of the incoherence, each part by 1/11 (solved by hand for W = diag(9, 1, 1))."""
    pair = Hierarchy(bottom=("a", "b"), aggregates={"t": ("a", "b")})
    errors = np.array([[3.0, 1.0, 1.0], [-3.0, -1.0, -1.0]] * 10)
    base = np.array([[12.0], [5.0], [3.0]])
    got = reconcile_matrix(pair, "wls_var", base, False, errors=errors)
    np.testing.assert_allclose(got[:, 0], [12 - 36 / 11, 5 + 4 / 11, 3 + 4 / 11])


def test_shrinkage_goes_to_the_diagonal_for_noise_and_keeps_real_correlation():
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 1, (40, 4))
    shrunk = shrunk_covariance(noise)
    off = ~np.eye(4, dtype=bool)
    assert np.abs(shrunk[off]).max() < np.abs(np.cov(noise.T)[off]).max()
    common = rng.normal(0, 1, (400, 1))
    correlated = common + 0.1 * rng.normal(0, 1, (400, 4))
    together = shrunk_covariance(correlated)
    assert together[0, 1] / np.sqrt(together[0, 0] * together[1, 1]) > 0.9


def test_negative_bottom_forecasts_are_zeroed_before_summing():
    base = BASE.copy()
    base[3] = [-5.0, -2.0]
    got = reconcile_matrix(HIERARCHY, "bottom_up", base, True)
    assert (got >= 0).all() and got[3].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(got[0], got[2] + got[3] + got[4])


def hierarchy_frame(days=200, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days)
    week = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[ds.day_of_week]
    bottom = {
        "web": rng.poisson(40 * week),
        "app": rng.poisson(20 * week),
        "store": rng.poisson(2 * week),
    }
    series = {
        **bottom,
        "online": bottom["web"] + bottom["app"],
        "total": bottom["web"] + bottom["app"] + bottom["store"],
    }
    return pd.concat(
        [pd.DataFrame({"unique_id": k, "ds": ds, "y": v.astype(float)}) for k, v in series.items()]
    )


def test_training_publishes_forecasts_that_sum_exactly_and_never_go_below_zero():
    frame = hierarchy_frame()
    result = train(
        frame, ["naive", "theta"], horizon=14, folds=3, hierarchy=HIERARCHY, nonnegative=True
    )
    assert result.reconciliation in METHODS
    assert set(result.reconciliation_scores) == set(METHODS)
    wide = result.champion_forecast().pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(wide["total"], wide[["web", "app", "store"]].sum(axis=1))
    np.testing.assert_allclose(wide["online"], wide["web"] + wide["app"])
    published = result.champion_forecast()
    assert (published[["yhat", "yhat_lower", "yhat_upper"]] >= 0).all().all()
    # the adjustment stored for MLflow takes each champion's own forecast to the published one
    own = result.forecasts.merge(result.champions.rename("model").reset_index())
    moved = own.merge(result.adjustments, on=["unique_id", "ds"])
    check = moved.merge(published, on=["unique_id", "ds"], suffixes=("", "_published"))
    np.testing.assert_allclose(check["yhat"] + check["adjustment"], check["yhat_published"])


def test_the_method_with_the_lowest_backtest_mase_is_chosen():
    frame = hierarchy_frame(seed=3)
    result = train(frame, ["naive"], horizon=14, folds=3)
    backtest = result.backtest_forecasts.merge(result.champions.rename("model").reset_index())
    method, scores, chosen = choose_method(HIERARCHY, backtest, frame, 7, nonnegative=True)
    assert scores[method] == min(scores.values())
    assert len(chosen) == len(backtest)


def test_a_category_with_one_touchpoint_is_trained_once():
    frame = hierarchy_frame(days=120)
    frame = pd.concat([frame, frame[frame.unique_id == "store"].assign(unique_id="stores")])
    assert duplicated_series(frame) == {"stores": "store"}
    result = train(frame, ["naive"], horizon=7, folds=2)
    assert result.aliases == {"stores": "store"}
    published = result.champion_forecast().set_index(["unique_id", "ds"])
    values = ["yhat", "yhat_lower", "yhat_upper"]
    np.testing.assert_allclose(published.loc["stores"][values], published.loc["store"][values])
    assert set(result.scores.unique_id) == set(frame.unique_id)

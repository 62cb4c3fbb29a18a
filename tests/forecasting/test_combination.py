import numpy as np
import pandas as pd

from forecasting.backtest import score_forecasts
from forecasting.combination import classical_members
from forecasting.combination import combination_backtest
from forecasting.parallel import run_all


def test_the_classical_combination_is_the_median_of_ets_theta_and_arima_in_every_fold():
    days = pd.date_range("2025-01-01", periods=40)
    frame = pd.DataFrame({"unique_id": "s", "ds": days, "y": np.arange(40.0)})
    forecasts = {"ets": 30.0, "theta": 34.0, "arima": 31.0, "naive": 100.0, "snaive": 0.0}
    rows = [
        {
            "unique_id": "s",
            "ds": days[cutoff + h],
            "cutoff": days[cutoff],
            "model": model,
            "y": float(cutoff + h),
            "yhat": value + cutoff,
            "yhat_lower": value + cutoff - 1,
            "yhat_upper": value + cutoff + 1,
        }
        for cutoff in (29, 34)
        for h in range(1, 6)
        for model, value in forecasts.items()
    ]
    backtest = pd.DataFrame(rows)
    combined = combination_backtest(backtest, score_forecasts(backtest, frame))
    classical = combined[combined.model == "combo_classical"]
    assert len(classical) == 10
    # median of 30, 34 and 31 (+ the cutoff's offset), whatever the backtest says
    assert (classical.yhat - classical.cutoff.map({days[29]: 29, days[34]: 34})).eq(31.0).all()
    assert classical_members(backtest) == {"s": ["ets", "theta", "arima"]}
    assert classical_members(backtest[backtest.model != "theta"]) == {}


def _blas_threads(_task: int) -> set[int]:
    """Threads of every BLAS library loaded (numpy's and scipy's)."""
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS too)
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_fits_run_with_one_blas_thread_in_workers_and_in_process():
    assert run_all(_blas_threads, [(0,)], workers=1) == [{1}]
    assert run_all(_blas_threads, [(0,), (1,)], workers=2) == [{1}, {1}]

"""Full retraining with backtests of every channel series on the demo data.

``run(url)`` trains every series group the service trains (categories and touchpoints,
revenue and orders: 8-week horizon, 3 rolling-origin folds, Prophet, LightGBM, the profile
model and the seasonal-naive baseline), and returns the wall time, the peak memory of this
process and the accuracy table: mean backtest MASE per series for each model and the baseline.
MLflow logging is left out: it measures the store, not the models.
"""

from __future__ import annotations

import resource
import sys
import time

import pandas as pd

from forecasting.backtest import MODEL, summarise
from forecasting.jobs import FOLDS, GROUPS, HORIZON, group_frame
from forecasting.training import train


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str | None = None) -> dict:
    started = time.perf_counter()
    tables = []
    for name in GROUPS:
        frame = group_frame(name, url=url)
        result = train(frame, "auto", HORIZON, FOLDS)
        mase = summarise(result.scores).pivot(index="unique_id", columns=MODEL, values="mase")
        tables.append(mase.assign(champion=result.champions))
    accuracy = pd.concat(tables).sort_index()
    return {
        "wall_seconds": time.perf_counter() - started,
        "peak_memory_mb": _peak_rss_mb(),
        "series": len(accuracy),
        "accuracy": accuracy,
    }


def markdown(result: dict) -> str:
    table = result["accuracy"].round(3).reset_index()
    lines = [
        "## Full retraining with backtests (bench/bench_forecast.py)",
        "",
        f"{result['series']} series · wall time {result['wall_seconds']:.1f} s (goal ≤ 120 s on 2 "
        f"cores) · peak memory {result['peak_memory_mb']:.0f} MB",
        "",
        "Mean backtest MASE (3 folds × 56 days) per series:",
        "",
        "| " + " | ".join(table.columns) + " |",
        "|" + "---|" * len(table.columns),
    ]
    rows = table.itertuples(index=False)
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(run(sys.argv[1] if len(sys.argv) > 1 else None)))

"""What the forecasting pages show, shaped from the registry and the stored forecasts: one
row per registered model version with its skill, and a sentence on how forecasts are made
coherent."""

from __future__ import annotations

import math

from forecasting import store
from forecasting.jobs import level_series_label
from forecasting.jobs import model_versions
from forecasting.series import ID

VERSION_MODELS = ("snaive", "ets", "theta", "arima", "prophet", "lightgbm", "profile")
"""Candidates whose mean backtest MASE the Models page lists beside the champion's."""
METHOD_NAMES = {
    "mint_shrink": "MinT (shrinkage)",
    "wls_var": "MinT (error variances)",
    "wls_struct": "MinT (structural weights)",
    "ols": "MinT (ordinary least squares)",
    "bottom_up": "bottom-up",
    "top_down": "top-down (historical shares)",
}


def _number(value, digits: int = 3):
    return round(float(value), digits) if value is not None and math.isfinite(value) else None


def version_rows(names: dict[str, str], uri: str | None = None) -> list[dict]:
    """Per registered version: series, role, champion model, the published forecast's backtest
    MASE, its ratio to seasonal naive's and to the best classical method's (named), its
    interval's held-out coverage (%), and each candidate's MASE."""
    rows = []
    for row in model_versions(uri).to_dict("records"):
        coverage = _number(row.get("published_coverage"), 4)
        out = {
            "series": row[ID],
            "series_label": level_series_label(row[ID], names),
            "version": row["version"],
            "model": row["model"],
            "alias": row["alias"] or "challenger",
            "created": row["created"].strftime("%Y-%m-%d %H:%M"),
            "mase": _number(row.get("published_mase")),
            "vs_snaive": _number(row.get("mase_vs_snaive")),
            "vs_classical": _number(row.get("mase_vs_classical")),
            "best_classical": row.get("best_classical") or "",
            "coverage": None if coverage is None else round(100 * coverage, 1),
        }
        out |= {f"{m}_mase": _number(row.get(f"{m}_mase")) for m in VERSION_MODELS}
        rows.append(out)
    return rows


def coherence_note() -> str:
    """How the latest training made each measure's forecasts add up, in one sentence."""
    methods = store.latest_reconciliation()
    if not methods:
        return ""
    used = "; ".join(
        f"{group}: {METHOD_NAMES.get(method, method)}" for group, method in sorted(methods.items())
    )
    return (
        "Forecasts are reconciled, so touchpoints add up to their category and categories to "
        f"all channels ({used}), and neither a forecast nor its interval goes below zero."
    )

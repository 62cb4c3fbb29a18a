"""MLflow tracking and the per-series champion registry.

Each series' champion is a registered model ``channelperf-<unique_id>`` whose versions are
``ChampionForecast`` pyfunc models: the fitted model plus the forecast it made. The alias
``champion`` marks the version in use and ``previous`` the one before it, so a promotion
can be rolled back.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from forecasting.backtest import MODEL
from forecasting.backtest import SCORE_COLUMNS
from forecasting.backtest import summarise
from forecasting.champion import MODEL_CODE
from forecasting.champion import STATE_ARTIFACT
from forecasting.champion import ChampionForecast
from forecasting.errors import ForecastingError
from forecasting.plots import forecast_figure
from forecasting.series import ID
from forecasting.training import TrainingResult

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = "channelperf-forecasting"
CHAMPION, PREVIOUS = "champion", "previous"
MODEL_PREFIX = "channelperf-"
SKILL_METRICS = ("published_mase", "mase_vs_snaive", "mase_vs_classical", "published_coverage")
"""Logged per run: the published forecast's backtest MASE, its ratios to seasonal naive's and
to the best classical method's, and its interval's coverage on held-out folds."""


def tracking_uri(uri: str | None = None) -> str:
    """The argument, else ``MLFLOW_TRACKING_URI``, else the SQLite store under ``mlruns/``."""
    return (
        uri
        or os.environ.get("MLFLOW_TRACKING_URI")
        or (f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}")
    )


def artifact_location(uri: str) -> str | None:
    """Artifacts of a local SQLite store go to ``artifacts/`` beside the database file;
    a tracking server chooses its own."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()


def registered_model_name(unique_id: str) -> str:
    """``channelperf-<unique_id>`` with characters MLflow rejects in names made dashes."""
    return MODEL_PREFIX + re.sub(r"[^A-Za-z0-9_.-]+", "-", str(unique_id)).strip("-").lower()


@contextmanager
def _tracking(uri: str | None) -> Iterator[MlflowClient]:
    """Point MLflow's fluent API at the store for the block, then restore the previous one."""
    previous = mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None
    resolved = tracking_uri(uri)
    mlflow.set_tracking_uri(resolved)
    try:
        yield MlflowClient(tracking_uri=resolved, registry_uri=resolved)
    finally:
        mlflow.set_tracking_uri(previous)


@dataclass(frozen=True)
class RegisteredChampion:
    unique_id: str
    name: str
    version: str
    run_id: str
    model: str


def _experiment_id(client: MlflowClient, uri: str) -> str:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return experiment.experiment_id
    return client.create_experiment(EXPERIMENT, artifact_location=artifact_location(uri))


def log_training(
    result: TrainingResult,
    history: pd.DataFrame,
    params: dict | None = None,
    uri: str | None = None,
    promote_new: bool = True,
) -> dict[str, RegisteredChampion]:
    """One MLflow run per series: parameters, mean backtest scores of every model, the
    published forecast's skill (``SKILL_METRICS``), the plot and the champion as a pyfunc
    model holding the published (reconciled, calibrated) forecast, registered as a new version
    of the series' model. With ``promote_new`` the new version
    becomes ``champion`` (the old one ``previous``)."""
    resolved = tracking_uri(uri)
    summary = summarise(result.scores)
    champion_forecast = result.champion_forecast()
    registered = {}
    with _tracking(resolved) as client:
        experiment_id = _experiment_id(client, resolved)
        for uid, champion in result.champions.items():
            forecast = champion_forecast[champion_forecast[ID] == uid]
            skill = _series_skill(result, str(uid))
            with mlflow.start_run(experiment_id=experiment_id, run_name=str(uid)) as run:
                mlflow.set_tags({"unique_id": uid, "champion_model": champion})
                mlflow.log_params(
                    {
                        **(params or {}),
                        "horizon": result.horizon,
                        "interval_level": result.level,
                        "folds": result.scores["cutoff"].nunique(),
                        "candidates": ",".join(sorted(summary[MODEL].unique())),
                        "champion": champion,
                        "best_classical": skill.get("classical") or "",
                        "reconciliation": result.reconciliation or "none",
                    }
                )
                for row in summary[summary[ID] == uid].itertuples(index=False):
                    mlflow.log_metrics(
                        {
                            f"{row.model}_{score}": float(getattr(row, score))
                            for score in SCORE_COLUMNS
                            if pd.notna(getattr(row, score))
                        }
                    )
                mlflow.log_metrics(
                    {
                        name: float(skill[column])
                        for name, column in zip(
                            SKILL_METRICS,
                            ("mase", "mase_vs_snaive", "mase_vs_classical", "coverage"),
                            strict=True,
                        )
                        if pd.notna(skill.get(column))
                    }
                )
                figure = forecast_figure(
                    history[history[ID] == uid],
                    result.backtest_forecasts[result.backtest_forecasts[ID] == uid],
                    forecast,
                    title=f"{uid}: champion {champion}",
                )
                mlflow.log_figure(figure, "forecast.png")
                mlflow.log_text(forecast.to_csv(index=False), "forecast.csv")
                model = ChampionForecast(
                    str(uid),
                    champion,
                    result.fitted[champion],
                    forecast,
                    result.horizon,
                    result.future_exog,
                    _mine(result.offsets, str(uid)),
                    result.bucket,
                    _mine(result.adjustments, str(uid)).drop(columns=ID),
                    str(uid) in result.nonnegative,
                    result.aliases.get(str(uid)),
                )
                with tempfile.TemporaryDirectory() as scratch:
                    info = mlflow.pyfunc.log_model(
                        name="model",
                        python_model=str(MODEL_CODE),
                        artifacts={STATE_ARTIFACT: str(model.save_state(Path(scratch) / "state"))},
                        signature=model.signature(),
                        input_example=model.input_example(),
                        pip_requirements=_requirements(),
                    )
                version = client.create_model_version(
                    _ensure_registered_model(client, str(uid)),
                    source=info.model_uri,
                    run_id=run.info.run_id,
                    model_id=info.model_id,
                    tags={"unique_id": str(uid), "model": champion},
                )
            if promote_new:
                _set_champion(client, version.name, version.version)
            registered[uid] = RegisteredChampion(
                str(uid), version.name, str(version.version), run.info.run_id, champion
            )
    return registered


def _mine(frame: pd.DataFrame, unique_id: str) -> pd.DataFrame:
    return frame[frame[ID] == unique_id].reset_index(drop=True)


def _series_skill(result: TrainingResult, unique_id: str) -> dict:
    rows = result.skill[result.skill[ID] == unique_id] if not result.skill.empty else None
    return rows.iloc[0].to_dict() if rows is not None and len(rows) else {}


def _requirements() -> list[str]:
    """Pinned from the running environment so MLflow does not infer them (slow)."""
    packages = (
        "mlflow",
        "pandas",
        "numpy",
        "prophet",
        "lightgbm",
        "holidays",
        "scipy",
        "statsmodels",
    )
    return [f"{package}=={version(package)}" for package in packages]


def _ensure_registered_model(client: MlflowClient, unique_id: str) -> str:
    name = registered_model_name(unique_id)
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, tags={"unique_id": unique_id})
    return name


def _alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def _set_champion(client: MlflowClient, name: str, version: str) -> None:
    current = _alias_version(client, name, CHAMPION)
    if current is not None and str(current) != str(version):
        client.set_registered_model_alias(name, PREVIOUS, current)
    client.set_registered_model_alias(name, CHAMPION, str(version))


def promote(unique_id: str, version: str | int, uri: str | None = None) -> str:
    """Make ``version`` the champion; the champion it replaces becomes ``previous``."""
    name = registered_model_name(unique_id)
    with _tracking(uri) as client:
        try:
            client.get_model_version(name, str(version))
        except MlflowException as exc:
            raise ForecastingError(f"{name} has no version {version}") from exc
        _set_champion(client, name, str(version))
    return str(version)


def rollback(unique_id: str, uri: str | None = None) -> str:
    """Swap ``champion`` and ``previous``; returns the version that is champion now.
    A second rollback undoes the first."""
    name = registered_model_name(unique_id)
    with _tracking(uri) as client:
        previous = _alias_version(client, name, PREVIOUS)
        current = _alias_version(client, name, CHAMPION)
        if previous is None or current is None:
            raise ForecastingError(f"{name} has no previous champion to roll back to")
        client.set_registered_model_alias(name, CHAMPION, previous)
        client.set_registered_model_alias(name, PREVIOUS, current)
    return str(previous)


def champion_version(unique_id: str, alias: str = CHAMPION, uri: str | None = None) -> str:
    name = registered_model_name(unique_id)
    with _tracking(uri) as client:
        version = _alias_version(client, name, alias)
    if version is None:
        raise ForecastingError(f"{name} has no {alias!r} version")
    return str(version)


def load_champion(
    unique_id: str, alias: str = CHAMPION, uri: str | None = None
) -> ChampionForecast:
    """The ``ChampionForecast`` behind ``models:/channelperf-<id>@<alias>``."""
    name = registered_model_name(unique_id)
    with _tracking(uri):
        try:
            loaded = mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
        except MlflowException as exc:
            raise ForecastingError(f"no {alias!r} model for series {unique_id!r}") from exc
    return loaded.unwrap_python_model()

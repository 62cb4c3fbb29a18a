"""One training pass: backtest the candidates over rolling origins, add the combinations,
pick a champion per series, refit what won (and the baseline) on all the history, reconcile
over the hierarchy when there is one, calibrate the intervals by conformal prediction on the
backtest errors and keep non-negative measures at or above zero.

What is published per series (``TrainingResult.published``) is scored the same way on the
backtest (``published_backtest``), so the skill the Models page and the CLI report (MASE
against seasonal naive and against the best classical method, interval coverage on folds
the calibration did not see) is the skill of what users see.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import numpy as np
import pandas as pd

from forecasting.backtest import CUTOFF
from forecasting.backtest import MODEL
from forecasting.backtest import backtest_forecasts
from forecasting.backtest import choose_champion
from forecasting.backtest import relative_skill
from forecasting.backtest import score_forecasts
from forecasting.calibration import bucket_size
from forecasting.calibration import calibrate
from forecasting.calibration import clip_nonnegative
from forecasting.calibration import conformal_offsets
from forecasting.calibration import held_out_coverage
from forecasting.calibration import origin_scales
from forecasting.calibration import rescale
from forecasting.combination import CLASSICAL_COMBINATION
from forecasting.combination import HOW
from forecasting.combination import Combination
from forecasting.combination import combination_backtest
from forecasting.combination import members_of
from forecasting.errors import ForecastingError
from forecasting.models import BASELINE
from forecasting.models import CLASSICAL
from forecasting.models import DAILY_ONLY
from forecasting.models import INTERMITTENT
from forecasting.models import MODEL_FACTORIES
from forecasting.models import ForecastModel
from forecasting.models import ModelFactory
from forecasting.models import factories
from forecasting.models.intermittent import zero_share
from forecasting.parallel import run_all
from forecasting.reconcile import Hierarchy
from forecasting.reconcile import choose_method
from forecasting.reconcile import error_matrix
from forecasting.reconcile import reconcile_frame
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import frequency
from forecasting.series import season_length
from forecasting.series import validate_series

AUTO = "auto"
PUBLISHED = "published"
AUTO_CANDIDATES = ("naive", *CLASSICAL, *DAILY_ONLY)
CHALLENGER_MARGIN = 0.2
"""The classical combination (median of ETS, Theta and ARIMA) is the champion unless another
candidate beats its backtest MASE in every fold and by more than 20 % on average: picking by a
few folds is noisy, and on real series (bench_accuracy) every picking rule tried did worse
than the fixed combination, the more so the smaller the margin (mean MASE ÷ ETS's, offline
on the same backtests: 10 %: 0.995, 20 %: 0.989, always the combination: 0.985). Where the
classical combination is not a candidate, a single model must beat the best combination by
more than this share."""
INTERMITTENT_SHARE = 0.3
"""Series with at least this share of zero values are intermittent: Croston, SBA and TSB
join the candidates, for them only."""


@dataclass
class TrainingResult:
    horizon: int
    level: int
    scores: pd.DataFrame
    """Backtest scores per series, model (combinations too), fold cutoff and horizon."""
    champions: pd.Series
    """Champion model name per ``unique_id``."""
    backtest_forecasts: pd.DataFrame
    forecasts: pd.DataFrame
    """``unique_id, ds, yhat, yhat_lower, yhat_upper, model`` of every refitted model (and
    combination), each calibrated on its own backtest errors, not reconciled."""
    fitted: dict[str, ForecastModel] = field(repr=False)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The champion forecast of every series as users see it: reconciled, calibrated, and
    truncated at zero for non-negative measures (with its ``model``)."""
    published_backtest: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    offsets: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Conformal offsets of the published forecasts (``calibration``)."""
    bucket: int = 1
    scales: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Each series' level at each backtest origin and today (``calibration.origin_scales``)."""
    adjustments: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """``unique_id, ds, adjustment``: reconciled minus the champion's own point forecast."""
    reconciliation: str | None = None
    reconciliation_scores: dict[str, float] = field(default_factory=dict)
    skill: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per series: ``champion, mase, snaive_mase, classical, classical_mase, mase_vs_snaive,
    mase_vs_classical, coverage`` of the published forecast on the backtest."""
    nonnegative: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    """Series identical to another (a category with one touchpoint): trained once, under the
    other's id (``duplicated_series``)."""
    future_exog: pd.DataFrame | None = field(default=None, repr=False)

    def champion_forecast(self) -> pd.DataFrame:
        """The published forecast of every series, with its champion's ``model`` name."""
        return self.published.reset_index(drop=True)


def candidate_models(
    choice: str | Sequence[str], frame: pd.DataFrame | None = None
) -> dict[str, ModelFactory]:
    """``auto`` means naive, ETS, Theta, ARIMA and, for daily series, Prophet, LightGBM and the
    profile model, plus Croston, SBA and TSB when a series is intermittent; a name or list of
    names means those models. The seasonal-naive baseline is always added."""
    names = [choice] if isinstance(choice, str) else list(choice)
    if names == [AUTO]:
        daily = frame is None or frequency(frame) == "D"
        names = [n for n in AUTO_CANDIDATES if daily or n not in DAILY_ONLY]
        if frame is not None and intermittent_series(frame):
            names += INTERMITTENT
    return factories(names)


def intermittent_series(frame: pd.DataFrame) -> list[str]:
    share = frame.groupby(ID)[Y].apply(lambda y: zero_share(y.to_numpy()))
    return sorted(share[share >= INTERMITTENT_SHARE].index)


def duplicated_series(frame: pd.DataFrame) -> dict[str, str]:
    """Series whose values (and regressors) equal an earlier series' (by id), mapped to it: a
    category with a single touchpoint is that touchpoint's series again."""
    first: dict[bytes, str] = {}
    aliases = {}
    for uid, group in frame.groupby(ID, sort=True):
        key = pd.util.hash_pandas_object(group.drop(columns=ID), index=False).to_numpy().tobytes()
        if key in first:
            aliases[str(uid)] = first[key]
        else:
            first[key] = str(uid)
    return aliases


def with_aliases(frame: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """``frame`` plus a copy of each aliased series' rows under the alias's id."""
    copies = [frame[frame[ID] == source].assign(**{ID: alias}) for alias, source in aliases.items()]
    return pd.concat([frame, *copies], ignore_index=True) if copies else frame


def _nonnegative_ids(frame: pd.DataFrame, nonnegative: bool | Iterable[str] | None) -> list[str]:
    """``True``: every series; ``None``: series whose history never goes below zero."""
    ids = sorted(frame[ID].unique())
    if nonnegative is True:
        return ids
    if nonnegative is None:
        low = frame.groupby(ID)[Y].min()
        return sorted(low[low >= 0].index)
    return sorted(set(nonnegative or ()) & set(ids))


def _fit_final(factory: ModelFactory, frame: pd.DataFrame, horizon: int, future_exog):
    model = factory().fit(frame)
    return model, model.predict(horizon, future_exog)


def train(
    frame: pd.DataFrame,
    models: str | Sequence[str] | dict[str, ModelFactory] = AUTO,
    horizon: int = 56,
    folds: int = 3,
    future_exog: pd.DataFrame | None = None,
    *,
    hierarchy: Hierarchy | None = None,
    nonnegative: bool | Iterable[str] | None = None,
    combinations: bool = True,
    workers: int | None = None,
) -> TrainingResult:
    """Backtest ``models`` over ``folds`` rolling origins (with the combinations of each series'
    best three), choose a champion per series by mean backtest MASE, refit the winners and the
    baseline on all of ``frame``, forecast ``horizon`` periods (with ``future_exog`` where
    planned values exist), reconcile over ``hierarchy`` and calibrate the intervals so that
    they would have covered ``level`` % of the backtest's actuals. ``nonnegative`` names the
    series kept at or above zero (``True``: all; default: those never below zero)."""
    frame = validate_series(frame)
    season = season_length(frequency(frame))
    candidates = models if isinstance(models, dict) else candidate_models(models, frame)
    if BASELINE not in candidates:
        candidates = {BASELINE: MODEL_FACTORIES[BASELINE], **candidates}
    if frame.groupby(ID).size().min() <= horizon * (folds + 1):
        raise ForecastingError(
            f"each series needs more than {horizon * (folds + 1)} periods for {folds} backtest "
            f"folds of {horizon}"
        )
    keep_positive = _nonnegative_ids(frame, nonnegative)
    aliases = duplicated_series(frame)
    work = frame[~frame[ID].isin(aliases)]
    backtest = with_aliases(
        backtest_forecasts(work, candidates, horizon, folds, workers=workers), aliases
    )
    backtest = _drop_ineligible(clip_nonnegative(backtest, keep_positive), frame)
    horizons = sorted({7, 28, horizon} & set(range(1, horizon + 1)))
    scores = score_forecasts(backtest, frame, horizons=horizons)
    if combinations and len(candidates) > 2:
        combined = combination_backtest(backtest, scores)
        backtest = pd.concat([backtest, combined], ignore_index=True)
        scores = pd.concat([scores, score_forecasts(combined, frame, horizons=horizons)])
    champions = choose_champion(
        scores, favoured=list(HOW), margin=CHALLENGER_MARGIN, default=CLASSICAL_COMBINATION
    )
    members = {name: members_of(name, backtest, scores) for name in HOW}
    needed = {BASELINE} | {
        m
        for uid, name in champions.items()
        for m in (members[name][uid] if name in HOW else [name])
    }
    names = [name for name in candidates if name in needed]
    results = run_all(
        _fit_final, [(candidates[n], work, horizon, future_exog) for n in names], workers
    )
    fitted: dict[str, ForecastModel] = {
        n: model for n, (model, _) in zip(names, results, strict=True)
    }
    parts = [
        predicted.assign(**{MODEL: n}) for n, (_, predicted) in zip(names, results, strict=True)
    ]
    singles = pd.concat(parts, ignore_index=True)
    for name in HOW:
        mine = {
            uid: members[name][uid]
            for uid, champion in champions.items()
            if champion == name and uid not in aliases
        }
        if mine:
            fitted[name] = Combination(name, mine, fitted)
            parts.append(fitted[name].combined(singles).assign(**{MODEL: name}))
    raw = with_aliases(pd.concat(parts, ignore_index=True), aliases)
    raw = clip_nonnegative(raw, keep_positive)
    level = next(iter(fitted.values())).level
    size = bucket_size(folds)
    origins = [*sorted(backtest[CUTOFF].unique()), frame[DS].max()]
    scales = origin_scales(frame, origins, season)
    offsets = rescale(conformal_offsets(backtest, level, size, scales), _today(scales, frame))
    forecasts = clip_nonnegative(calibrate(raw, offsets, size), keep_positive)
    result = TrainingResult(
        horizon=horizon,
        level=level,
        scores=scores,
        champions=champions,
        backtest_forecasts=backtest,
        forecasts=forecasts[[*FORECAST_COLUMNS, MODEL]],
        fitted=fitted,
        bucket=size,
        scales=scales,
        nonnegative=tuple(keep_positive),
        aliases=aliases,
        future_exog=future_exog,
    )
    _publish(result, frame, raw, hierarchy, season)
    return result


def _today(scales: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    return scales[scales[CUTOFF] == frame[DS].max()]


def _drop_ineligible(backtest: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Intermittent-demand models compete on intermittent series only."""
    sparse = set(intermittent_series(frame))
    wrong = backtest[MODEL].isin(INTERMITTENT) & ~backtest[ID].isin(sparse)
    return backtest[~wrong].reset_index(drop=True)


def _champion_rows(frame: pd.DataFrame, champions: pd.Series) -> pd.DataFrame:
    chosen = champions.rename(MODEL).reset_index()
    return frame.merge(chosen, on=[ID, MODEL]).reset_index(drop=True)


def _publish(
    result: TrainingResult,
    frame: pd.DataFrame,
    raw: pd.DataFrame,
    hierarchy: Hierarchy | None,
    season: int,
) -> None:
    """Fill the result's published forecast, its backtest, offsets and skill."""
    base = _champion_rows(raw, result.champions)
    backtest = _champion_rows(result.backtest_forecasts, result.champions)
    positive = result.nonnegative
    if hierarchy is not None:
        missing = set(hierarchy.ids) - set(result.champions.index)
        if missing:
            raise ForecastingError(f"hierarchy series without data: {sorted(missing)}")
        everything = set(positive) >= set(hierarchy.ids)
        method, scores, backtest = choose_method(
            hierarchy, backtest, frame, season, nonnegative=everything
        )
        reconciled = reconcile_frame(
            hierarchy, method, base, frame, error_matrix(backtest), nonnegative=everything
        )
        result.reconciliation, result.reconciliation_scores = method, scores
    else:
        reconciled = base
    adjustment = reconciled[YHAT].to_numpy() - base[YHAT].to_numpy()
    result.adjustments = base[[ID, DS]].assign(adjustment=adjustment)
    offsets = conformal_offsets(backtest, result.level, result.bucket, result.scales)
    result.offsets = rescale(offsets, _today(result.scales, frame))
    published = calibrate(reconciled, result.offsets, result.bucket)
    result.published = clip_nonnegative(published, positive)[[*FORECAST_COLUMNS, MODEL]]
    result.published_backtest = backtest
    result.skill = skill_table(result, frame, season)


def skill_table(result: TrainingResult, frame: pd.DataFrame, season: int) -> pd.DataFrame:
    """Per series: the published forecast's mean backtest MASE beside seasonal naive's and the
    best classical method's, their ratios, and the held-out interval coverage."""
    published = result.published_backtest.assign(**{MODEL: PUBLISHED})
    mine = score_forecasts(published, frame, horizons=[result.horizon], season=season)
    out = relative_skill(
        pd.concat([result.scores, mine]), pd.Series(PUBLISHED, result.champions.index)
    )
    out["champion"] = out[ID].map(result.champions)
    coverage = pd.Series(np.nan, index=out[ID])
    if result.published_backtest[CUTOFF].nunique() > 1:
        held_out = held_out_coverage(
            result.published_backtest,
            result.level,
            result.bucket,
            result.nonnegative,
            result.scales,
        )
        coverage = held_out.set_index(ID)["coverage"].reindex(out[ID])
    return out.assign(coverage=coverage.to_numpy())

"""The Attribution page's data: every model beside last touch, and the path explorer.

``build_attribution`` runs the models over all journeys of the period (a model needs whole
paths); ``attribution_slice`` narrows the result to the channels a page's filter and drill
path keep, per touchpoint or summed per channel category (the credit of a category is the
credit of its touchpoints), with the most frequent paths that touch them.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

import pandas as pd

from analytics.attribution.journeys import DEFAULT_LOOKBACK_DAYS
from analytics.attribution.journeys import load_journeys
from analytics.attribution.models import COMPARISON_COLUMNS
from analytics.attribution.models import MODELS
from analytics.attribution.models import compare_models
from analytics.attribution.paths import SEPARATOR
from analytics.attribution.paths import top_paths
from analytics.attribution.shapley import MAX_CHANNELS
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import channels_within

TOP_PATHS = 25


@dataclass(frozen=True)
class AttributionView:
    period: Period
    lookback_days: int
    order: int
    half_life: float
    orders: int  # orders of known customers in the period
    converted: int  # of those, with at least one touch in the lookback
    null_journeys: int
    comparison: pd.DataFrame  # analytics.attribution.models.COMPARISON_COLUMNS
    model_labels: dict[str, str]
    paths: pd.DataFrame  # analytics.attribution.paths.TOP_PATH_COLUMNS, every distinct path
    message: str = ""  # why there is nothing to show, when there is nothing
    left_out: dict[str, str] = field(default_factory=dict)  # model → why it is not shown

    @property
    def coverage(self) -> float | None:
        """Share of the period's orders (known customers) that have a journey."""
        return self.converted / self.orders if self.orders else None


def build_attribution(
    period: Period,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    order: int = 1,
    half_life: float = 7.0,
    url: str | None = None,
) -> AttributionView:
    labels = {name: model.label for name, model in MODELS.items()}
    empty = AttributionView(
        period, lookback_days, order, half_life, 0, 0, 0, pd.DataFrame(), labels, pd.DataFrame()
    )
    try:
        journeys = load_journeys(period, lookback_days, url)
    except AnalyticsError as exc:
        return replace(empty, message=str(exc))
    channels = len(journeys.paths.channels)
    left_out = (
        {"shapley": f"exact over at most {MAX_CHANNELS} channels; these journeys have {channels}"}
        if channels > MAX_CHANNELS
        else {}
    )
    models = tuple(m for m in MODELS if m not in left_out)
    comparison = compare_models(journeys.paths, models, order=order, half_life=half_life)
    return AttributionView(
        period=period,
        lookback_days=lookback_days,
        order=order,
        half_life=half_life,
        orders=journeys.orders,
        converted=journeys.converted,
        null_journeys=journeys.null_journeys,
        comparison=comparison,
        model_labels=labels,
        paths=top_paths(journeys.paths, journeys.paths.n_paths),
        left_out=left_out,
    )


SUMMED = COMPARISON_COLUMNS[2:]  # every number of the comparison adds up over channels


@dataclass(frozen=True)
class AttributionSlice:
    comparison: pd.DataFrame  # model, model_label, channel, channel_name and SUMMED
    paths: pd.DataFrame  # the TOP_PATHS most frequent paths through a kept touchpoint
    total_conversions: float  # of every journey, whatever the filter keeps


def attribution_slice(
    view: AttributionView, level: str, filters: Filters, url: str | None = None
) -> AttributionSlice:
    """The view's comparison per ``level`` (touchpoint or category) member the filter keeps."""
    if level not in ("category", "touchpoint"):
        raise AnalyticsError(f"attribution breaks down by category or touchpoint, not {level!r}")
    columns = ["model", "model_label", "channel", "channel_name", *SUMMED]
    if view.comparison.empty:
        return AttributionSlice(pd.DataFrame(columns=columns), view.paths, 0.0)
    kept = channels_within(filters, url).set_index("touchpoint_name", drop=False)
    rows = view.comparison[view.comparison["channel"].isin(kept.index)]
    member = kept.loc[rows["channel"]]
    rows = rows.assign(
        channel=member[level].to_numpy(), channel_name=member[f"{level}_name"].to_numpy()
    )
    summed = rows.groupby(["model", "channel", "channel_name"], as_index=False)[SUMMED].sum()
    # Models in their registry order; channels by last-touch conversions, the same in each.
    summed["model_rank"] = summed["model"].map({m: i for i, m in enumerate(view.model_labels)})
    comparison = summed.sort_values(
        ["model_rank", "last_touch_conversions", "channel"], ascending=[True, False, True]
    ).assign(model_label=lambda f: f["model"].map(view.model_labels))
    names = set(kept.index)
    touches = view.paths["path"].map(lambda p: bool(names & set(p.split(f" {SEPARATOR} "))))
    total = view.comparison.loc[view.comparison["model"] == "last", "conversions"].sum()
    return AttributionSlice(
        comparison[columns].reset_index(drop=True),
        view.paths[touches].head(TOP_PATHS).reset_index(drop=True),
        total,
    )

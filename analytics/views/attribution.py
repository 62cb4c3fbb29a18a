"""The Attribution page's data: every model beside last touch, and the path explorer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from analytics.attribution.journeys import DEFAULT_LOOKBACK_DAYS, load_journeys
from analytics.attribution.models import MODELS, compare_models
from analytics.attribution.paths import top_paths
from analytics.attribution.shapley import MAX_CHANNELS
from analytics.errors import AnalyticsError
from analytics.periods import Period

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
    paths: pd.DataFrame  # analytics.attribution.paths.TOP_PATH_COLUMNS
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
        paths=top_paths(journeys.paths, TOP_PATHS),
        left_out=left_out,
    )

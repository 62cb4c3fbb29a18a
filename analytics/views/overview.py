"""The Overview: KPIs for a period against the prior period, last year and target, by channel."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pandas as pd

from analytics.contribution import sales_shares
from analytics.metrics import ADDITIVE_MEASURES
from analytics.metrics import METRICS
from analytics.metrics import relative_change
from analytics.periods import Period
from analytics.prorated_targets import load_targets
from analytics.prorated_targets import targets_for
from analytics.rollup import Filters
from analytics.rollup import data_as_of
from analytics.rollup import prefetch_rollups
from analytics.rollup import rollup_sums
from analytics.targets import scope_ids

KPI_METRICS = ("revenue", "orders", "aov", "conversion_rate", "cac", "new_customers", "margin_pct")


@dataclass(frozen=True)
class Kpi:
    metric: str
    value: float | None
    prior: float | None
    last_year: float | None
    target: float | None

    @property
    def change_prior(self) -> float | None:
        return relative_change(self.value, self.prior)

    @property
    def change_last_year(self) -> float | None:
        return relative_change(self.value, self.last_year)

    @property
    def variance_to_target(self) -> float | None:
        return relative_change(self.value, self.target)


@dataclass(frozen=True)
class OverviewView:
    period: Period
    prior: Period
    last_year: Period
    channel_level: str  # "category" or "touchpoint"
    kpis: dict[str, Kpi]
    # channel, channel_name, revenue, revenue_prior, revenue_ly, share (of gross sales)
    by_channel: pd.DataFrame
    share_over_time: pd.DataFrame  # month, channel_name, revenue, share (of gross sales)
    top_channel: str | None
    top_channel_revenue: float | None
    data_as_of: dt.datetime | None


def _channel_level(filters: Filters) -> str:
    """Break down by touchpoint once the view is narrowed to one category or to touchpoints."""
    return "touchpoint" if len(filters.categories) == 1 or filters.touchpoints else "category"


def _target_scope(filters: Filters, url: str | None) -> tuple[str, int] | None:
    """The target level and id the slice is compared with; None for a slice no target covers
    (several channels, a region, a code that names nothing)."""
    if not (filters.categories or filters.touchpoints or filters.regions or filters.locations):
        return "total", 0
    if len(filters.categories) == 1 and not (
        filters.touchpoints or filters.regions or filters.locations
    ):
        level, code = "category", filters.categories[0]
    elif len(filters.touchpoints) == 1 and not (filters.regions or filters.locations):
        level, code = "touchpoint", filters.touchpoints[0]
    else:
        return None
    found = scope_ids(level, url).get(code)
    return None if found is None else (level, found)


def _metric_values(sums: pd.DataFrame) -> dict[str, float | None]:
    """The KPIs of the whole slice from its rows grouped any way (sum over sum)."""
    totals = sums[list(ADDITIVE_MEASURES)].sum()
    return {name: METRICS[name].value(totals) for name in KPI_METRICS}


def build_overview(
    period: Period, filters: Filters | None = None, url: str | None = None
) -> OverviewView:
    filters = filters or Filters()
    prior, last_year = period.prior(), period.last_year()
    level = _channel_level(filters)
    prefetch_rollups(
        [(p, (level,)) for p in (period, prior, last_year)] + [(period, ("day", level))],
        filters,
        url,
        also=[functools.partial(load_targets, KPI_METRICS, period, url)],
    )
    frames = {
        key: rollup_sums(p, (level,), filters, url)
        for key, p in (("now", period), ("prior", prior), ("ly", last_year))
    }
    totals = {key: _metric_values(frame) for key, frame in frames.items()}
    frames = {key: frame.set_index(level) for key, frame in frames.items()}
    scope = _target_scope(filters, url)
    targets = targets_for(KPI_METRICS, period, *scope, url=url) if scope else {}
    kpis = {
        name: Kpi(
            name, totals["now"][name], totals["prior"][name], totals["ly"][name], targets.get(name)
        )
        for name in KPI_METRICS
    }

    # Every channel with sales in any of the three periods: one that sold before and not now
    # keeps its prior and last-year bars, so the bars add up to the KPIs' comparisons.
    now = frames["now"]
    channels = now.index.union(frames["prior"].index, sort=False).union(
        frames["ly"].index, sort=False
    )
    names = pd.concat([frame[f"{level}_name"] for frame in frames.values()])
    by_channel = pd.DataFrame(
        {
            "channel": channels,
            "channel_name": names[~names.index.duplicated()].reindex(channels).to_numpy(),
            **{
                column: frames[key]["revenue"].reindex(channels).fillna(0.0).to_numpy()
                for column, key in (
                    ("revenue", "now"),
                    ("revenue_prior", "prior"),
                    ("revenue_ly", "ly"),
                )
            },
            "share": sales_shares(now["gross_revenue"]).reindex(channels).fillna(0.0).to_numpy(),
        }
    )
    total = by_channel["revenue"].sum()
    by_channel = by_channel.sort_values("revenue", ascending=False, ignore_index=True)
    top = by_channel.iloc[0] if len(by_channel) and total > 0 else None

    daily = rollup_sums(period, ("day", level), filters, url)
    if daily.empty:
        share = pd.DataFrame(columns=["month", "channel_name", "revenue", "share"])
    else:
        daily["month"] = pd.to_datetime(daily["day"]).dt.to_period("M").dt.start_time
        share = (
            daily.groupby(["month", f"{level}_name"], as_index=False)[["revenue", "gross_revenue"]]
            .sum()
            .rename(columns={f"{level}_name": "channel_name"})
        )
        share["share"] = sales_shares(share.pop("gross_revenue"), share["month"])
    return OverviewView(
        period=period,
        prior=prior,
        last_year=last_year,
        channel_level=level,
        kpis=kpis,
        by_channel=by_channel,
        share_over_time=share,
        top_channel=None if top is None else str(top["channel_name"]),
        top_channel_revenue=None if top is None else float(top["revenue"]),
        data_as_of=data_as_of(url),
    )

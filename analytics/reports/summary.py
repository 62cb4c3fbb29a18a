"""What the weekly executive summary says: KPIs vs target, top movers, recommended actions, open
and overdue alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.decisions import DecisionList
from analytics.decisions import build_decisions
from analytics.periods import Period
from analytics.periods import require_over
from analytics.reports.alerts_section import READER
from analytics.reports.alerts_section import AlertsSection
from analytics.reports.alerts_section import alerts_section
from analytics.rollup import rollup_sums
from analytics.views.overview import Kpi
from analytics.views.overview import build_overview
from db.settings import get_settings

REPORT = "weekly_executive"
TOP_MOVERS = 5


def last_complete_week(today: dt.date) -> Period:
    """The Monday–Sunday week that ended before ``today``."""
    end = today - dt.timedelta(days=today.weekday() + 1)
    return Period(end - dt.timedelta(days=6), end)


def week_ending(day: dt.date) -> Period:
    """The Monday–Sunday week that contains ``day``."""
    start = day - dt.timedelta(days=day.weekday())
    return Period(start, start + dt.timedelta(days=6))


@dataclass(frozen=True)
class WeeklySummary:
    period: Period
    prior: Period
    currency: str
    kpis: dict[str, Kpi]
    by_channel: pd.DataFrame  # channel, channel_name, revenue, revenue_prior, change, change_pct
    movers: pd.DataFrame  # the TOP_MOVERS rows of by_channel with the largest absolute change
    alerts: AlertsSection
    generated_at: dt.datetime
    decisions: DecisionList  # up to five actions ranked by expected effect in money


def channel_changes(period: Period, url: str | None = None) -> pd.DataFrame:
    """Revenue per touchpoint this period and the prior period, with the change."""
    now = rollup_sums(period, ("touchpoint",), url=url).set_index("touchpoint")
    before = rollup_sums(period.prior(), ("touchpoint",), url=url).set_index("touchpoint")
    names = pd.concat([now["touchpoint_name"], before["touchpoint_name"]])
    names = names[~names.index.duplicated()]
    frame = pd.DataFrame(
        {
            "channel": names.index,
            "channel_name": names.to_numpy(),
            "revenue": now["revenue"].reindex(names.index).fillna(0).to_numpy(),
            "revenue_prior": before["revenue"].reindex(names.index).fillna(0).to_numpy(),
        }
    )
    frame["change"] = frame["revenue"] - frame["revenue_prior"]
    prior = frame["revenue_prior"].where(frame["revenue_prior"] != 0)
    frame["change_pct"] = frame["change"] / prior.abs()
    return frame.sort_values("revenue", ascending=False, ignore_index=True)


def build_weekly_summary(
    period: Period | None = None, url: str | None = None, now: dt.datetime | None = None
) -> WeeklySummary:
    """The summary for ``period`` (default: the last complete week before today); a week not
    over yet is refused: its days to come would read as a collapse against the week before."""
    settings = get_settings()
    now = now or dt.datetime.now(dt.UTC)
    period = period or last_complete_week(now.astimezone(settings.tz).date())
    require_over(period.end, now, what=f"the week {period.start} – {period.end}")
    overview = build_overview(period, url=url)
    by_channel = channel_changes(period, url)
    order = by_channel["change"].abs().sort_values(ascending=False, kind="stable").index
    movers = by_channel.loc[order].head(TOP_MOVERS).reset_index(drop=True)
    movers = movers[movers["change"] != 0]
    return WeeklySummary(
        period=period,
        prior=period.prior(),
        currency=settings.base_currency,
        kpis=overview.kpis,
        by_channel=by_channel,
        movers=movers,
        alerts=alerts_section(now, url),
        generated_at=now,
        decisions=build_decisions(period.end, role=READER, url=url),
    )

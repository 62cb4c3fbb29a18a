"""``channelperf budget``: the best split of a marketing budget over the channels with spend,
from their fitted spend-response curves, beside the current split."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from analytics.budget.extrapolation import extrapolations
from analytics.budget.plans import DEFAULT_HORIZON
from analytics.budget.plans import propose_budget
from analytics.errors import AnalyticsError
from cli.common import FormatOption
from cli.common import errors
from cli.common import failing_on
from cli.common import write_frame
from db.settings import get_settings


class Objective(StrEnum):
    revenue = "revenue"
    margin = "margin"


def parse_bounds(values: list[str] | None, option: str) -> dict[str, float]:
    """``CH=AMT`` pairs as a dict; AnalyticsError names the bad pair."""
    bounds: dict[str, float] = {}
    for value in values or ():
        name, sep, amount = value.partition("=")
        channel = name.strip()
        try:
            number = float(amount)
        except ValueError:
            number = float("nan")
        if not sep or not channel or number != number:
            raise AnalyticsError(f"{option} {value!r} must be CHANNEL=AMOUNT, e.g. web=5000")
        if channel in bounds:
            raise AnalyticsError(f"{option} names {channel!r} twice; give each channel once")
        bounds[channel] = number
    return bounds


app = typer.Typer()


@app.command("budget")
def budget_command(
    total: Annotated[float, typer.Option("--total", help="Budget to split over the horizon.")],
    output: FormatOption,
    objective: Annotated[
        Objective, typer.Option("--objective", help="What the split maximises.")
    ] = Objective.revenue,
    minimum: Annotated[
        list[str] | None, typer.Option("--min", help="CHANNEL=AMOUNT lower bound (repeatable).")
    ] = None,
    maximum: Annotated[
        list[str] | None, typer.Option("--max", help="CHANNEL=AMOUNT upper bound (repeatable).")
    ] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Days the budget covers.")] = (
        DEFAULT_HORIZON
    ),
) -> None:
    """One row per channel: current and proposed amount, expected revenue of each."""
    with failing_on(AnalyticsError):
        low, high = parse_bounds(minimum, "--min"), parse_bounds(maximum, "--max")
        with errors.status("Fitting spend-response curves and optimising"):
            proposal = propose_budget(total, objective.value, low, high, horizon)
    a = proposal.allocation
    frame = pd.DataFrame(
        {
            "channel": a.channels,
            "current": a.current.round(2),
            "proposed": a.proposed.round(2),
            "change": (a.proposed - a.current).round(2),
            "revenue_current": a.revenue_current.round(2),
            "revenue_proposed": a.revenue_proposed.round(2),
        }
    )
    write_frame(frame, output)
    errors.print(
        f"expected {objective.value} uplift over {horizon} days: {a.uplift:,.0f} "
        f"(90 % interval {a.uplift_low:,.0f} to {a.uplift_high:,.0f})",
        highlight=False,
    )
    for channel, reason in proposal.no_curve.items():
        errors.print(escape(f"{channel}: no curve, so no share ({reason})"), highlight=False)
    currency = get_settings().base_currency
    for warning in extrapolations(a, proposal.spend_ranges, proposal.names, currency):
        errors.print(escape(f"warning: {warning}"), highlight=False)

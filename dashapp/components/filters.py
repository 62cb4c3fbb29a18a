"""Period and channel controls shared by the analytics pages (ids namespaced by page)."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc
from dash import html

from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.periods import fiscal_quarter
from analytics.rollup import channel_options
from db.settings import get_settings

PRESETS = {
    "quarter": "This quarter (to date)",
    "last_quarter": "Last quarter",
    "last_30": "Last 30 days",
    "last_90": "Last 90 days",
    "ytd": "Year to date",
    "last_365": "Last 12 months",
    "custom": "Custom range",
}


def presets_end(first_day: dt.date, last_day: dt.date) -> dt.date:
    """The day the presets end on, for data from ``first_day`` to ``last_day``: the last one that
    is over in the reporting time zone (today's orders so far are not a day's worth beside whole
    days), unless no day with data is over yet. The date picker still reaches ``last_day``."""
    over = min(last_day, get_settings().last_day_over())
    return over if over >= first_day else last_day


def preset_period(preset: str, last_day: dt.date, fiscal_start_month: int = 1) -> Period:
    """The period a preset means, relative to its last day (``presets_end``)."""
    quarter = fiscal_quarter(last_day, fiscal_start_month)
    if preset == "last_quarter":
        return fiscal_quarter(quarter.start - dt.timedelta(days=1), fiscal_start_month)
    if preset in ("last_30", "last_90", "last_365"):
        days = int(preset.split("_")[1])
        return Period(last_day - dt.timedelta(days=days - 1), last_day)
    if preset == "ytd":
        start_year = last_day.year if last_day.month >= fiscal_start_month else last_day.year - 1
        return Period(dt.date(start_year, fiscal_start_month, 1), last_day)
    return Period(quarter.start, last_day)


# A current period ("to date") with fewer days of data than this opens on the last complete one.
MIN_CURRENT_DAYS = 14
COMPLETE_PRESET = {"quarter": "last_quarter"}


def opening_preset(
    preset: str, last_day: dt.date, fiscal_start_month: int = 1
) -> tuple[str, str | None]:
    """The preset a page opens with for its default ``preset``, and the note saying why when
    it is another: data ending a few days into a quarter would open on those few days (where a
    refund can outweigh the sales), so it opens on the last complete quarter instead."""
    complete = COMPLETE_PRESET.get(preset)
    current = preset_period(preset, last_day, fiscal_start_month)
    if complete is None or current.days >= MIN_CURRENT_DAYS:
        return preset, None
    days = f"{current.days} day{'s' if current.days > 1 else ''}"
    return complete, (
        f"Showing {PRESETS[complete].lower()}: {PRESETS[preset].lower().split(' (')[0]} "
        f"has only {days} of data so far."
    )


def picked_date(text: str | None) -> dt.date | None:
    """A date picker's value (YYYY-MM-DD, maybe with a time) as a date; None when empty or not
    a date."""
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def picked_period(start: str | None, end: str | None) -> Period:
    """The period a date range picker holds; AnalyticsError saying what is missing or wrong."""
    first, last = picked_date(start), picked_date(end)
    if first is None or last is None:
        raise AnalyticsError("choose a start and an end date")
    return Period(first, last)


def channel_filter_options(channels: pd.DataFrame) -> list[dict]:
    """Categories, each followed by its touchpoints (values "category:code" / "touchpoint:code")."""
    options = []
    for (code, name), group in channels.groupby(["category", "category_name"], sort=False):
        options.append({"label": name, "value": f"category:{code}"})
        for row in group.itertuples():
            options.append(
                {"label": f"   {row.touchpoint_name}", "value": f"touchpoint:{row.touchpoint}"}
            )
    return options


def channel_filter(component_id: str, value: list[str] | None = None) -> list:
    """The labelled multi-select of categories and touchpoints ("All channels" when empty)."""
    return [
        dbc.Label("Channels", html_for=component_id, className="small text-secondary mb-0"),
        dcc.Dropdown(
            id=component_id,
            options=channel_filter_options(channel_options(active_only=True)),
            value=value,
            multi=True,
            placeholder="All channels",
        ),
    ]


def split_channel_values(values: list[str] | None) -> dict[str, tuple[str, ...]]:
    chosen = values or []
    return {
        "categories": tuple(v.split(":", 1)[1] for v in chosen if v.startswith("category:")),
        "touchpoints": tuple(v.split(":", 1)[1] for v in chosen if v.startswith("touchpoint:")),
    }


def period_controls(
    prefix: str,
    first_day: dt.date,
    last_day: dt.date,
    period: Period,
    preset: str = "quarter",
    note: str | None = None,
) -> dbc.Row:
    """The preset picker and the date range, with ``note`` (why this period) beside them."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(
                        "Period", html_for=f"{prefix}-preset", className="small text-secondary mb-0"
                    ),
                    dcc.Dropdown(
                        id=f"{prefix}-preset",
                        options=[{"label": v, "value": k} for k, v in PRESETS.items()],
                        value=preset,
                        clearable=False,
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(
                        "Dates", html_for=f"{prefix}-dates", className="small text-secondary mb-0"
                    ),
                    dcc.DatePickerRange(
                        id=f"{prefix}-dates",
                        min_date_allowed=first_day,
                        max_date_allowed=last_day,
                        start_date=period.start,
                        end_date=period.end,
                        display_format="D MMM YYYY",
                        first_day_of_week=1,
                    ),
                ],
                md="auto",
            ),
            *(
                [dbc.Col(html.Small(note, id=f"{prefix}-period-note", className="text-info"))]
                if note
                else []
            ),
        ],
        className="g-3 align-items-end",
    )


def number_input(component_id: str | dict, label: str | None = None, **props) -> list:
    """A labelled number box. No min, max or step: a browser sends a number outside them as
    empty, so the page could not say what is wrong with it; the callback checks the range."""
    box = dbc.Input(id=component_id, type="number", step="any", debounce=True, **props)
    if label is None:
        return [box]
    return [dbc.Label(label, html_for=component_id, className="small text-secondary mb-0"), box]

"""A metric compared across periods on a user's request (the metrics API and the CLI).

``parse_request`` validates user input once for the API and the CLI and says which parameter
is wrong; ``table_for`` answers it with ``metric_table``; ``as_payload`` is the one JSON
shape both return.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pandas as pd
from sqlalchemy import select

from analytics.errors import AnalyticsError
from analytics.metric_table import BY_CHOICES
from analytics.metric_table import TIME_GRAINS
from analytics.metric_table import metric_table
from analytics.metrics import METRICS
from analytics.metrics import get_metric
from analytics.periods import COMPARISONS
from analytics.periods import FIRST_DAY
from analytics.periods import LAST_DAY
from analytics.periods import Period
from analytics.periods import compare_periods
from analytics.periods import supported
from analytics.rollup import Filters
from db.engine import get_engine
from db.schema import ChannelCategory
from db.schema import Location
from db.schema import Region
from db.schema import Touchpoint

# Filter parameter -> (Filters field, code table, code of "no such place").
FILTER_PARAMETERS = {
    "channel": ("categories", ChannelCategory, None),
    "touchpoint": ("touchpoints", Touchpoint, None),
    "region": ("regions", Region, "none"),
    "location": ("locations", Location, "none"),
}
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ParameterError(AnalyticsError):
    """A request parameter that cannot be answered; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class MetricRequest:
    metric: str
    by: str
    period: Period
    compare: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    grain: str | None = None


def known_codes(url: str | None = None) -> dict[str, set[str]]:
    """The codes each filter parameter accepts."""
    with get_engine(url).connect() as conn:
        codes = {
            parameter: set(conn.execute(select(table.__table__.c.code)).scalars())
            for parameter, (_, table, _) in FILTER_PARAMETERS.items()
        }
    for parameter, (_, _, nowhere) in FILTER_PARAMETERS.items():
        if nowhere:
            codes[parameter].add(nowhere)
    return codes


def _date(parameter: str, text: str | None) -> dt.date:
    if text is None or not text.strip():
        raise ParameterError(parameter, f"{parameter} is required (YYYY-MM-DD)")
    if not ISO_DATE.fullmatch(text.strip()):
        raise ParameterError(
            parameter, f"{parameter} {text!r} is not a date in the form YYYY-MM-DD"
        )
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise ParameterError(
            parameter, f"{parameter} {text!r} is not a valid date: {error}"
        ) from None
    if not supported(day):
        span = f"{FIRST_DAY} – {LAST_DAY}"
        raise ParameterError(parameter, f"{parameter} {day} is outside the days read ({span})")
    return day


def _choice(parameter: str, value: str | None, choices: Sequence[str]) -> str:
    if value is None or not value.strip():
        raise ParameterError(parameter, f"{parameter} is required; use one of {', '.join(choices)}")
    if value not in choices:
        raise ParameterError(
            parameter, f"unknown {parameter} {value!r}; use one of {', '.join(choices)}"
        )
    return value


def parse_request(
    *,
    metric: str | None,
    by: str | None,
    start: str | None,
    end: str | None,
    max_days: int,
    compare: Sequence[str] = (),
    grain: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    url: str | None = None,
) -> MetricRequest:
    """Validate user input; ParameterError names the first bad parameter and says why.

    Filter values must look like codes before the database is asked whether
    they exist, so text such as SQL never reaches a query.
    """
    metric = _choice("metric", metric, tuple(METRICS))
    by = _choice("by", by, BY_CHOICES)
    first, last = _date("start", start), _date("end", end)
    if last < first:
        raise ParameterError("end", f"end {last} is before start {first}")
    period = Period(first, last)
    if period.days > max_days:
        raise ParameterError(
            "end", f"the range {first} – {last} is {period.days} days; the maximum is {max_days}"
        )
    for name in compare:
        _choice("compare", name, COMPARISONS)
    if grain is not None:
        _choice("grain", grain, TIME_GRAINS)
        if by in TIME_GRAINS and grain != by:
            raise ParameterError("grain", f"by {by!r} already is a time grain; leave grain out")
    given = {k: list(values) for k, values in (filters or {}).items()}
    for parameter, values in given.items():
        if parameter not in FILTER_PARAMETERS:
            raise ParameterError(parameter, f"unknown filter {parameter!r}")
        for value in values:
            if value == "":
                raise ParameterError(
                    parameter, f"{parameter} is empty; give a code or leave {parameter} out"
                )
            if not CODE.fullmatch(value):
                raise ParameterError(parameter, f"{parameter} {value!r} is not a code")
    if any(given.values()):
        codes = known_codes(url)
        for parameter, values in given.items():
            unknown = [v for v in values if v not in codes[parameter]]
            if unknown:
                known = ", ".join(sorted(codes[parameter]))
                raise ParameterError(
                    parameter, f"unknown {parameter} {unknown[0]!r}; known: {known}"
                )
    selected = Filters.of(
        **{FILTER_PARAMETERS[p][0]: tuple(dict.fromkeys(v)) for p, v in given.items() if v}
    )
    return MetricRequest(metric, by, period, tuple(dict.fromkeys(compare)), selected, grain)


def table_for(request: MetricRequest, fiscal_start_month: int, url: str | None = None):
    return metric_table(
        request.metric,
        request.by,
        request.period,
        request.compare,
        request.filters,
        request.grain,
        fiscal_start_month,
        url,
    )


def _number(value: Any, unit: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return round(float(value), 2) if unit == "currency" else float(value)


def _period_json(period: Period) -> dict[str, Any]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days}


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else value.isoformat()


def as_payload(
    request: MetricRequest, table: pd.DataFrame, currency: str, fiscal_start_month: int
) -> dict[str, Any]:
    """The JSON answer of the metrics API (and of ``channelperf metrics --format json``)."""
    definition = get_metric(request.metric)
    unit = definition.unit
    comparisons = compare_periods(request.period, request.compare)
    filters = {
        parameter: list(getattr(request.filters, field_name))
        for parameter, (field_name, _, _) in FILTER_PARAMETERS.items()
        if getattr(request.filters, field_name)
    }
    rows = []
    for record in table.to_dict("records"):
        row = {
            "key": record["key"],
            "label": record["label"],
            **({"bucket": record["bucket"]} if "bucket" in record else {}),
            "start": _day(record["start"]),
            "end": _day(record["end"]),
            "value": _number(record["value"], unit),
        }
        for name in comparisons:
            row[name] = {
                "start": _day(record[f"{name}_start"]),
                "end": _day(record[f"{name}_end"]),
                "value": _number(record[f"{name}_value"], unit),
                "change": _number(record[f"{name}_change"], unit),
                "change_pct": _number(record[f"{name}_change_pct"], "ratio"),
            }
        rows.append(row)
    return {
        "metric": definition.name,
        "label": definition.label,
        "unit": unit,
        "currency": currency,
        "by": request.by,
        "grain": request.grain or (request.by if request.by in TIME_GRAINS else None),
        "fiscal_year_start_month": fiscal_start_month,
        "period": _period_json(request.period),
        "comparisons": {name: _period_json(p) for name, p in comparisons.items()},
        "filters": filters,
        "rows": rows,
    }

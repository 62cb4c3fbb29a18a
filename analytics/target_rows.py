"""Checking target rows (from the Admin › Targets form, a CSV file or the demo) before any is
written: every row is checked and every problem kept, named the way its source names things (the
form's field labels, or the file's line numbers and column names).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

import pandas as pd

from analytics.errors import AnalyticsError
from analytics.metrics import METRICS

TARGET_METRICS = ("revenue", "conversion_rate", "aov", "margin_pct")
TARGET_LEVELS = ("category", "touchpoint")
SCOPE_TYPES = ("total", *TARGET_LEVELS)
TARGET_COLUMNS = ("scope_type", "scope_code", "metric", "period_start", "period_end", "value")
# Field names on the Admin › Targets form (a file names its columns instead).
FORM_LABELS = {
    "scope_type": "Channel",
    "scope_code": "Channel",
    "metric": "Metric",
    "period_start": "Start",
    "period_end": "End",
    "value": "Value",
}
MAX_VALUE = Decimal(10) ** 12  # the column keeps 12 digits before the point
MAX_LISTED = 20  # bad rows a refusal lists


@dataclass(frozen=True)
class TargetRow:
    """One checked target; ``line`` is its line in the file (None for the form)."""

    scope_type: str
    scope_code: str
    scope_id: int
    metric: str
    period_start: dt.date
    period_end: dt.date
    value: Decimal
    line: int | None

    @property
    def key(self) -> tuple[str, int, str]:
        """What a target is for: its scope and metric (two targets of one key may not overlap)."""
        return self.scope_type, self.scope_id, self.metric

    @property
    def described(self) -> str:
        """``the revenue target of category ecommerce``."""
        scope = (
            "all channels" if self.scope_type == "total" else f"{self.scope_type} {self.scope_code}"
        )
        return f"the {METRICS[self.metric].label.lower()} target of {scope}"

    def audited(self, value: Decimal) -> dict:
        """The target as its audit entry keeps it, with ``value``."""
        return {
            "scope_type": self.scope_type,
            "scope_code": self.scope_code,
            "metric": self.metric,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "value": plain_number(value),
        }


@dataclass(frozen=True)
class Problem:
    line: int | None
    text: str


def plain_number(value: Decimal, grouped: bool = False) -> str:
    """``494400`` (``494,400`` grouped) or ``0.031``: a value without its trailing zeros."""
    return format(value.normalize(), ",f" if grouped else "f")


def period_text(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _number(value) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class _Fields:
    """How the rows' source names its fields: the form's labels, or the file's columns."""

    def __init__(self, form: bool) -> None:
        self.form = form

    def name(self, column: str) -> str:
        return FORM_LABELS[column] if self.form else column

    def missing(self, columns: list[str]) -> str:
        if self.form:
            return f"Fill in {_joined([f'the {FORM_LABELS[c].lower()}' for c in columns])}"
        return f"fill in {_joined(columns)}"


def _checked(row, ids: dict[str, dict[str, int]], fields: _Fields) -> TargetRow | list[str]:
    """The row as a ``TargetRow``, or what is wrong with it."""
    scope_type = row.scope_type.strip() if isinstance(row.scope_type, str) else row.scope_type
    needed = ["scope_type", "metric", "period_start", "period_end", "value"]
    if scope_type != "total":
        needed.insert(1, "scope_code")
    missing = list(dict.fromkeys(c for c in needed if _blank(getattr(row, c))))
    if missing:
        return [fields.missing(missing)]
    problems = []
    code = "total" if scope_type == "total" else str(row.scope_code).strip()
    scope_id = 0
    if scope_type not in SCOPE_TYPES:
        problems.append(
            f"{fields.name('scope_type')}: {scope_type!r} is not one of {', '.join(SCOPE_TYPES)}"
        )
    elif scope_type != "total":
        scope_id = ids[scope_type].get(code)
        if scope_id is None:
            problems.append(f"{fields.name('scope_code')}: unknown {scope_type} {code!r}")
    metric = str(row.metric).strip()
    if metric not in TARGET_METRICS:
        problems.append(
            f"{fields.name('metric')}: {metric!r} is not one of {', '.join(TARGET_METRICS)}"
        )
    dates = {}
    for column in ("period_start", "period_end"):
        dates[column] = _date(getattr(row, column))
        if dates[column] is None:
            text = str(getattr(row, column)).strip()
            problems.append(f"{fields.name(column)}: {text!r} is not a date (use YYYY-MM-DD)")
    start, end = dates["period_start"], dates["period_end"]
    if start and end and end < start:
        problems.append(
            f"{fields.name('period_end')}: {end} is before "
            f"{'the start' if fields.form else 'period_start'} {start}"
        )
    value = _number(row.value)
    text = str(row.value).strip()
    if value is None:
        problems.append(
            f"{fields.name('value')}: {text!r} is not a number "
            "(use digits with a dot for decimals, e.g. 50000.00)"
        )
    elif not 0 <= value < MAX_VALUE:
        problems.append(
            f"{fields.name('value')}: {text} must be at least 0 and below {MAX_VALUE:,}"
        )
    if problems:
        return problems
    line = None if fields.form else row.line
    return TargetRow(scope_type, code, scope_id, metric, start, end, value, line)


def checked_rows(
    frame: pd.DataFrame, ids: dict[str, dict[str, int]], form: bool = False
) -> list[TargetRow]:
    """Every row of ``frame`` (``TARGET_COLUMNS``) checked, ``ids`` giving each level's codes →
    ids; if any row is wrong an AnalyticsError lists the wrong ones (``refusal``)."""
    fields = _Fields(form)
    rows, problems = [], []
    lines = frame[list(TARGET_COLUMNS)].assign(line=range(2, len(frame) + 2))
    for row in lines.itertuples(index=False):
        checked = _checked(row, ids, fields)
        if isinstance(checked, TargetRow):
            rows.append(checked)
        else:
            problems.append(Problem(None if form else row.line, "; ".join(checked)))
    if problems:
        raise refusal(problems)
    return rows


def refusal(problems: list[Problem]) -> AnalyticsError:
    """One error naming every problem (one per line of the file, the first ``MAX_LISTED``)."""
    if len(problems) == 1:
        only = problems[0]
        return AnalyticsError(only.text if only.line is None else f"line {only.line}: {only.text}")
    listed = [f"line {p.line}: {p.text}" if p.line else p.text for p in problems[:MAX_LISTED]]
    more = len(problems) - MAX_LISTED
    if more > 0:
        listed.append(f"… and {more} more")
    return AnalyticsError(f"{len(problems)} rows are wrong:\n" + "\n".join(listed))

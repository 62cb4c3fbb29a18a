"""Targets of one scope and metric may not overlap: their prorated values would add up
(``analytics.prorated_targets`` sums every target a period overlaps). A target for exactly the
period of an existing one replaces it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from analytics.target_rows import Problem
from analytics.target_rows import TargetRow
from analytics.target_rows import period_text
from analytics.target_rows import plain_number


@dataclass(frozen=True)
class StoredTarget:
    """A target already saved: what it is for (``TargetRow.key``), its period and value."""

    key: tuple[str, int, str]
    period_start: dt.date
    period_end: dt.date
    value: Decimal


def _overlap(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> bool:
    return a_start <= b_end and b_start <= a_end


def _within(rows: list[TargetRow]) -> dict[int, str]:
    """Row index → how it overlaps an earlier row of the same scope and metric."""
    found: dict[int, str] = {}
    earlier: dict[tuple, list[TargetRow]] = defaultdict(list)
    for index, row in enumerate(rows):
        period = period_text(row.period_start, row.period_end)
        for other in earlier[row.key]:
            if (row.period_start, row.period_end) == (other.period_start, other.period_end):
                found[index] = f"{row.described} for {period} repeats line {other.line}"
                break
            if _overlap(row.period_start, row.period_end, other.period_start, other.period_end):
                found[index] = (
                    f"{row.described} for {period} overlaps line {other.line} "
                    f"({period_text(other.period_start, other.period_end)}); "
                    "targets of one channel and metric may not share days"
                )
                break
        earlier[row.key].append(row)
    return found


def _with_stored(row: TargetRow, stored: list[StoredTarget]) -> str | None:
    """How ``row`` overlaps one of ``stored`` (its scope's and metric's), if it does."""
    for other in stored:
        same = (row.period_start, row.period_end) == (other.period_start, other.period_end)
        if not same and _overlap(
            row.period_start, row.period_end, other.period_start, other.period_end
        ):
            existing = period_text(other.period_start, other.period_end)
            value = plain_number(other.value, grouped=True)
            return (
                f"{row.described} for {period_text(row.period_start, row.period_end)} overlaps "
                f"the existing one for {existing} ({value}): to change that one, save a target "
                f"for exactly {existing} (or delete it first); otherwise choose days it does "
                "not cover"
            )
    return None


def overlaps(rows: list[TargetRow], stored: list[StoredTarget]) -> list[Problem]:
    """Each row that overlaps a stored target (other than the one it replaces) or an earlier
    row of the same scope and metric, with why."""
    within = _within(rows)
    by_key: dict[tuple, list[StoredTarget]] = defaultdict(list)
    for target in stored:
        by_key[target.key].append(target)
    problems = []
    for index, row in enumerate(rows):
        why = _with_stored(row, by_key[row.key]) or within.get(index)
        if why:
            text = why if row.line is not None else why[0].upper() + why[1:]
            problems.append(Problem(row.line, text))
    return problems

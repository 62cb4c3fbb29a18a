"""What one data-integrity check says about one scope of one day."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from dataclasses import dataclass

STATUS_ORDER = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class CheckResult:
    check: str
    scope: str
    day: dt.date
    status: str  # pass | warn | fail
    observed: str = ""
    expected: str = ""
    message: str = ""

    def row(self) -> dict:
        values = asdict(self)
        values["check_name"] = values.pop("check")
        return values


def worst(statuses) -> str:
    """The most severe status among ``statuses`` (``pass`` when there are none)."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default="pass")

"""Target CSV files for the Admin › Targets tests: one that imports, one refused for its line 3."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine

GOOD = (
    "scope_type,scope_code,metric,period_start,period_end,value\n"
    "category,ecommerce,revenue,2026-07-01,2026-09-30,150000\n"
    "category,wholesale,conversion_rate,2026-07-01,2026-09-30,0.25\n"
    "total,total,margin_pct,2026-07-01,2026-09-30,0.4\n"
)
BAD = (
    "scope_type,scope_code,metric,period_start,period_end,value\n"
    "category,ecommerce,revenue,2026-10-01,2026-12-31,160000\n"
    "category,nowhere,revenue,2026-10-01,2026-12-31,1000\n"
)


def row_count(table) -> int:
    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()

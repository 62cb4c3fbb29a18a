"""The channel vocabulary: the levels a view breaks down by, their tables, names and filters.

A channel category holds touchpoints; a region and a store (location) place a sale. A view
breaks down by one level (``CHANNEL_LEVELS``, in drill-down order) and filters each level by
its members' codes (``Filters``, one field per level: ``FILTER_FIELDS``). Sales with no region
or no store are the member ``"none"`` of that level.
"""

from __future__ import annotations

from sqlalchemy import select

from analytics.errors import AnalyticsError
from db.engine import get_engine
from db.schema import ChannelCategory
from db.schema import Location
from db.schema import Region
from db.schema import Touchpoint

category = ChannelCategory.__table__
touchpoint = Touchpoint.__table__
region = Region.__table__
location = Location.__table__

CHANNEL_LEVELS = ("category", "touchpoint", "region", "location")
LEVEL_TABLES = {
    "category": category,
    "touchpoint": touchpoint,
    "region": region,
    "location": location,
}
LEVEL_LABELS = {
    "category": "Channel category",
    "touchpoint": "Touchpoint",
    "region": "Region",
    "location": "Store",
}
LEVEL_PLURALS = {
    "category": "channel categories",
    "touchpoint": "touchpoints",
    "region": "regions",
    "location": "stores",
}
FILTER_FIELDS = {
    "category": "categories",
    "touchpoint": "touchpoints",
    "region": "regions",
    "location": "locations",
}
NONE = "none"
NOT_REGIONAL = "Not regional"
NO_STORE = "Online / no store"
NONE_LABELS = {"region": NOT_REGIONAL, "location": NO_STORE}


def check_level(level: str) -> None:
    if level not in CHANNEL_LEVELS:
        raise AnalyticsError(f"unknown channel level {level!r}; use one of {CHANNEL_LEVELS}")


def level_labels(level: str, codes: list[str], url: str | None = None) -> dict[str, str]:
    """Display names of members of a channel level (an unknown code names itself)."""
    check_level(level)
    table = LEVEL_TABLES[level]
    with get_engine(url).connect() as conn:
        found = dict(
            conn.execute(select(table.c.code, table.c.name).where(table.c.code.in_(codes))).all()
        )
    none = NONE_LABELS.get(level)
    return {c: found.get(c, none if c == NONE and none else c) for c in codes}


def member_ids(level: str, url: str | None = None) -> dict[str, int]:
    """Codes → ids of a level's members."""
    table = LEVEL_TABLES[level]
    with get_engine(url).connect() as conn:
        return dict(conn.execute(select(table.c.code, table.c.id)).all())

"""Category forecasts after a touchpoint changes category, without retraining.

Published forecasts are coherent (``forecasting.reconcile``): a category's forecast is the sum
of its touchpoints' forecasts. When a touchpoint moves, the stored forecasts of the category it
left and the one it joined are rebuilt as that sum over their touchpoints now, per day and
measure; the interval is the sum of the touchpoints' bounds (wider than a category model's
own, never narrower: it assumes the touchpoints move together). The rows are marked
``REGROUPED`` until the next training run replaces them.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from db.forecast_tables import Forecast
from db.schema import ChannelCategory
from db.schema import Touchpoint

REGROUPED = "regrouped"
forecast = Forecast.__table__


def regroup_categories(conn: Connection, categories: Iterable[str]) -> int:
    """Rebuild the stored forecasts of ``categories`` (codes) from their touchpoints' forecasts,
    in the caller's transaction; returns the category series written."""
    written = 0
    for code in sorted(set(categories)):
        members = conn.execute(
            select(Touchpoint.code)
            .join(ChannelCategory, ChannelCategory.id == Touchpoint.category_id)
            .where(ChannelCategory.code == code)
        ).scalars()
        conn.execute(delete(forecast).where(forecast.c.unique_id.startswith(f"category:{code}:")))
        prefixes = [forecast.c.unique_id.startswith(f"touchpoint:{m}:") for m in members]
        parts: dict[str, list[str]] = {}
        if prefixes:
            for uid in conn.execute(select(forecast.c.unique_id).distinct().where(or_(*prefixes))):
                parts.setdefault(uid.unique_id.rsplit(":", 1)[1], []).append(uid.unique_id)
        for measure, ids in sorted(parts.items()):
            sums = conn.execute(
                select(
                    forecast.c.ds,
                    func.sum(forecast.c.yhat),
                    func.sum(forecast.c.lower),
                    func.sum(forecast.c.upper),
                    func.max(forecast.c.level),
                )
                .where(forecast.c.unique_id.in_(ids))
                .group_by(forecast.c.ds)
                .order_by(forecast.c.ds)
            ).all()
            conn.execute(
                forecast.insert(),
                [
                    {
                        "unique_id": f"category:{code}:{measure}",
                        "ds": ds,
                        "yhat": yhat,
                        "lower": lower,
                        "upper": upper,
                        "level": level,
                        "model": REGROUPED,
                        "version": "",
                    }
                    for ds, yhat, lower, upper, level in sums
                ],
            )
            written += 1
    return written

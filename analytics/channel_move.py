"""Moving a touchpoint to another category, and everything that follows it there.

The daily rollups, targets and alert rules refer to a touchpoint or a category by its own id
or code, and every read joins a touchpoint to its category at query time, so none of them is
rewritten. What does hold the old grouping is derived state:

* the stored category forecasts (sums of their touchpoints' forecasts): the two categories'
  are rebuilt in the move's transaction (``forecasting.regroup``);
* cached analytics results and alert judgements of the touchpoint's days: their cache stamps
  are renewed at once, then the move ends as an ingest batch does (``db.events.
  batch_committed``, as ``channelperf remap`` does), which re-judges the alert rules whose
  latest bucket those days touch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analytics.cache import invalidate_days
from analytics.channel_usage import days_of
from analytics.errors import AnalyticsError
from analytics.taxonomy import ChannelInfo
from analytics.taxonomy import audited
from analytics.taxonomy import category_row
from analytics.taxonomy import channel_info
from analytics.taxonomy import find
from analytics.taxonomy import refuse_fallback
from db.engine import session_scope
from db.events import batch_committed
from db.roles import Actor
from db.schema import ChannelCategory
from forecasting.regroup import regroup_categories

STEPS = ("move the touchpoint", "regroup category forecasts", "refresh cached results and alerts")
Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class MoveResult:
    touchpoint: ChannelInfo
    from_category: str
    forecast_series: int
    days: int

    @property
    def summary(self) -> str:
        t = self.touchpoint
        return (
            f"{t.name} moved from {self.from_category} to {t.category}: "
            f"{self.forecast_series} category forecast series regrouped, "
            f"results of {self.days:,} days refreshed."
        )


def move_touchpoint(
    code: str,
    category: str,
    actor: Actor,
    url: str | None = None,
    progress: Progress | None = None,
) -> MoveResult:
    """Put touchpoint ``code`` in ``category``; ``progress(step, label)`` hears of each of
    ``STEPS`` as it starts."""
    actor.require("admin", "move touchpoints")
    told = progress or (lambda _step, _label: None)
    told(0, STEPS[0])
    with session_scope(url) as session:
        row = find(session, code, "touchpoint")
        refuse_fallback(row, "moved")
        target = category_row(session, (category or "").strip())
        if target.id == row.category_id:
            raise AnalyticsError(f"{row.code!r} is already in {target.code!r}")
        old = session.get(ChannelCategory, row.category_id).code
        before = channel_info(session, row)
        row.category_id = target.id
        info = audited(session, actor.name, "move", before, row)
        told(1, STEPS[1])
        conn = session.connection()
        regrouped = regroup_categories(conn, [old, target.code])
        days = days_of(conn, [row.id])
    told(2, STEPS[2])
    # Now, not when a worker gets to it: the admin looks at the moved channel next.
    invalidate_days(days, url)
    batch_committed(days)
    return MoveResult(info, old, regrouped, len(days))

"""Memoised analytics results, invalidated day by day when an ingest batch touches their days.

Entries live in a cachelib backend (the one Flask-Caching uses): Redis when
``CHANNELPERF_REDIS_URL`` is set, so every web process and worker shares them,
otherwise an in-process ``SimpleCache`` (with a short lifetime, to bound its memory).
The stamps are shared by every process whatever the configuration: in Redis, or in the
database without it (``analytics.cache_stamps``), so a change made by one process makes
the results it touched unreachable in all.

Invalidation uses generation stamps instead of deletes. Each day and each month
has a stamp; ``invalidate_days`` (the after-batch hook) gives every touched day
and its month a new one. A cached result's key includes the stamps of the days
it covers — the month stamp for a month it covers whole, the day stamps
otherwise — so a batch makes exactly the results covering one of its days
unreachable and leaves every other range alone. Stamps are read before the
result is computed, so a batch committed meanwhile can only make the new entry
stale-but-unreachable, never serve old data under a new stamp.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import TypeVar

from cachelib import BaseCache
from cachelib import RedisCache
from cachelib import SimpleCache

from analytics.cache_stamps import read_stamps
from analytics.cache_stamps import write_stamps
from analytics.errors import AnalyticsError
from analytics.periods import Period
from db.settings import get_settings

PREFIX = "channelperf:analytics:"
REDIS_ENTRY_SECONDS = 24 * 3600
LOCAL_ENTRY_SECONDS = 300
LOCAL_MAX_ENTRIES = 2000
TARGETS_STAMP = "targets"

F = TypeVar("F", bound=Callable[..., Any])


@functools.lru_cache(maxsize=4)
def _backends(redis_url: str | None) -> tuple[BaseCache, BaseCache | None]:
    """(entries, stamps) in the configured Redis; without it, in-process entries and no
    stamp backend (the stamps are then the database's, ``analytics.cache_stamps``)."""
    if redis_url:
        from redis import Redis

        client = Redis.from_url(redis_url)
        entries = RedisCache(client, key_prefix=PREFIX, default_timeout=REDIS_ENTRY_SECONDS)
        stamps = RedisCache(client, key_prefix=PREFIX + "stamp:", default_timeout=0)
        return entries, stamps
    return SimpleCache(threshold=LOCAL_MAX_ENTRIES, default_timeout=LOCAL_ENTRY_SECONDS), None


def backends() -> tuple[BaseCache, BaseCache | None]:
    return _backends(get_settings().redis_url)


def namespace(url: str | None) -> str:
    """Entries and stamps of one database (several may share a Redis)."""
    database = url or get_settings().database_url
    return hashlib.sha256(database.encode()).hexdigest()[:12]


def _month_key(day: dt.date) -> str:
    return f"m{day:%Y-%m}"


def stamp_keys(periods: Iterable[Period]) -> list[str]:
    """The stamp names covering the periods: whole months by month, the rest by day."""
    keys: set[str] = set()
    for period in periods:
        day = period.start
        while day <= period.end:
            month_start = day.replace(day=1)
            next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
            if day == month_start and next_month - dt.timedelta(days=1) <= period.end:
                keys.add(_month_key(day))
                day = next_month
            else:
                keys.add(f"d{day.isoformat()}")
                day += dt.timedelta(days=1)
    return sorted(keys)


def invalidate_days(days: Iterable[str | dt.date], url: str | None = None) -> int:
    """After-batch hook: new stamps for the touched days (ISO strings or dates) and their months.

    Returns how many stamps changed.
    """
    touched = {d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in days}
    names = {f"d{d.isoformat()}" for d in touched} | {_month_key(d) for d in touched}
    return renew_stamps(names, url)


def renew_stamps(names: Iterable[str], url: str | None = None) -> int:
    """New values for the named stamps, so every result keyed by one of them is unreachable."""
    names = set(names)
    if names:
        _, stamps = backends()
        if stamps is None:
            write_stamps(url, names)
        else:
            space = namespace(url)
            stamps.set_many({f"{space}:{name}": uuid.uuid4().hex for name in names}, timeout=0)
    return len(names)


def _stamp_digest(url: str | None, names: list[str]) -> str:
    _, stamps = backends()
    if stamps is None:
        values = read_stamps(url, names)
    else:
        space = namespace(url)
        values = stamps.get_many(*(f"{space}:{name}" for name in names)) if names else []
    text = "|".join(f"{n}={v or ''}" for n, v in zip(names, values, strict=True))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def with_comparisons(arguments: Mapping[str, Any]) -> list[Period]:
    """For ``memoise``: a result that reads its ``period``, the prior one and last year's."""
    period = arguments["period"]
    return [period, period.prior(), period.last_year()]


def memoise(
    periods: Callable[[Mapping[str, Any]], Iterable[Period]], stamps: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """Cache a function's results by its arguments and the stamps of the data it reads.

    ``periods`` gets the bound arguments (defaults applied) and names the periods
    whose days the result depends on; ``stamps`` names the other stamps it depends
    on (``TARGETS_STAMP``). A ``url`` argument picks the database
    namespace (the configured database when None). Arguments must have a stable
    ``repr`` (dates, strings, tuples, frozen dataclasses). A call whose arguments
    are refused by ``periods`` (AnalyticsError) runs uncached so its error surfaces.
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        name = f"{function.__module__}.{function.__qualname__}"

        @functools.wraps(function)
        def cached(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            try:
                covered = list(periods(arguments))
            except AnalyticsError:
                return function(*args, **kwargs)
            url = arguments.pop("url", None)
            space = namespace(url)
            call = hashlib.sha256(repr(sorted(arguments.items())).encode()).hexdigest()[:24]
            digest = _stamp_digest(url, stamp_keys(covered) + list(stamps))
            key = f"{space}:{name}:{call}:{digest}"
            entries, _ = backends()
            hit = entries.get(key)
            if hit is not None:
                return hit
            result = function(*args, **kwargs)
            entries.set(key, result)
            return result

        cached.uncached = function
        return cached  # type: ignore[return-value]

    return decorate

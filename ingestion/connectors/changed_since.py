"""The frame every pulling order connector shares: records changed since the cursor, re-read
from ``cursor − lookback`` (or from ``initial``), paged through one ``HttpClient``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from ingestion.connectors import EPOCH
from ingestion.connectors import Page
from ingestion.connectors import record_pages
from ingestion.connectors import window_start
from ingestion.http import Answer
from ingestion.http import HttpClient


class ChangedSince:
    """A subclass names ``source_system`` and ``stream`` and implements ``fetch(cursor)``."""

    source_system: str
    stream: str

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        source_instance: str,
        lookback: dt.timedelta = dt.timedelta(hours=1),
        initial: dt.datetime = EPOCH,
        client: HttpClient | None = None,
        **client_options: Any,
    ) -> None:
        self.source_instance = source_instance
        self.lookback = lookback
        self.initial = initial
        self.client = client or HttpClient(base_url, headers=headers, **client_options)

    def since(self, cursor: str | None) -> dt.datetime:
        return window_start(cursor, self.lookback, self.initial)

    def pages(
        self,
        answers: Iterable[Answer],
        cursor: str | None,
        record_id: Callable[[dict[str, Any]], object],
        changed_at: Callable[[dict[str, Any]], dt.datetime | None],
    ) -> Iterator[Page]:
        origin = (self.source_system, self.source_instance, self.stream)
        return record_pages(answers, origin, cursor, record_id=record_id, changed_at=changed_at)

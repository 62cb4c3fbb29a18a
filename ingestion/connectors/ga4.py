"""GA4 sessions: the Data API ``runReport`` (paged by offset/limit) or an export file.

Rows carry date (``YYYYMMDD``), platform, sessionSource, sessionMedium,
sessionCampaignName, sessions and ecommercePurchases. They become traffic per day ×
touchpoint (web for the web platform, mobile_app for iOS and Android) with GA4's
default channel group kept on each canonical row. GA4 revises recent days for up
to three days, so the look-back is counted in days and whole days are re-read.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingestion.canonical import CanonicalTraffic
from ingestion.connectors import Page
from ingestion.connectors import SourceRecord
from ingestion.connectors import get
from ingestion.connectors import int_of
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import SourceKind
from ingestion.errors import MappingError
from ingestion.errors import SourceError
from ingestion.http import HttpClient
from ingestion.http import Request
from ingestion.http import paged
from ingestion.mapping import ga4_channel_group
from ingestion.mapping import ga4_platform_touchpoint

SOURCE_SYSTEM = "ga4"
DIMENSIONS = ("date", "platform", "sessionSource", "sessionMedium", "sessionCampaignName")
METRICS = ("sessions", "ecommercePurchases")
PAGE_SIZE = 10_000


def _day(value: Any) -> dt.date:
    try:
        return dt.datetime.strptime(str(value), "%Y%m%d").date()
    except ValueError:
        raise MappingError(f"date: {value!r} is not a YYYYMMDD date") from None


def report_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """A ``runReport`` answer's rows as flat dicts keyed by dimension and metric name."""
    names = [h["name"] for h in report.get("dimensionHeaders", [])] + [
        h["name"] for h in report.get("metricHeaders", [])
    ]
    rows = []
    for row in report.get("rows", []):
        values = [v.get("value") for v in row.get("dimensionValues", [])] + [
            v.get("value") for v in row.get("metricValues", [])
        ]
        rows.append(dict(zip(names, values, strict=True)))
    return rows


def read_export(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a GA4 export file: JSON lines (``.jsonl`` / ``.ndjson``) or CSV with a header."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix in (".jsonl", ".ndjson", ".json"):
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise MappingError(f"{path.name} line {number}: {exc.msg}") from None
        else:
            yield from csv.DictReader(handle)


class Ga4Report:
    """Daily sessions of one GA4 property through the Data API, whole days at a time."""

    stream = "sessions"

    def __init__(
        self,
        property_id: str,
        access_token: str,
        *,
        base_url: str = "https://analyticsdata.googleapis.com",
        source_instance: str = "property-1",
        lookback_days: int = 3,
        initial: dt.date = dt.date(2020, 1, 1),
        today: dt.date | None = None,
        page_size: int = PAGE_SIZE,
        client: HttpClient | None = None,
        **client_options: Any,
    ) -> None:
        self.property_id = property_id
        self.source_instance = source_instance
        self.lookback_days = lookback_days
        self.initial = initial
        self.today = today
        self.page_size = page_size
        self.client = client or HttpClient(
            base_url, headers={"Authorization": f"Bearer {access_token}"}, **client_options
        )

    def fetch(self, cursor: str | None = None) -> Iterator[Page]:
        """Days from the cursor (the last day read) less the look-back, through today.

        A day's rows may span pages: pass the rows of every page to ``to_traffic`` together.
        """
        today = self.today or dt.date.today()
        start = (
            self.initial
            if cursor is None
            else dt.date.fromisoformat(cursor) - dt.timedelta(days=self.lookback_days)
        )
        body: dict[str, Any] = {
            "dateRanges": [{"startDate": start.isoformat(), "endDate": today.isoformat()}],
            "dimensions": [{"name": d} for d in DIMENSIONS],
            "metrics": [{"name": m} for m in METRICS],
            "orderBys": [{"dimension": {"dimensionName": "date"}}],
            "limit": self.page_size,
            "offset": 0,
        }
        path = f"v1beta/properties/{self.property_id}:runReport"
        for answer in paged(self.client, Request("POST", path, body=body), _rows, _following):
            records = [
                SourceRecord.of(
                    SOURCE_SYSTEM,
                    self.source_instance,
                    self.stream,
                    "|".join(str(row.get(d, "")) for d in DIMENSIONS),
                    row,
                )
                for row in answer.items
            ]
            # Rows come in date order, but a day may continue on the next page: the cursor
            # only moves to today once the last page is read.
            yield Page(records, today.isoformat() if answer.last else cursor)


def _rows(report: Any, response) -> list[dict[str, str]]:
    if not isinstance(report, dict):
        raise SourceError(f"{response.url}: the answer is not a report")
    return report_rows(report)


def _following(report: dict[str, Any], _response, request: Request) -> Request | None:
    """The next offset, or None once a page came back empty or the last row was read."""
    rows = len(report.get("rows", []))
    offset = request.body["offset"] + rows
    if not rows or offset >= int(report.get("rowCount", 0)):
        return None
    return Request(request.method, request.url, body={**request.body, "offset": offset})


def to_traffic(
    rows: Iterable[dict[str, Any]], *, source_system: str = SOURCE_SYSTEM
) -> list[CanonicalTraffic]:
    """Sessions and purchases per day × touchpoint × GA4 channel group."""
    sessions: Counter[tuple[dt.date, str, str]] = Counter()
    purchases: Counter[tuple[dt.date, str, str]] = Counter()
    for number, row in enumerate(rows, start=1):
        try:
            key = (
                _day(get(row, "date")),
                ga4_platform_touchpoint(str(get(row, "platform"))),
                ga4_channel_group(
                    str(row.get("sessionSource") or ""),
                    str(row.get("sessionMedium") or ""),
                    str(row.get("sessionCampaignName") or ""),
                ),
            )
            sessions[key] += int_of(get(row, "sessions"), "sessions")
            purchases[key] += int_of(row.get("ecommercePurchases") or 0, "ecommercePurchases")
        except MappingError as exc:
            raise MappingError(f"row {number}: {exc}") from None
    return [
        CanonicalTraffic(
            day=day,
            touchpoint_code=touchpoint,
            source_system=source_system,
            channel_group=group,
            sessions=count,
            purchases=purchases[day, touchpoint, group],
        )
        for (day, touchpoint, group), count in sorted(sessions.items())
    ]


def _pager(source, token: str, **options: Any) -> Ga4Report:
    return Ga4Report(
        str(source.options.get("property_id", "")),
        token,
        base_url=source.base_url,
        lookback_days=int(source.options.get("lookback_days", 3)),
        **options,
    )


KIND = SourceKind(SOURCE_SYSTEM, LoadStrategy.SESSIONS, pager=_pager, mapper=to_traffic)

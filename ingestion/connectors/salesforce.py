"""Salesforce Opportunities through the REST query API, paged by ``nextRecordsUrl``.

Won opportunities become orders (``CloseDate`` is the order day). Every closed
opportunity, won or lost, counts in the traffic denominators of its close day, so the
conversion rate of sales_rep and call_center is won ÷ closed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ingestion.canonical import CanonicalOrder
from ingestion.canonical import CanonicalTraffic
from ingestion.canonical import customer_key
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.connectors import Page
from ingestion.connectors import changed_order
from ingestion.connectors import decimal_of
from ingestion.connectors import get
from ingestion.connectors import int_of
from ingestion.connectors import iso_utc
from ingestion.connectors import midday_utc
from ingestion.connectors import parse_timestamp
from ingestion.connectors import place
from ingestion.connectors.changed_since import ChangedSince
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import SourceKind
from ingestion.errors import MappingError
from ingestion.errors import SourceError
from ingestion.http import Request
from ingestion.http import paged
from ingestion.mapping import DEFAULT_RULES
from ingestion.mapping import ChannelRules

SOURCE_SYSTEM = "salesforce"
API_VERSION = "v61.0"
WON_STAGE = "Closed Won"
TOUCHPOINT_FIELDS = ("LeadSource", "StageName")
SELECT = (
    "SELECT Id, Amount, CloseDate, StageName, IsWon, IsClosed, LeadSource, CurrencyIsoCode, "
    "SystemModstamp, AccountId, "
    "(SELECT Id, Quantity, UnitPrice, TotalPrice, ProductCode FROM OpportunityLineItems) "
    "FROM Opportunity"
)


class SalesforceOpportunities(ChangedSince):
    """Opportunities changed since the cursor (``SystemModstamp``), oldest change first."""

    source_system = SOURCE_SYSTEM
    stream = "opportunities"

    def __init__(
        self, instance_url: str, access_token: str, *, source_instance: str = "crm", **options: Any
    ) -> None:
        headers = {"Authorization": f"Bearer {access_token}"}
        super().__init__(instance_url, headers, source_instance=source_instance, **options)

    def fetch(self, cursor: str | None = None) -> Iterator[Page]:
        since = self.since(cursor)
        soql = f"{SELECT} WHERE SystemModstamp > {iso_utc(since)} ORDER BY SystemModstamp ASC"
        yield from self._query(soql, cursor)

    def fetch_closed(self, first_day: dt.date, last_day: dt.date) -> Iterator[Page]:
        """Every closed opportunity closing in the days given: complete input for ``to_traffic``."""
        soql = (
            f"{SELECT} WHERE IsClosed = true AND CloseDate >= {first_day.isoformat()} "
            f"AND CloseDate <= {last_day.isoformat()} ORDER BY CloseDate ASC"
        )
        yield from self._query(soql, None)

    def _query(self, soql: str, cursor: str | None) -> Iterator[Page]:
        first = Request("GET", f"services/data/{API_VERSION}/query", params={"q": soql})
        answers = paged(self.client, first, _records, _following)
        yield from self.pages(answers, cursor, lambda o: o.get("Id"), _modstamp)


def _records(body: Any, response) -> list:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SourceError(f"{response.url}: the answer has no 'records' list")
    return body["records"]


def _following(body: dict[str, Any], _response, _request: Request) -> Request | None:
    url = None if body.get("done", True) else body.get("nextRecordsUrl")
    return None if url is None else Request("GET", url)


def _modstamp(opportunity: dict[str, Any]) -> dt.datetime | None:
    modstamp = opportunity.get("SystemModstamp")
    if not isinstance(modstamp, str):
        return None
    return parse_timestamp(_iso(modstamp), "SystemModstamp")


def _iso(value: str) -> str:
    """Salesforce writes ``2024-06-01T10:00:00.000+0000``; ISO 8601 wants ``+00:00``."""
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        return f"{value[:-2]}:{value[-2:]}"
    return value


def _date(value: Any, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise MappingError(f"{what}: {value!r} is not a YYYY-MM-DD date") from None


def _touchpoint_fields(opportunity: dict[str, Any]) -> dict[str, str]:
    return {f: str(opportunity[f]) for f in TOUCHPOINT_FIELDS if opportunity.get(f) is not None}


def is_order(opportunity: dict[str, Any]) -> bool:
    return opportunity.get("IsWon") is True


def to_canonical(
    opportunity: dict[str, Any],
    *,
    source_instance: str = "crm",
    default_currency: str = "USD",
    **parse_options: Any,
) -> CanonicalOrder | None:
    """A won opportunity as a completed order; None for one that is not won (not an order)."""
    if not is_order(opportunity):
        return None
    modstamp = parse_timestamp(_iso(get(opportunity, "SystemModstamp")), "SystemModstamp")
    items = get(opportunity, "OpportunityLineItems.records", [])
    lines = [
        {
            "line_no": i + 1,
            "sku": item.get("ProductCode") or get(item, "Id"),
            "qty": int_of(get(item, "Quantity"), f"OpportunityLineItems[{i}].Quantity"),
            "unit_price": decimal_of(
                get(item, "UnitPrice"), f"OpportunityLineItems[{i}].UnitPrice"
            ),
            "line_total": decimal_of(
                get(item, "TotalPrice"), f"OpportunityLineItems[{i}].TotalPrice"
            ),
        }
        for i, item in enumerate(items)
    ]
    amount = decimal_of(get(opportunity, "Amount"), "Amount")
    # Without products the opportunity's Amount is the whole sale; with them, their sum must match.
    subtotal = sum((line["line_total"] for line in lines), Decimal(0)) if lines else amount
    return parse(
        CanonicalOrder,
        {
            **changed_order(SOURCE_SYSTEM, source_instance, get(opportunity, "Id"), modstamp),
            "ordered_at": midday_utc(_date(get(opportunity, "CloseDate"), "CloseDate")),
            "touchpoint_fields": _touchpoint_fields(opportunity),
            "customer_key": customer_key(
                SOURCE_SYSTEM, source_instance, opportunity.get("AccountId")
            ),
            "region_key": place(
                "country", (opportunity.get("Account") or {}).get("BillingCountryCode")
            ),
            "status": "completed",
            "currency": opportunity.get("CurrencyIsoCode") or default_currency,
            "subtotal": subtotal,
            "total": amount,
            "lines": lines,
            "payload": opportunity,
            "payload_sha256": payload_sha256(opportunity),
        },
        **parse_options,
    )


def to_traffic(
    opportunities: Iterable[dict[str, Any]], rules: ChannelRules = DEFAULT_RULES
) -> list[CanonicalTraffic]:
    """Closed opportunities (all) and won ones per close day × touchpoint.

    A lost opportunity is counted under the touchpoint it would have had if won
    (its fields with ``StageName`` = Closed Won), so it lands in the same denominator.
    """
    closed: Counter[tuple[dt.date, str]] = Counter()
    won: Counter[tuple[dt.date, str]] = Counter()
    for opportunity in opportunities:
        if not opportunity.get("IsClosed", is_order(opportunity)):
            continue
        day = _date(get(opportunity, "CloseDate"), "CloseDate")
        fields = {**_touchpoint_fields(opportunity), "StageName": WON_STAGE}
        key = (day, rules.match(SOURCE_SYSTEM, fields))
        closed[key] += 1
        won[key] += is_order(opportunity)
    return [
        CanonicalTraffic(
            day=day,
            touchpoint_code=touchpoint,
            source_system=SOURCE_SYSTEM,
            opportunities=count,
            opportunities_won=won[day, touchpoint],
        )
        for (day, touchpoint), count in sorted(closed.items())
    ]


def _pager(source, token: str, **options: Any) -> SalesforceOpportunities:
    return SalesforceOpportunities(source.base_url, token, lookback=source.lookback, **options)


KIND = SourceKind(SOURCE_SYSTEM, LoadStrategy.ORDERS, pager=_pager, mapper=to_canonical)

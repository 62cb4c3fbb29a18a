"""SAP S/4HANA sales orders: OData v2 ``API_SALES_ORDER_SRV/A_SalesOrder`` with ``to_Item``.

Server-driven paging follows ``d.__next`` (``$skiptoken``). Amounts are strings in
``TransactionCurrency``; the header's ``TotalNetAmount`` is the subtotal, item
``TaxAmount`` (when present) adds up to the tax, and there is no shipping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ingestion.canonical import CENT
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import customer_key
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.connectors import EPOCH
from ingestion.connectors import Page
from ingestion.connectors import changed_order
from ingestion.connectors import decimal_of
from ingestion.connectors import get
from ingestion.connectors import int_of
from ingestion.connectors import midday_utc
from ingestion.connectors import place
from ingestion.connectors.changed_since import ChangedSince
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import SourceKind
from ingestion.errors import MappingError
from ingestion.errors import SourceError
from ingestion.http import Request
from ingestion.http import paged

SOURCE_SYSTEM = "sap"
SERVICE = "sap/opu/odata/sap/API_SALES_ORDER_SRV/"
ODATA_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def odata_datetime(value: Any, what: str) -> dt.datetime:
    """An OData v2 JSON date ``/Date(ms)/`` or ``/Date(ms+0000)/`` as UTC (ms are UTC)."""
    match = ODATA_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise MappingError(f"{what}: {value!r} is not an OData date like /Date(1718000000000)/")
    return EPOCH + dt.timedelta(milliseconds=int(match.group(1)))


def odata_literal(value: dt.datetime) -> str:
    return "datetimeoffset'" + value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


class SapSalesOrders(ChangedSince):
    """Sales orders changed since the cursor (``LastChangeDateTime``), oldest change first."""

    source_system = SOURCE_SYSTEM
    stream = "sales_orders"

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        source_instance: str = "S4H-100",
        **options: Any,
    ) -> None:
        headers = {"Accept": "application/json", **({"APIKey": api_key} if api_key else {})}
        super().__init__(
            base_url, headers, source_instance=source_instance, auth=basic_auth, **options
        )

    def fetch(self, cursor: str | None = None) -> Iterator[Page]:
        since = self.since(cursor)
        params = {
            "$filter": f"LastChangeDateTime gt {odata_literal(since)}",
            "$expand": "to_Item",
            "$orderby": "LastChangeDateTime asc",
            "$format": "json",
        }
        answers = paged(
            self.client, Request("GET", SERVICE + "A_SalesOrder", params=params), _results, _next
        )
        yield from self.pages(answers, cursor, lambda o: o.get("SalesOrder"), _changed)


def _results(body: Any, response) -> list:
    results = get(body, "d.results", None) if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise SourceError(f"{response.url}: the answer has no 'd.results' list")
    return results


def _next(body: dict[str, Any], _response, _request: Request) -> Request | None:
    url = body["d"].get("__next")
    return None if url is None else Request("GET", url)


def _changed(order: dict[str, Any]) -> dt.datetime | None:
    if not order.get("LastChangeDateTime"):
        return None
    return odata_datetime(order["LastChangeDateTime"], "LastChangeDateTime")


def _status(order: dict[str, Any]) -> str:
    if order.get("OverallSDDocumentRejectionSts") == "C":
        return "cancelled"
    if order.get("OverallSDProcessStatus") == "C":
        return "completed"
    return "open"


def to_canonical(
    order: dict[str, Any], *, source_instance: str = "S4H-100", **parse_options: Any
) -> CanonicalOrder:
    """One A_SalesOrder (with its expanded items) as a canonical order."""
    changed = odata_datetime(get(order, "LastChangeDateTime"), "LastChangeDateTime")
    ordered = odata_datetime(get(order, "SalesOrderDate"), "SalesOrderDate")
    lines = []
    tax = Decimal(0)
    for i, item in enumerate(get(order, "to_Item.results", [])):
        where = f"to_Item[{i}]"
        qty = int_of(get(item, "RequestedQuantity"), f"{where}.RequestedQuantity")
        net = decimal_of(get(item, "NetAmount"), f"{where}.NetAmount")
        tax += decimal_of(item.get("TaxAmount") or "0", f"{where}.TaxAmount")
        lines.append(
            {
                "line_no": int_of(get(item, "SalesOrderItem"), f"{where}.SalesOrderItem"),
                "sku": get(item, "Material"),
                "qty": qty,
                "unit_price": (net / qty).quantize(CENT) if qty else net,
                "line_total": net,
            }
        )
    subtotal = decimal_of(get(order, "TotalNetAmount"), "TotalNetAmount")
    channel = order.get("DistributionChannel")
    return parse(
        CanonicalOrder,
        {
            **changed_order(SOURCE_SYSTEM, source_instance, get(order, "SalesOrder"), changed),
            # SalesOrderDate is a calendar date (midnight UTC in the payload).
            "ordered_at": midday_utc(ordered.date()),
            "touchpoint_fields": {} if channel is None else {"DistributionChannel": str(channel)},
            "customer_key": customer_key(SOURCE_SYSTEM, source_instance, order.get("SoldToParty")),
            "region_key": place("sales_org", order.get("SalesOrganization")),
            "status": _status(order),
            "currency": get(order, "TransactionCurrency"),
            "subtotal": subtotal,
            "tax": tax,
            "total": subtotal + tax,
            "lines": lines,
            "payload": order,
            "payload_sha256": payload_sha256(order),
        },
        **parse_options,
    )


def _pager(source, token: str, **options: Any) -> SapSalesOrders:
    return SapSalesOrders(source.base_url, api_key=token, lookback=source.lookback, **options)


KIND = SourceKind(SOURCE_SYSTEM, LoadStrategy.ORDERS, pager=_pager, mapper=to_canonical)

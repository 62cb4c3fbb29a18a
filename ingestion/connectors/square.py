"""Square Orders API: ``POST /v2/orders/search`` sorted by update time, paged by ``cursor``.

Money is ``{"amount": <integer minor units>, "currency": "USD"}``; minor units follow the
currency's ISO 4217 exponent (JPY has none). Tips are not revenue: the canonical total
is Square's ``total_money`` less ``total_tip_money``; service charges count as shipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ingestion.canonical import ISO_4217_MINOR_UNITS
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import customer_key
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.connectors import Page
from ingestion.connectors import get
from ingestion.connectors import int_of
from ingestion.connectors import iso_utc
from ingestion.connectors import parse_timestamp
from ingestion.connectors import place
from ingestion.connectors import updated_at_of
from ingestion.connectors.changed_since import ChangedSince
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import Push
from ingestion.connectors.kind import SourceKind
from ingestion.errors import MappingError
from ingestion.errors import SourceError
from ingestion.http import Request
from ingestion.http import paged
from ingestion.signatures import SQUARE_HEADER
from ingestion.signatures import square_valid

SOURCE_SYSTEM = "square"
SQUARE_VERSION = "2024-10-17"
PAGE_SIZE = 500
SEARCH = "v2/orders/search"
STATES = {"OPEN": "open", "DRAFT": "open", "COMPLETED": "completed", "CANCELED": "cancelled"}
FAILED_REFUNDS = frozenset({"REJECTED", "FAILED"})


class SquareOrders(ChangedSince):
    """Orders of the given locations updated since the cursor, oldest update first."""

    source_system = SOURCE_SYSTEM
    stream = "orders"

    def __init__(
        self,
        base_url: str,
        access_token: str,
        location_ids: list[str],
        *,
        source_instance: str = "retail",
        **options: Any,
    ) -> None:
        self.location_ids = list(location_ids)
        headers = {"Authorization": f"Bearer {access_token}", "Square-Version": SQUARE_VERSION}
        super().__init__(base_url, headers, source_instance=source_instance, **options)

    def fetch(self, cursor: str | None = None) -> Iterator[Page]:
        body: dict[str, Any] = {
            "location_ids": self.location_ids,
            "limit": PAGE_SIZE,
            "query": {
                "filter": {
                    "date_time_filter": {"updated_at": {"start_at": iso_utc(self.since(cursor))}}
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
        }
        answers = paged(self.client, Request("POST", SEARCH, body=body), _orders, _following)
        yield from self.pages(answers, cursor, lambda o: o.get("id"), updated_at_of)


def _orders(answer: Any, response) -> list:
    if not isinstance(answer, dict) or answer.get("errors"):
        raise SourceError(f"{response.url} answered with errors: {answer!r:.300}")
    return answer.get("orders", [])


def _following(answer: dict[str, Any], _response, request: Request) -> Request | None:
    if not answer.get("cursor"):
        return None
    return Request("POST", SEARCH, body={**request.body, "cursor": answer["cursor"]})


def money(value: Any, what: str, currency: str) -> Decimal:
    """A Square money object as a Decimal in major units; missing means zero."""
    if value is None:
        return Decimal(0)
    if not isinstance(value, dict):
        raise MappingError(f"{what}: {value!r} is not a money object")
    if value.get("currency", currency) != currency:
        raise MappingError(f"{what}: currency {value.get('currency')} differs from {currency}")
    amount = value.get("amount", 0)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MappingError(f"{what}.amount: {amount!r} is not an integer amount of minor units")
    return Decimal(amount).scaleb(-ISO_4217_MINOR_UNITS[currency])


def _currency(order: dict[str, Any]) -> str:
    currency = get(order, "total_money.currency")
    if currency not in ISO_4217_MINOR_UNITS:
        raise MappingError(f"total_money.currency: {currency!r} is not an ISO 4217 currency code")
    return currency


def to_canonical(
    order: dict[str, Any], *, source_instance: str = "retail", **parse_options: Any
) -> CanonicalOrder:
    """One Square order as a canonical order."""
    currency = _currency(order)
    lines = []
    for i, item in enumerate(order.get("line_items") or []):
        where = f"line_items[{i}]"
        line_total = money(get(item, "total_money"), f"{where}.total_money", currency) - money(
            item.get("total_tax_money"), f"{where}.total_tax_money", currency
        )
        lines.append(
            {
                "line_no": i + 1,
                "sku": item.get("catalog_object_id") or get(item, "name"),
                "qty": int_of(get(item, "quantity"), f"{where}.quantity"),
                "unit_price": money(
                    get(item, "base_price_money"), f"{where}.base_price_money", currency
                ),
                "discount": money(
                    item.get("total_discount_money"), f"{where}.total_discount_money", currency
                ),
                "line_total": line_total,
            }
        )
    line_discounts = sum((line["discount"] for line in lines), Decimal(0))
    refunds = [
        {
            "source_refund_id": str(get(refund, "id")),
            "refunded_at": parse_timestamp(get(refund, "created_at"), f"refunds[{k}].created_at"),
            "amount": money(get(refund, "amount_money"), f"refunds[{k}].amount_money", currency),
        }
        for k, refund in enumerate(order.get("refunds") or [])
        if refund.get("status") not in FAILED_REFUNDS
    ]
    total = money(get(order, "total_money"), "total_money", currency) - money(
        order.get("total_tip_money"), "total_tip_money", currency
    )
    state = get(order, "state")
    if state not in STATES:
        raise MappingError(f"state: {state!r} is not one of {sorted(STATES)}")
    status = STATES[state]
    if status == "completed" and refunds and sum(r["amount"] for r in refunds) >= total:
        status = "refunded"
    updated_at = parse_timestamp(get(order, "updated_at"), "updated_at")
    source_name = get(order, "source.name", None)
    return parse(
        CanonicalOrder,
        {
            "source_system": SOURCE_SYSTEM,
            "source_instance": source_instance,
            "source_order_id": str(get(order, "id")),
            "source_version": int_of(get(order, "version"), "version"),
            "source_updated_at": updated_at,
            "ordered_at": parse_timestamp(get(order, "created_at"), "created_at"),
            "touchpoint_fields": {} if source_name is None else {"source_name": str(source_name)},
            "location_code": get(order, "location_id", None),
            "region_key": place("store", order.get("location_id")),
            "customer_key": customer_key(SOURCE_SYSTEM, source_instance, order.get("customer_id")),
            "status": status,
            "currency": currency,
            "subtotal": sum((line["line_total"] for line in lines), Decimal(0)),
            "discount": money(order.get("total_discount_money"), "total_discount_money", currency)
            - line_discounts,
            "tax": money(order.get("total_tax_money"), "total_tax_money", currency),
            "shipping": money(
                order.get("total_service_charge_money"), "total_service_charge_money", currency
            ),
            "total": total,
            "lines": lines,
            "refunds": refunds,
            "payload": order,
            "payload_sha256": payload_sha256(order),
        },
        **parse_options,
    )


def _pager(source, token: str, **options: Any) -> SquareOrders:
    locations = list(source.options.get("location_ids", []))
    return SquareOrders(source.base_url, token, locations, lookback=source.lookback, **options)


def _verified(body: bytes, headers, secret: str, url: str) -> bool:
    return square_valid(body, headers.get(SQUARE_HEADER), url, secret)


# A notification only names the changed order: it triggers a sync of the source.
KIND = SourceKind(
    SOURCE_SYSTEM,
    LoadStrategy.ORDERS,
    pager=_pager,
    mapper=to_canonical,
    push=Push(_verified, carries_order=False),
)

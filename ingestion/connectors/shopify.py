"""Shopify Admin REST orders: ``GET /admin/api/2024-10/orders.json``, paged by the Link header."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ingestion.canonical import CanonicalOrder
from ingestion.canonical import customer_key
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.connectors import Page
from ingestion.connectors import changed_order
from ingestion.connectors import decimal_of
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
from ingestion.errors import SourceError
from ingestion.http import Request
from ingestion.http import paged
from ingestion.signatures import SHOPIFY_HEADER
from ingestion.signatures import shopify_valid

SOURCE_SYSTEM = "shopify"
API_VERSION = "2024-10"
PAGE_SIZE = 250


class ShopifyOrders(ChangedSince):
    """Orders changed since the cursor, oldest change first, 250 a page."""

    source_system = SOURCE_SYSTEM
    stream = "orders"

    def __init__(
        self,
        shop_url: str,
        access_token: str,
        *,
        source_instance: str = "main-store",
        **options: Any,
    ) -> None:
        headers = {"X-Shopify-Access-Token": access_token}
        super().__init__(shop_url, headers, source_instance=source_instance, **options)

    def fetch(self, cursor: str | None = None) -> Iterator[Page]:
        since = self.since(cursor)
        first = Request(
            "GET",
            f"admin/api/{API_VERSION}/orders.json",
            params={
                "updated_at_min": iso_utc(since),
                "status": "any",
                "limit": PAGE_SIZE,
                "order": "updated_at asc",
            },
        )
        answers = paged(self.client, first, _orders, _following)
        yield from self.pages(answers, cursor, lambda o: o.get("id"), updated_at_of)


def _following(_body: Any, response, _request: Request) -> Request | None:
    # The next link carries page_info and limit; Shopify refuses any other parameter.
    url = response.links.get("next", {}).get("url")
    return None if url is None else Request("GET", url)


def _orders(body: Any, response) -> list:
    orders = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(orders, list):
        raise SourceError(f"{response.url}: the answer has no 'orders' list")
    return orders


def _status(order: dict[str, Any]) -> str:
    if order.get("cancelled_at"):
        return "cancelled"
    financial = order.get("financial_status") or ""
    if financial == "voided":
        return "cancelled"
    if financial == "refunded":
        return "refunded"
    if financial in ("paid", "partially_refunded"):
        return "completed"
    return "open"


def _region(order: dict[str, Any]) -> str | None:
    country = get(order, "shipping_address.country_code", None)
    province = get(order, "shipping_address.province_code", None)
    if country and province:
        return f"{country}-{province}"
    return country


def _refund_amount(refund: dict[str, Any], where: str) -> Decimal:
    total = Decimal(0)
    for j, transaction in enumerate(refund.get("transactions") or []):
        if transaction.get("kind", "refund") != "refund":
            continue
        if transaction.get("status", "success") != "success":
            continue
        total += decimal_of(get(transaction, "amount"), f"{where}.transactions[{j}].amount")
    return total


def to_canonical(
    order: dict[str, Any], *, source_instance: str = "main-store", **parse_options: Any
) -> CanonicalOrder:
    """One Shopify order as a canonical order (amounts in the shop currency)."""
    updated_at = parse_timestamp(get(order, "updated_at"), "updated_at")
    lines = []
    line_discounts = Decimal(0)
    for i, item in enumerate(get(order, "line_items", [])):
        where = f"line_items[{i}]"
        qty = int_of(get(item, "quantity"), f"{where}.quantity")
        price = decimal_of(get(item, "price"), f"{where}.price")
        discount = decimal_of(item.get("total_discount") or "0", f"{where}.total_discount")
        line_discounts += discount
        sku = item.get("sku") or (
            f"variant:{item['variant_id']}" if item.get("variant_id") else f"line:{get(item, 'id')}"
        )
        lines.append(
            {
                "line_no": i + 1,
                "sku": sku,
                "qty": qty,
                "unit_price": price,
                "discount": discount,
                "line_total": price * qty - discount,
            }
        )
    total_discounts = decimal_of(order.get("total_discounts") or "0", "total_discounts")
    refunds = [
        {
            "source_refund_id": str(get(refund, "id")),
            "refunded_at": parse_timestamp(get(refund, "created_at"), f"refunds[{k}].created_at"),
            "amount": _refund_amount(refund, f"refunds[{k}]"),
        }
        for k, refund in enumerate(order.get("refunds") or [])
    ]
    source_name = order.get("source_name")
    return parse(
        CanonicalOrder,
        {
            **changed_order(SOURCE_SYSTEM, source_instance, get(order, "id"), updated_at),
            "ordered_at": parse_timestamp(get(order, "created_at"), "created_at"),
            "touchpoint_fields": {} if source_name is None else {"source_name": str(source_name)},
            "location_code": None
            if order.get("location_id") is None
            else str(order["location_id"]),
            "region_code": _region(order),
            "region_key": place("country", get(order, "shipping_address.country_code", None)),
            "customer_key": customer_key(
                SOURCE_SYSTEM, source_instance, get(order, "customer.id", None)
            ),
            "status": _status(order),
            "currency": get(order, "currency"),
            "subtotal": sum((line["line_total"] for line in lines), Decimal(0)),
            "discount": total_discounts - line_discounts,
            "tax": decimal_of(order.get("total_tax") or "0", "total_tax"),
            "shipping": decimal_of(
                get(order, "total_shipping_price_set.shop_money.amount", "0"),
                "total_shipping_price_set.shop_money.amount",
            ),
            "total": decimal_of(get(order, "total_price"), "total_price"),
            "taxes_included": bool(order.get("taxes_included")),
            "lines": lines,
            "refunds": refunds,
            "payload": order,
            "payload_sha256": payload_sha256(order),
        },
        **parse_options,
    )


def _pager(source, token: str, **options: Any) -> ShopifyOrders:
    return ShopifyOrders(source.base_url, token, lookback=source.lookback, **options)


def _verified(body: bytes, headers, secret: str, _url: str) -> bool:
    return shopify_valid(body, headers.get(SHOPIFY_HEADER), secret)


# A webhook carries the whole order: it is loaded as it is.
KIND = SourceKind(
    SOURCE_SYSTEM,
    LoadStrategy.ORDERS,
    pager=_pager,
    mapper=to_canonical,
    push=Push(_verified, carries_order=True),
)

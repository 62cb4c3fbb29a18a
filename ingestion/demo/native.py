"""The demo's canonical orders as each source system's own payloads.

Shopify Admin orders (web, app, marketplace), Square orders (stores), SAP
``A_SalesOrder`` with ``to_Item`` (B2B) and Salesforce won Opportunities with their
OpportunityLineItems (sales reps, call center): exactly the fields the connectors in
``ingestion.connectors`` read, so mapping the payloads back gives the demo's orders.

What a source cannot say, its payload cannot carry; mapping back then gives the
source's own reading of the order (``NATIVE_LIMITS``):

- a partly refunded order is ``completed`` (Shopify ``partially_refunded``, Square);
- SAP: returns are separate documents, so a refunded order comes back ``completed``
  without refunds; the order discount is spread over the items' net amounts (as SAP
  pricing does) and item numbers run 10, 20, …; the change time has milliseconds;
- Salesforce: a won deal carries its value net of discounts without tax or shipping
  (those are on the ERP invoice) and is always completed; a cancelled deal is
  ``Closed Lost`` and so no order; the change time has milliseconds;
- SAP and Salesforce orders are dated (12:00 UTC of the order's local date);
- customer ids are the source's own, so one person buying through two systems is two
  customers (``ingestion.canonical.customer_key`` namespaces them).

Region, exchange rate and unit cost are reference data, not payload fields: see
``ingestion.demo.reference_tables`` and ``ingestion.enrich``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.batch import ORDER_KEY
from ingestion.batch import OrderBatch
from ingestion.demo.reference import REGIONS

NATIVE_LIMITS = __doc__

# Region code → the ISO 3166-1 country on addresses and accounts, and the SAP sales org.
COUNTRY_OF_REGION = {"us": "US", "ca": "CA", "uk": "GB", "de": "DE", "fr": "FR"}
SALES_ORG_OF_REGION = {"us": "1710", "ca": "1810", "uk": "1110", "de": "1010", "fr": "1210"}
TIMEZONE_OF_REGION = {r.code: r.timezone for r in REGIONS}

SHOPIFY_FINANCIAL = {"open": "pending", "completed": "paid", "cancelled": "voided"}
SQUARE_STATE = {"open": "OPEN", "completed": "COMPLETED", "refunded": "COMPLETED"}
SAP_PROCESS = {"open": "A", "completed": "C", "refunded": "C", "cancelled": "C"}
STAGE_NAME = "Closed Won"
LOST_STAGE = "Closed Lost"


@dataclass
class NativeOrders:
    """One chunk's orders as source payloads, per source system."""

    shopify: list[dict]
    square: list[dict]
    sap: list[dict]
    salesforce: list[dict]

    def items(self) -> Iterator[tuple[str, dict]]:
        """(source system, payload) of every order, source by source."""
        for system in ("shopify", "square", "sap", "salesforce"):
            for payload in getattr(self, system):
                yield system, payload

    def __len__(self) -> int:
        return len(self.shopify) + len(self.square) + len(self.sap) + len(self.salesforce)


# --- formatting -----------------------------------------------------------------------


def amount(minor: int) -> str:
    """Integer cents as a decimal string, '1234.50'."""
    whole, cents = divmod(int(minor), 100)
    return f"{whole}.{cents:02d}"


def _instants(ns) -> np.ndarray:
    """Epoch nanoseconds as numpy datetimes (which truncate when cast to a coarser unit)."""
    return np.asarray(ns, dtype=np.int64).astype("datetime64[ns]")


def iso_times(ns: np.ndarray) -> list[str]:
    """ISO 8601 UTC timestamps with microseconds, '2024-06-03T10:00:00.123456Z'."""
    text = np.datetime_as_string(_instants(ns).astype("datetime64[us]"), unit="us")
    return [f"{t}Z" for t in text.tolist()]


def salesforce_times(ns: np.ndarray) -> list[str]:
    """Salesforce's ``2024-06-03T15:00:00.000+0000`` (milliseconds, truncated)."""
    text = np.datetime_as_string(_instants(ns).astype("datetime64[ms]"), unit="ms")
    return [f"{t}+0000" for t in text.tolist()]


def epoch_ms(ns: np.ndarray) -> list[int]:
    return (np.asarray(ns, dtype=np.int64) // 1_000_000).tolist()


def local_dates(ns: np.ndarray, regions: np.ndarray) -> list:
    """The calendar date of each instant in its region's time zone."""
    stamps = pd.Series(pd.to_datetime(np.asarray(ns, dtype=np.int64), unit="ns", utc=True))
    dates = np.empty(len(stamps), dtype=object)
    for code, zone in TIMEZONE_OF_REGION.items():
        mine = (regions == code) if len(regions) else np.zeros(0, dtype=bool)
        if mine.any():
            dates[mine] = stamps[mine].dt.tz_convert(zone).dt.date.to_numpy()
    return dates.tolist()


def spread(total: int, weights: list[int]) -> list[int]:
    """``total`` cents split in proportion to ``weights``; the rounding rest goes to the largest."""
    base = sum(weights)
    if not base:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // base for w in weights]
    shares[max(range(len(weights)), key=weights.__getitem__)] += total - sum(shares)
    return shares


def _money(minor: int, currency: str) -> dict:
    return {"amount": int(minor), "currency": currency}


# --- per source -------------------------------------------------------------------------


@dataclass
class _Order:
    """One canonical order with its lines and refunds as plain Python values."""

    row: dict
    lines: list[dict]
    refunds: list[dict]


def _orders(batch: OrderBatch) -> Iterator[_Order]:
    """The batch's orders with their lines (contiguous, in order) and refunds."""
    orders = batch.orders
    n = len(orders)
    columns = {c: orders[c].tolist() for c in orders.columns if c not in ("payload",)}
    for c in ("ordered_at", "source_updated_at"):
        columns[c] = orders[c].astype("int64").tolist()
    columns["ordered_iso"] = iso_times(orders["ordered_at"].astype("int64").to_numpy())
    columns["updated_iso"] = iso_times(orders["source_updated_at"].astype("int64").to_numpy())
    columns["local_date"] = local_dates(
        orders["ordered_at"].astype("int64").to_numpy(), orders["region_code"].to_numpy()
    )
    lines = batch.lines
    line_columns = {c: lines[c].tolist() for c in lines.columns}
    refunds: dict[tuple, list[dict]] = {}
    if len(batch.refunds):
        refunded = batch.refunds.assign(
            refunded_iso=iso_times(batch.refunds["refunded_at"].astype("int64").to_numpy())
        )
        for record in refunded.to_dict("records"):
            refunds.setdefault(tuple(record[k] for k in ORDER_KEY), []).append(record)
    position, n_lines = 0, len(lines)
    for i in range(n):
        row = {c: values[i] for c, values in columns.items()}
        key = tuple(row[k] for k in ORDER_KEY)
        own = []
        while position < n_lines and all(
            line_columns[k][position] == key[j] for j, k in enumerate(ORDER_KEY)
        ):
            own.append({c: values[position] for c, values in line_columns.items()})
            position += 1
        yield _Order(row, own, refunds.get(key, []))
    if position != n_lines:
        raise ValueError("the batch's lines are not grouped in the order of its orders")


def _raw_fields(raw: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in raw.split(";")) if raw else {}


def shopify_order(order: _Order) -> dict:
    """A Shopify Admin REST order (``GET /admin/api/2024-10/orders/{id}.json``)."""
    row, currency = order.row, order.row["currency"]
    refunded = sum(r["amount_minor"] for r in order.refunds)
    status = row["status"]
    if status == "refunded":
        financial = "refunded" if refunded >= row["total_minor"] else "partially_refunded"
    else:
        financial = SHOPIFY_FINANCIAL[status]
    line_discount = sum(line["discount_minor"] for line in order.lines)
    customer = row["customer_key"]
    return {
        "id": int(row["source_order_id"]),
        "name": f"#{row['source_order_id']}",
        "created_at": row["ordered_iso"],
        "updated_at": row["updated_iso"],
        "processed_at": row["ordered_iso"],
        "cancelled_at": row["updated_iso"] if status == "cancelled" else None,
        "financial_status": financial,
        "fulfillment_status": None,
        "source_name": _raw_fields(row["touchpoint_raw"])["source_name"],
        "currency": currency,
        "presentment_currency": currency,
        "taxes_included": False,
        "subtotal_price": amount(row["subtotal_minor"] - row["discount_minor"]),
        "total_discounts": amount(row["discount_minor"] + line_discount),
        "total_tax": amount(row["tax_minor"]),
        "total_price": amount(row["total_minor"]),
        "total_shipping_price_set": {
            "shop_money": {"amount": amount(row["shipping_minor"]), "currency_code": currency}
        },
        "customer": None if customer is None else {"id": customer},
        "shipping_address": {"country_code": COUNTRY_OF_REGION[row["region_code"]]},
        "line_items": [
            {
                "id": int(row["source_order_id"]) * 100 + line["line_no"],
                "sku": line["sku"],
                "quantity": line["qty"],
                "price": amount(line["unit_price_minor"]),
                "total_discount": amount(line["discount_minor"]),
            }
            for line in order.lines
        ],
        "refunds": [
            {
                "id": refund["source_refund_id"],
                "created_at": refund["refunded_iso"],
                "transactions": [
                    {
                        "kind": "refund",
                        "status": "success",
                        "amount": amount(refund["amount_minor"]),
                    }
                ],
            }
            for refund in order.refunds
        ],
    }


def square_order(order: _Order) -> dict:
    """A Square order (``POST /v2/orders/search``); money in minor units."""
    row, currency = order.row, order.row["currency"]
    status = row["status"]
    line_discount = sum(line["discount_minor"] for line in order.lines)
    payload = {
        "id": row["source_order_id"],
        "location_id": row["location_code"],
        "created_at": row["ordered_iso"],
        "updated_at": row["updated_iso"],
        "state": "CANCELED" if status == "cancelled" else SQUARE_STATE[status],
        "version": row["source_version"],
        "source": {"name": _raw_fields(row["touchpoint_raw"])["source_name"]},
        "line_items": [
            {
                "uid": f"{row['source_order_id']}-{line['line_no']}",
                "catalog_object_id": line["sku"],
                "name": line["sku"],
                "quantity": str(line["qty"]),
                "base_price_money": _money(line["unit_price_minor"], currency),
                "total_discount_money": _money(line["discount_minor"], currency),
                "total_money": _money(line["line_total_minor"], currency),
            }
            for line in order.lines
        ],
        "total_money": _money(row["total_minor"], currency),
        "total_tax_money": _money(row["tax_minor"], currency),
        "total_discount_money": _money(row["discount_minor"] + line_discount, currency),
        "total_tip_money": _money(0, currency),
        "total_service_charge_money": _money(row["shipping_minor"], currency),
        "refunds": [
            {
                "id": refund["source_refund_id"],
                "created_at": refund["refunded_iso"],
                "status": "COMPLETED",
                "amount_money": _money(refund["amount_minor"], currency),
            }
            for refund in order.refunds
        ],
    }
    if row["customer_key"] is not None:
        payload["customer_id"] = row["customer_key"]
    return payload


def _odata_date(value) -> str:
    return f"/Date({int(pd.Timestamp(value, tz='UTC').value // 1_000_000)})/"


def sap_order(order: _Order) -> dict:
    """An S/4HANA ``A_SalesOrder`` with its expanded ``to_Item`` (OData v2 JSON)."""
    row, currency = order.row, order.row["currency"]
    totals = [line["line_total_minor"] for line in order.lines]
    discounts = spread(row["discount_minor"], totals)
    taxes = spread(row["tax_minor"], [t - d for t, d in zip(totals, discounts, strict=True)])
    status = row["status"]
    changed_ms = row["source_updated_at"] // 1_000_000
    order_id = row["source_order_id"]
    return {
        "__metadata": {
            "id": f"A_SalesOrder('{order_id}')",
            "type": "API_SALES_ORDER_SRV.A_SalesOrderType",
        },
        "SalesOrder": order_id,
        "SalesOrderType": "OR",
        "SalesOrganization": SALES_ORG_OF_REGION[row["region_code"]],
        "DistributionChannel": _raw_fields(row["touchpoint_raw"])["DistributionChannel"],
        "OrganizationDivision": "00",
        "SoldToParty": row["customer_key"],
        "SalesOrderDate": _odata_date(row["local_date"]),
        "LastChangeDateTime": f"/Date({changed_ms}+0000)/",
        "TotalNetAmount": amount(row["subtotal_minor"] - row["discount_minor"]),
        "TransactionCurrency": currency,
        "OverallSDProcessStatus": SAP_PROCESS[status],
        "OverallSDDocumentRejectionSts": "C" if status == "cancelled" else "A",
        "to_Item": {
            "results": [
                {
                    "SalesOrder": order_id,
                    "SalesOrderItem": str(line["line_no"] * 10),
                    "Material": line["sku"],
                    "RequestedQuantity": f"{line['qty']}.000",
                    "RequestedQuantityUnit": "PC",
                    "NetAmount": amount(line["line_total_minor"] - discount),
                    "TaxAmount": amount(tax),
                    "TransactionCurrency": currency,
                }
                for line, discount, tax in zip(order.lines, discounts, taxes, strict=True)
            ]
        },
    }


def salesforce_opportunity(order: _Order) -> dict:
    """A Salesforce Opportunity as the REST query API returns it, with its line items."""
    row = order.row
    totals = [line["line_total_minor"] for line in order.lines]
    discounts = spread(row["discount_minor"], totals)
    fields = _raw_fields(row["touchpoint_raw"])
    won = row["status"] != "cancelled"
    opportunity_id = row["source_order_id"]
    return {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v61.0/sobjects/Opportunity/{opportunity_id}",
        },
        "Id": opportunity_id,
        "Amount": (row["subtotal_minor"] - row["discount_minor"]) / 100,
        "CloseDate": row["local_date"].isoformat(),
        "StageName": fields["StageName"] if won else LOST_STAGE,
        "IsWon": won,
        "IsClosed": True,
        "LeadSource": fields["LeadSource"],
        "CurrencyIsoCode": row["currency"],
        "SystemModstamp": salesforce_times(np.array([row["source_updated_at"]]))[0],
        "AccountId": row["customer_key"],
        "Account": {
            "attributes": {"type": "Account"},
            "BillingCountryCode": COUNTRY_OF_REGION[row["region_code"]],
        },
        "OpportunityLineItems": {
            "totalSize": len(order.lines),
            "done": True,
            "records": [
                {
                    "attributes": {"type": "OpportunityLineItem"},
                    "Id": f"00k{opportunity_id[3:]}{line['line_no']:02d}",
                    "Quantity": float(line["qty"]),
                    "UnitPrice": line["unit_price_minor"] / 100,
                    "TotalPrice": (line["line_total_minor"] - discount) / 100,
                    "ProductCode": line["sku"],
                }
                for line, discount in zip(order.lines, discounts, strict=True)
            ],
        },
    }


BUILDERS = {
    "shopify": shopify_order,
    "square": square_order,
    "sap": sap_order,
    "salesforce": salesforce_opportunity,
}


def native_orders(batch: OrderBatch) -> NativeOrders:
    """Every order of a canonical batch as its source system's payload."""
    out: dict[str, list[dict]] = {system: [] for system in BUILDERS}
    for order in _orders(batch):
        system = order.row["source_system"]
        out[system].append(BUILDERS[system](order))
    return NativeOrders(**out)

"""The canonical model every source payload is mapped into, and its columnar batch form.

Amount semantics (one convention for every source):

- ``CanonicalLine.line_total`` is quantity × unit price less the line's own discount;
- ``CanonicalOrder.subtotal`` is the sum of the line totals;
- ``CanonicalOrder.discount`` is the order-level discount *not* already taken off a line;
- ``total`` = subtotal − discount + shipping + tax, where tax is only added when prices
  exclude it (``taxes_included`` false); with tax-inclusive prices the tax is part of the
  subtotal and ``tax`` only reports it, so total − tax is net revenue either way.

Validation runs inside pydantic (``model_validate`` on plain dicts); the one order-level
Python check reconciles the amounts. The horizon for "dates in the future" is taken from
the validation context key ``future_tolerance`` (a ``timedelta``), default one day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AfterValidator
from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import StringConstraints
from pydantic import ValidationError
from pydantic import ValidationInfo
from pydantic import model_validator

from db.currencies import ISO_4217_CODES
from db.currencies import ISO_4217_MINOR_UNITS
from ingestion import json_text

# The columnar form (ingestion.canonical_frames), imported from here by the model's users.
from ingestion.canonical_frames import gc_paused
from ingestion.canonical_frames import inventory_frame as inventory_frame
from ingestion.canonical_frames import spend_frame as spend_frame
from ingestion.canonical_frames import to_order_batch as to_order_batch
from ingestion.canonical_frames import touch_frame as touch_frame
from ingestion.canonical_frames import traffic_frame as traffic_frame
from ingestion.errors import MappingError

FUTURE_TOLERANCE = dt.timedelta(days=1)

_MINOR_UNIT = {code: Decimal(1).scaleb(-digits) for code, digits in ISO_4217_MINOR_UNITS.items()}

CENT = Decimal("0.01")


def _check_currency(code: str) -> str:
    if code not in ISO_4217_CODES:
        raise ValueError(f"{code!r} is not an active ISO 4217 currency code")
    return code


def _horizon(info: ValidationInfo) -> dt.datetime:
    """The latest acceptable timestamp: now plus the context's (or the default) tolerance."""
    tolerance = (info.context or {}).get("future_tolerance", FUTURE_TOLERANCE)
    return dt.datetime.now(dt.UTC) + tolerance


def _not_in_future(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    if value > _horizon(info):
        raise ValueError(f"{value.isoformat()} is later than {_horizon(info).isoformat()}")
    return value


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character, which the database cannot store")
    return text


# Text the tables can hold: PostgreSQL's text types refuse a NUL character.
StoredText = Annotated[str, AfterValidator(_storable)]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_storable)
]
CurrencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")
]
Currency = Annotated[CurrencyCode, AfterValidator(_check_currency)]
Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
# Orders check their currency and dates in their one model validator (cheaper per order).
Timestamp = Annotated[AwareDatetime, AfterValidator(_not_in_future)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
OrderStatus = Literal["open", "completed", "cancelled", "refunded"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CanonicalLine(_Model):
    line_no: Annotated[int, Field(ge=1)]
    sku: Text
    qty: Count
    unit_price: Money
    discount: Money = Decimal(0)
    line_total: Money
    unit_cost: Money = Decimal(0)


class CanonicalRefund(_Model):
    source_refund_id: Text
    refunded_at: AwareDatetime
    amount: Money


class CanonicalOrder(_Model):
    """One order; without lines (an opportunity sold without products) only the totals reconcile."""

    source_system: Text
    source_instance: Text
    source_order_id: Text
    source_version: Count
    source_updated_at: AwareDatetime
    ordered_at: AwareDatetime
    touchpoint_fields: dict[str, StoredText]
    location_code: StoredText | None = None
    region_code: StoredText | None = None
    customer_key: StoredText | None = None
    status: OrderStatus
    currency: CurrencyCode
    subtotal: Money
    discount: Money = Decimal(0)
    tax: Money = Decimal(0)
    shipping: Money = Decimal(0)
    total: Money
    taxes_included: bool = False
    # Base currency per unit of ``currency`` when the source says; None takes the rate of
    # the order day from the exchange_rate table (``ingestion.enrich``).
    fx_rate: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    # The source's own place, "kind=value" (country=DE, sales_org=1010, store=L1): resolved
    # through the region_mapping table when ``region_code`` names no known region.
    region_key: StoredText | None = None
    # Items sold, for an order without lines (with lines: their quantities, never both).
    units: Count | None = None
    lines: list[CanonicalLine] = []
    refunds: list[CanonicalRefund] = []
    payload: dict[str, Any] | None = None
    payload_sha256: Sha256

    @property
    def refund_total(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal(0))

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> CanonicalOrder:
        if self.currency not in ISO_4217_CODES:
            raise ValueError(f"currency {self.currency!r} is not an active ISO 4217 code")
        horizon = _horizon(info)
        for name, value in (
            ("ordered_at", self.ordered_at),
            ("source_updated_at", self.source_updated_at),
        ):
            if value > horizon:
                raise ValueError(f"{name} {value.isoformat()} is later than {horizon.isoformat()}")
        for refund in self.refunds:
            if refund.refunded_at > horizon:
                raise ValueError(
                    f"refund {refund.source_refund_id} at {refund.refunded_at.isoformat()} "
                    f"is later than {horizon.isoformat()}"
                )
        unit = _MINOR_UNIT[self.currency]
        if self.lines:
            if self.units is not None:
                raise ValueError("units are given for an order with lines: they are its lines' qty")
            numbers = {line.line_no for line in self.lines}
            if len(numbers) != len(self.lines):
                raise ValueError(
                    f"line numbers repeat: {sorted(line.line_no for line in self.lines)}"
                )
            line_sum = sum(line.line_total for line in self.lines)
            if abs(line_sum - self.subtotal) > unit:
                raise ValueError(
                    f"line totals sum to {line_sum} but the subtotal is {self.subtotal}"
                )
        expected = self.subtotal - self.discount + self.shipping
        if not self.taxes_included:
            expected += self.tax
        if abs(expected - self.total) > unit:
            formula = "subtotal − discount + shipping" + ("" if self.taxes_included else " + tax")
            raise ValueError(f"{formula} is {expected} but the total is {self.total}")
        if self.refunds and self.refund_total > self.total + unit:
            raise ValueError(f"refunds of {self.refund_total} exceed the total {self.total}")
        return self


class CanonicalTraffic(_Model):
    """Conversion denominators for one day; ``channel_group`` and ``purchases`` are not loaded."""

    day: dt.date
    touchpoint_code: Text
    source_system: Text
    region_code: StoredText | None = None
    location_code: StoredText | None = None
    sessions: Count = 0
    footfall: Count = 0
    opportunities: Count = 0
    opportunities_won: Count = 0
    channel_group: StoredText | None = None
    purchases: Count = 0


class CanonicalSpend(_Model):
    day: dt.date
    touchpoint_code: Text
    campaign: StoredText = ""
    source_system: Text
    currency: Currency
    spend: Money
    fx_rate: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)] | None = None
    impressions: Count = 0
    clicks: Count = 0


class CanonicalInventory(_Model):
    day: dt.date
    sku: Text
    location_code: Text
    on_hand: Count
    on_order: Count = 0


class CanonicalTouch(_Model):
    customer_key: Text
    touched_at: Timestamp
    touchpoint_code: Text
    device: StoredText = ""
    campaign: StoredText = ""
    source_order_id: StoredText | None = None
    source_system: Text


# --- payloads ---------------------------------------------------------------------------


def payload_sha256(payload: Any) -> str:
    """sha256 of the payload as canonical JSON (sorted keys, no spaces), whitespace-proof."""
    return hashlib.sha256(json_text.canonical(payload)).hexdigest()


def decode_payload(raw: bytes) -> dict[str, Any]:
    """A JSON object from raw bytes; bad UTF-8, broken JSON or a non-object is a MappingError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MappingError(
            f"payload is not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        ) from None
    try:
        value = json_text.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(value, dict):
        raise MappingError(f"payload is a JSON {type(value).__name__}, expected an object")
    return value


def customer_key(source_system: str, source_instance: str, customer_id: object) -> str | None:
    """A pseudonymous customer key: sha256 of the source's own customer id, namespaced."""
    if customer_id in (None, ""):
        return None
    return hashlib.sha256(f"{source_system}:{source_instance}:{customer_id}".encode()).hexdigest()


def describe(error: ValidationError) -> str:
    """A readable one-line reason from a pydantic error: 'field.path: message; …'."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "order"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse(
    model: type[_Model],
    data: dict[str, Any],
    *,
    future_tolerance: dt.timedelta | None = None,
    validate: bool = True,
) -> Any:
    """Validate ``data`` as ``model``; a failure is a MappingError with a readable reason.

    ``validate=False`` returns ``data`` as it is, for the columnar path (``ingestion.columnar``),
    which checks whole pages at once and validates only the rows that break a rule.
    """
    if not validate:
        return data
    context = None if future_tolerance is None else {"future_tolerance": future_tolerance}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise MappingError(describe(exc)) from None


def validate_orders(
    rows: Iterable[dict[str, Any]], *, future_tolerance: dt.timedelta | None = None
) -> tuple[list[CanonicalOrder], list[tuple[int, str]]]:
    """Validate many order dicts: the valid orders, and (index, reason) for each invalid one."""
    context = None if future_tolerance is None else {"future_tolerance": future_tolerance}
    valid, invalid = [], []
    with gc_paused():
        for index, row in enumerate(rows):
            try:
                valid.append(CanonicalOrder.model_validate(row, context=context))
            except ValidationError as exc:
                invalid.append((index, describe(exc)))
    return valid, invalid

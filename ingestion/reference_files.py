"""Reading reference data files: exchange rates and region mappings (CSV, with a header).

Exchange rates come long (``day,currency,rate``) or wide as the ECB publishes them
(``Date,USD,JPY,…``, one row per day, "N/A" or empty for no rate). A rate is units of
the base currency per unit of the currency; ``inverse`` reads rates quoted the other way
(units of the currency per unit of the base currency, the ECB's quotation when the base
currency is EUR). Region mappings are ``source_system,kind,value,region`` (source_system
may be left out or empty: "*", every source).

Every problem is reported with its line number; nothing is written from a bad file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from db import audit
from db.currencies import ISO_4217_CODES
from db.engine import get_engine
from db.roles import Actor
from db.schema import ExchangeRate
from db.schema import Rate
from db.schema import Region
from db.schema import RegionMapping
from db.settings import get_settings
from ingestion.canonical_frames import STORED
from ingestion.enrich import ANY_SOURCE
from ingestion.errors import IngestionError
from ingestion.reference import upsert_rates
from ingestion.reference import upsert_region_mappings

DAY_COLUMNS = ("day", "date")
MISSING = {"", "N/A", "NA", "n/a"}
MAX_ERRORS = 10
# What exchange_rate.rate and region_mapping's columns (and a region's code) hold.
SMALLEST_RATE = Decimal(1).scaleb(-Rate.scale)
LARGEST_RATE = STORED["fx_rate"]
REGION_MAPPING_WIDTHS = {
    **{c: RegionMapping.__table__.c[c].type.length for c in ("source_system", "kind", "value")},
    "region": Region.__table__.c.code.type.length,
}


def _rows(path: Path, data: bytes | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the numbered non-empty rows of the file ``path``, or of ``data`` (its
    bytes, already at hand: ``path`` then only names it)."""
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestionError(f"cannot read {path}: {exc}") from None
    records = list(csv.reader(io.StringIO(text)))
    if not records:
        raise IngestionError(f"{path} is empty")
    header = [h.strip() for h in records[0]]
    while header and not header[-1]:  # the ECB file ends each row with a comma
        header.pop()
    rows = [(n, [v.strip() for v in r]) for n, r in enumerate(records[1:], start=2) if any(r)]
    return header, rows


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2026-05-01") from None


def _rate(value: str, inverse: bool) -> Decimal:
    try:
        rate = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError(f"rate {value} must be a positive number")
    rate = 1 / rate if inverse else rate
    if not SMALLEST_RATE <= rate <= LARGEST_RATE:
        raise ValueError(f"rate {value} is out of range: {SMALLEST_RATE:f} up to {LARGEST_RATE}")
    return rate


def _currency(value: str) -> str:
    code = value.upper()
    if code not in ISO_4217_CODES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    if code == get_settings().base_currency:
        raise ValueError(f"{code} is the base currency: its rate is always 1")
    return code


def _long_rates(header: list[str], rows, inverse: bool) -> tuple[list, list[str]]:
    where = {name.lower(): i for i, name in enumerate(header)}
    day_column = next((where[c] for c in DAY_COLUMNS if c in where), None)
    if day_column is None or "currency" not in where or "rate" not in where:
        raise IngestionError("the header must name day (or date), currency and rate")
    out, errors = [], []
    for line, row in rows:
        try:
            cells = [row[i] if i < len(row) else "" for i in range(len(header))]
            out.append(
                (
                    _day(cells[day_column]),
                    _currency(cells[where["currency"]]),
                    _rate(cells[where["rate"]], inverse),
                    line,
                )
            )
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    return out, errors


def _wide_rates(header: list[str], rows, inverse: bool) -> tuple[list, list[str]]:
    errors: list[str] = []
    currencies: list[str | None] = []
    # A column of a currency no longer in use (the ECB's CYP, …) is fine while it is empty.
    unknown: dict[str, str] = {}
    for name in header[1:]:
        try:
            currencies.append(_currency(name))
        except ValueError as exc:
            currencies.append(None)
            unknown[name] = str(exc)
    out = []
    for line, row in rows:
        try:
            day = _day(row[0])
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        for name, currency, value in zip(header[1:], currencies, row[1:], strict=False):
            if value in MISSING:
                continue
            if currency is None:
                errors.append(f"line {line}: {unknown.pop(name, None) or name}")
                continue
            try:
                out.append((day, currency, _rate(value, inverse), line))
            except ValueError as exc:
                errors.append(f"line {line}, {currency}: {exc}")
    return out, errors


def read_rates(path: str | Path, inverse: bool = False, data: bytes | None = None) -> pd.DataFrame:
    """Exchange rates from a long or ECB-style wide CSV: ``day``, ``currency``, ``rate``
    (``data``: the file's bytes, when they are at hand already)."""
    path = Path(path)
    header, rows = _rows(path, data)
    wide = header[0].lower() in DAY_COLUMNS and "currency" not in {h.lower() for h in header}
    rates, errors = (_wide_rates if wide else _long_rates)(header, rows, inverse)
    seen: dict[tuple[dt.date, str], int] = {}
    for day, currency, _, line in rates:
        first = seen.setdefault((day, currency), line)
        if first != line:
            errors.append(f"line {line}: a second rate for {currency} on {day} (line {first})")
    _raise(path, errors)
    if not rates:
        raise IngestionError(f"{path} holds no rates")
    return pd.DataFrame(
        [(day, currency, float(rate)) for day, currency, rate, _ in rates],
        columns=["day", "currency", "rate"],
    )


def read_region_mappings(path: str | Path) -> pd.DataFrame:
    """Region mappings from a CSV: ``source_system`` (optional), ``kind``, ``value``, ``region``."""
    path = Path(path)
    header, rows = _rows(path)
    where = {name.lower(): i for i, name in enumerate(header)}
    missing = [c for c in ("kind", "value", "region") if c not in where]
    if missing:
        raise IngestionError(f"the header must name {', '.join(missing)}")
    out, errors, seen = [], [], {}
    for line, row in rows:
        cells = {name: row[i] if i < len(row) else "" for name, i in where.items()}
        system = cells.get("source_system") or ANY_SOURCE
        empty = [c for c in ("kind", "value", "region") if not cells[c]]
        if empty:
            errors.append(f"line {line}: {', '.join(empty)} empty")
            continue
        if unfit := _unfit({**cells, "source_system": system}):
            errors.append(f"line {line}: {unfit}")
            continue
        key = (system, cells["kind"], cells["value"])
        first = seen.setdefault(key, line)
        if first != line:
            errors.append(f"line {line}: {'/'.join(key)} is mapped already on line {first}")
            continue
        out.append((*key, cells["region"]))
    _raise(path, errors)
    return pd.DataFrame(out, columns=["source_system", "kind", "value", "region"])


def _unfit(cells: dict[str, str]) -> str | None:
    """Why a region mapping's cells cannot be stored (too long, or a NUL character); None."""
    for name, width in REGION_MAPPING_WIDTHS.items():
        if "\x00" in cells[name]:
            return f"{name} holds a NUL character"
        if len(cells[name]) > width:
            return f"{name} is longer than {width} characters"
    return None


def _raise(path: Path, errors: list[str]) -> None:
    if not errors:
        return
    more = f"\n… and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    raise IngestionError(f"{path.name}: " + "\n".join(errors[:MAX_ERRORS]) + more)


def describe_rates(rates: pd.DataFrame) -> str:
    """What a rate file held: "3 rates for EUR, JPY from 2026-01-01 to 2026-01-02"."""
    return (
        f"{len(rates):,} rates for {', '.join(sorted(rates['currency'].unique()))} "
        f"from {min(rates['day'])} to {max(rates['day'])}"
    )


def load_rates_file(
    path: str | Path,
    actor: Actor,
    inverse: bool = False,
    engine: Engine | None = None,
    data: bytes | None = None,
) -> pd.DataFrame:
    """Read and store an exchange-rate file (admins only, audited): the file ``path``, or
    ``data``, its bytes (an upload; ``path`` is then only its name). Returns the rates written;
    a file with any wrong row writes nothing."""
    actor.require("admin", "load exchange rates")
    rates = read_rates(path, inverse, data)
    name = Path(path).name[: ExchangeRate.__table__.c.source.type.length]
    with (engine or get_engine()).begin() as conn:
        upsert_rates(conn, rates, source=name)
        audit.record(
            conn,
            actor.name,
            "reference.load_fx",
            "exchange_rate",
            name,
            None,
            {
                "rows": len(rates),
                "currencies": sorted(rates["currency"].unique()),
                "first_day": min(rates["day"]).isoformat(),
                "last_day": max(rates["day"]).isoformat(),
            },
        )
    return rates


def load_region_file(path: str | Path, actor: Actor, engine: Engine | None = None) -> pd.DataFrame:
    """Read and store a region-mapping file (admins only, audited); returns the mappings
    written."""
    actor.require("admin", "load region mappings")
    mappings = read_region_mappings(path)
    with (engine or get_engine()).begin() as conn:
        try:
            upsert_region_mappings(conn, mappings)
        except ValueError as exc:
            raise IngestionError(f"{Path(path).name}: {exc}") from None
        audit.record(
            conn,
            actor.name,
            "reference.load_regions",
            "region_mapping",
            Path(path).name,
            None,
            {"rows": len(mappings)},
        )
    return mappings

"""Bad input to `channelperf ingest file` and `mapping save` is refused with one line and
exit code 2, or quarantined row by row; never a traceback, never a half-loaded file.

- numbers larger than the tables' columns (NUMERIC(18, 2) amounts, INTEGER units) are
  per-line rejects, and the file's good rows load;
- a mapping of the wrong shape, not UTF-8, or giving a key twice is refused, naming what is
  wrong, and nothing is written;
- a CSV file lacking a column the mapping reads is refused whole, nothing quarantined.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from db.engine import get_engine
from db.errors import CommandError
from db.ingestion_tables import Reject
from db.roles import Actor
from db.rollup_tables import DailyChannelRollup
from db.rollup_tables import DailyRollup
from db.schema import SalesOrder
from ingestion.sources import add_source
from ingestion.uploads import request_upload
from ingestion.worker import pull
from tests.command_world import changed_tables
from tests.command_world import database_state

pytestmark = pytest.mark.postgres
runner = CliRunner()
ADMIN = Actor("ada", "admin")

ORDERS_MAPPING = """\
kind: orders
fields:
  source_system: {value: shop}
  source_instance: {value: main}
  source_order_id: order_id
  ordered_at: {column: order_date, type: datetime, format: "%Y-%m-%d", timezone: UTC}
  location_code: store
  customer_id: customer
  status: {value: completed}
  currency: currency
  total: {column: total, type: decimal}
  units: {column: units, type: int}
touchpoint_fields:
  channel: channel
"""
HEADER = "order_id,order_date,channel,store,customer,total,currency,units\n"
GOOD = "A1,2024-03-01,web,S1,c1,10.50,USD,2\nA2,2024-03-02,store,S1,c2,90071992547409.91,USD,7\n"
TOO_LARGE = {  # line: the row, and what its reject says
    2: ("B1,2024-03-03,web,S1,c3,5.00,USD,3000000000", "units: 3000000000 is more than"),
    3: ("B2,2024-03-03,web,S1,c3,90000000000000000.00,USD,1", "total: 90000000000000000.00"),
    4: ("B3,2024-03-03,web,S1,c3,1e400,USD,1", "total: 1E+400 is more than"),
    5: ("B4,2024-03-03,web,S1,c3,12345678901234567890.12,USD,1", "total: 1234567890123456789"),
    6: ("B5,2024-03-03,web,S1,c3,5.00,USD,99999999999999999999", "units: 99999999999999999999"),
    # NUMERIC(18, 2) holds it, but not exactly in the base currency (float64 cents)
    7: ("B6,2024-03-03,web,S1,c3,9999999999999999.99,USD,1", "(90071992547409.91 at most)"),
}


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def refused(result, message: str) -> None:
    """Exit code 2 and one line on stderr saying ``message``; no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, result.stderr


def write(path, text: str | bytes):
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_numbers_the_tables_cannot_hold_are_rejects_and_the_good_rows_load(pg_url, tmp_path):
    mapping = write(tmp_path / "om.yml", ORDERS_MAPPING)
    bad = write(tmp_path / "bad.csv", HEADER + "\n".join(row for row, _ in TOO_LARGE.values()))
    good = write(tmp_path / "good.csv", HEADER + GOOD)

    dry = run("ingest", "file", "--dry-run", "--mapping", mapping, bad)
    assert dry.exit_code == 0, dry.output
    assert "0 orders record(s) mapped, 6 row(s) rejected" in dry.stdout
    for _, reason in TOO_LARGE.values():
        assert reason in dry.stdout

    done = run("ingest", "file", "--mapping", mapping, good, bad)
    assert done.exit_code == 0, (done.output, done.exception)
    assert "2 file(s): read 8: 2 new, 0 updated, 0 unchanged, 6 rejected" in done.stdout
    with get_engine().connect() as conn:
        orders = conn.execute(
            select(SalesOrder.source_order_id, SalesOrder.total, SalesOrder.units).order_by(
                SalesOrder.source_order_id
            )
        ).all()
        rejects = dict(conn.execute(select(Reject.record_id, Reject.error)).all())
    assert [tuple(o) for o in orders] == [
        ("A1", Decimal("10.50"), 2),
        ("A2", Decimal("90071992547409.91"), 7),
    ]
    assert set(rejects) == {f"bad.csv:{line}" for line in TOO_LARGE}
    for line, (_, reason) in TOO_LARGE.items():
        assert rejects[f"bad.csv:{line}"].startswith(f"line {line}: ")
        assert reason in rejects[f"bad.csv:{line}"]


def test_an_order_whose_lines_add_up_to_more_than_the_tables_hold_is_a_reject(pg_url, tmp_path):
    """Each line's qty fits an INTEGER, their sum (the order's units) does not."""
    mapping = write(
        tmp_path / "lines.yml",
        ORDERS_MAPPING.replace("  total: {column: total, type: decimal}\n", "")
        .replace("  units: {column: units, type: int}\n", "")
        .replace("  channel: channel\n", "  channel: channel\nline_fields:\n")
        + "  sku: {value: MUG}\n  qty: {column: units, type: int}\n"
        + "  unit_price: {column: total, type: decimal}\n",
    )
    rows = (
        "A1,2024-03-01,web,S1,c1,0.01,USD,2000000000\nA1,2024-03-01,web,S1,c1,0.01,USD,2000000000\n"
    )
    export = write(tmp_path / "lines.csv", HEADER + rows + "A2,2024-03-01,web,S1,c1,1,USD,1\n")
    done = run("ingest", "file", "--mapping", mapping, export)
    assert done.exit_code == 0, (done.output, done.exception)
    assert "read 2: 1 new, 0 updated, 0 unchanged, 1 rejected" in done.stdout
    with get_engine().connect() as conn:
        (error,) = conn.execute(select(Reject.error)).scalars()
    assert "units (the lines' qty): 4000000000 is more than can be stored" in error


def test_a_day_of_orders_as_large_as_the_tables_hold_sums_exactly_in_the_rollups(pg_url, tmp_path):
    """Each order fits its own columns; their day's sums would not fit an INTEGER count or a
    NUMERIC(18, 2) amount (the whole file used to fail to load)."""
    mapping = write(tmp_path / "orders.yml", ORDERS_MAPPING)
    largest = "90071992547409.91"
    rows = [f"U{n},2024-03-01,web,S1,c{n},1.00,USD,2000000000" for n in range(3)]
    rows += [f"M{n},2024-03-01,web,S1,c{n},{largest},USD,1" for n in range(120)]
    export = write(tmp_path / "large.csv", HEADER + "\n".join(rows) + "\n")
    done = run("ingest", "file", "--mapping", mapping, export)
    assert done.exit_code == 0, (done.output, done.exception)
    assert "read 123: 123 new, 0 updated, 0 unchanged, 0 rejected" in done.stdout
    with get_engine().connect() as conn:
        summed = [
            tuple(
                conn.execute(
                    select(*(func.sum(table.c[c]) for c in ("orders", "units", "gross_revenue")))
                ).one()
            )
            for table in (DailyRollup.__table__, DailyChannelRollup.__table__)
        ]
    expected = (123, 3 * 2_000_000_000 + 120, 3 + 120 * Decimal(largest))
    assert summed == [expected, expected]


BAD_MAPPINGS = {  # the mapping's text: what the one-line refusal says
    "kind: orders\nfields: [a, b]\n": "mapping fields must map field names to columns",
    "kind: [orders]\nfields: {total: t}\n": "mapping kind ['orders'] is not one of",
    "kind: orders\nfields:\n  ordered_at: {column: d, type: [date]}\n": (
        "field ordered_at: type must be text, got ['date']"
    ),
    'kind: orders\nfields:\n  ordered_at: {column: d, type: datetime, timezone: "../etc"}\n': (
        "field ordered_at: unknown time zone '../etc'"
    ),
    "kind: orders\nfields:\n  ordered_at: {column: d, type: datetime, timezone: 5}\n": (
        "field ordered_at: timezone must be an IANA time zone name, got 5"
    ),
    "kind: orders\nfields: {total: t}\n1: x\nfoo: y\n": "mapping has unknown keys ['1', 'foo']",
    "kind: orders\nfields:\n  source_order_id: {column: id, zone: 1, 2: x}\n": (
        "field source_order_id: unknown options ['2', 'zone']"
    ),
    "kind: orders\ndelimiter: ';;'\nfields: {total: t}\n": "delimiter must be one character",
    "kind: orders\nfields:\n  source_order_id: {column: [id]}\n": "column must be a column name",
    b"kind: orders\nfields:\n  total: Betr\xffg\n": "not UTF-8 text: byte 0xff at offset 34",
    # A field the model does not have: every row would be rejected for it.
    "kind: orders\nfields: {totl: t}\n": "mapping fields: no field totl; known: ",
    "kind: orders\nfields: {total: t}\nline_fields: {quantity: q}\n": (
        "mapping line_fields: no field quantity; known: discount, line_no, line_total, qty"
    ),
}
# YAML keeps the last of a key given twice: the mapping would load the wrong column.
DUPLICATE_KEYS = {
    "kind: orders\nfields:\n  total: gross\n  currency: cur\n  total: net\n": (
        "not valid YAML at line 5: 'total' is given twice (first at line 3)"
    ),
    "kind: traffic\nformat: csv\nkind: orders\nfields: {total: t}\n": (
        "not valid YAML at line 3: 'kind' is given twice (first at line 1)"
    ),
}


def refused_everywhere(mappings: dict, tmp_path, pg_url) -> None:
    """Each mapping refused by a dry run, a load and a save, with its message; nothing written."""
    export = write(tmp_path / "f.csv", HEADER + GOOD)
    before = database_state(pg_url)
    for number, (text, message) in enumerate(mappings.items()):
        mapping = write(tmp_path / f"m{number}.yml", text)
        refused(run("ingest", "file", "--dry-run", "--mapping", mapping, export), message)
        refused(run("ingest", "file", "--mapping", mapping, export), message)
        refused(run("mapping", "save", f"m{number}", mapping), message)
    assert changed_tables(before, database_state(pg_url)) == []


def test_a_mapping_of_the_wrong_shape_is_one_line_and_writes_nothing(pg_url, tmp_path):
    refused_everywhere(BAD_MAPPINGS, tmp_path, pg_url)


def test_a_key_given_twice_in_a_mapping_is_refused(pg_url, tmp_path):
    refused_everywhere(DUPLICATE_KEYS, tmp_path, pg_url)


def test_a_file_without_the_mapped_columns_is_refused_whole(pg_url, tmp_path):
    """A file lacking a column the mapping reads is refused before anything is written; empty
    cells stay row rejects, and a column whose field has a default may be left out."""
    mapping = write(tmp_path / "om.yml", ORDERS_MAPPING)
    rows = "".join(f"SKU-{i},{i},{i}.99\n" for i in range(500))
    other = write(tmp_path / "products.csv", "sku,qty,price\n" + rows)
    good = write(tmp_path / "good.csv", HEADER + GOOD)
    message = (
        "products.csv: the file lacks the mapped column(s) order_id, order_date, store, "
        "customer, currency, total, units, channel (its header: sku, qty, price)"
    )
    before = database_state(pg_url)
    refused(run("ingest", "file", "--dry-run", "--mapping", mapping, other), message)
    refused(run("ingest", "file", "--mapping", mapping, other), message)
    refused(run("ingest", "file", "--mapping", mapping, good, other), message)  # good.csv too
    assert changed_tables(before, database_state(pg_url)) == []

    # A file with every column but an empty cell: that row alone is a reject.
    export = write(tmp_path / "gaps.csv", HEADER + GOOD + ",2024-03-03,web,S1,c3,5.00,USD,1\n")
    done = run("ingest", "file", "--mapping", mapping, export)
    assert done.exit_code == 0, done.output
    assert "read 3: 2 new, 0 updated, 0 unchanged, 1 rejected" in done.stdout
    with get_engine().connect() as conn:
        assert list(conn.execute(select(Reject.error)).scalars()) == [
            "line 4: source_order_id: missing"
        ]

    # A field with a default needs no column: an export may leave out what it does not have.
    defaulted = write(
        tmp_path / "defaulted.yml",
        ORDERS_MAPPING.replace("type: int}", "type: int, default: 0}"),
    )
    no_units = write(
        tmp_path / "no_units.csv",
        "order_id,order_date,channel,store,customer,total,currency\n"
        "C1,2024-03-04,web,S1,c1,3.00,USD\n",
    )
    done = run("ingest", "file", "--mapping", defaulted, no_units)
    assert done.exit_code == 0 and "read 1: 1 new" in done.stdout, done.output


def test_a_watched_directory_quarantines_a_file_refused_whole_and_loads_the_next(pg_url, tmp_path):
    """A drop whose header lacks the mapped columns is one reject naming the file; the cursor
    moves past it, so the exports dropped after it still load, and the next poll loads nothing."""
    drops = tmp_path / "drops"
    drops.mkdir()
    mapping = write(tmp_path / "om.yml", ORDERS_MAPPING)
    for n, (name, text) in enumerate(
        (
            ("1-good.csv", HEADER + GOOD),
            ("2-products.csv", "sku,qty,price\nSKU-1,1,1.99\n"),
            ("3-later.csv", HEADER + "A3,2024-03-05,web,S1,c4,12.00,USD,1\n"),
        )
    ):
        path = drops / name
        write(path, text)
        os.utime(path, ns=(10**18 + n, 10**18 + n))  # dropped in this order
    add_source("drops", "file", "exports", str(drops), options={"mapping": mapping}, actor=ADMIN)

    first = pull("drops")
    assert (first.inserted, first.rejected) == (3, 1)
    with get_engine().connect() as conn:
        orders = set(conn.execute(select(SalesOrder.source_order_id)).scalars())
        (reject,) = conn.execute(select(Reject.record_id, Reject.error, Reject.payload)).all()
    assert orders == {"A1", "A2", "A3"}
    assert reject.record_id == "2-products.csv"
    assert reject.error.startswith("2-products.csv: the file lacks the mapped column(s) order_id")
    assert bytes(reject.payload).startswith(b"sku,qty,price")
    again = pull("drops")
    assert (again.read, again.rejected) == (0, 0)


def test_an_upload_without_the_mapped_columns_is_refused_before_it_is_queued(pg_url):
    before = database_state(pg_url)
    with pytest.raises(CommandError, match="products.csv: the file lacks the mapped column"):
        request_upload(
            b"sku,qty,price\nSKU-1,1,1.99\n", ORDERS_MAPPING, "shop", "products.csv", ADMIN
        )
    assert changed_tables(before, database_state(pg_url)) == []  # not even audited

"""A file loaded again and the quarantine: its rejects are kept once, a row corrected in the
file resolves its rejects, a row refused for want of an exchange rate is replayed once the
rate is there, and the dry run reports the rejects the load will give."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from db.engine import get_engine
from db.errors import CommandError
from db.roles import Actor
from db.schema import IngestRun
from db.schema import SalesOrder
from ingestion.connectors.files import MAPPINGS_DIR
from ingestion.connectors.files import FileMapping
from ingestion.file_preview import preview_data
from ingestion.file_sync import ingest_data
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay
from tests.files.rates import store_rates

pytestmark = pytest.mark.postgres
runner = CliRunner()
ADMIN = Actor("ada", "admin")

MAPPING = """\
kind: orders
format: csv
delimiter: ";"
decimal_separator: ","
fields:
  source_system: {value: bestellungen}
  source_instance: {value: main}
  source_order_id: Bestellnummer
  ordered_at: {column: Datum, type: datetime, format: "%Y-%m-%d", timezone: UTC}
  status: {column: Status, map: {bezahlt: completed, storniert: cancelled}}
  currency: Waehrung
  total: {column: Betrag, type: decimal}
touchpoint_fields:
  channel: Kanal
"""
HEADER = "Bestellnummer;Datum;Kanal;Betrag;Waehrung;Status"
GOOD = [f"G{n};2024-03-{1 + n % 28:02d};web;{10 + n},50;USD;bezahlt" for n in range(200)]
BAD = {  # order id: its row, and what its reject says
    "B1": ("B1;2024-03-05;web;zwölf;USD;bezahlt", "Betrag"),
    "B2": ("B2;2024-13-05;web;12,00;USD;bezahlt", "2024-13-05"),
    "B3": ("B3;2024-03-05;web;12,00;USD;offen", "'offen' is not one of"),
    "B4": ("B4;2024-03-05;web;12,00;EURO;bezahlt", "currency"),
    "B5": ("B5;2024-03-05;web;-3,00;USD;bezahlt", "total"),
}
FIXED_B1 = "B1;2024-03-05;web;12,00;USD;bezahlt"


def _write(path, rows: list[str]) -> str:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _ingest(mapping: str, export: str):
    done = runner.invoke(app, ["ingest", "file", "--mapping", mapping, export])
    assert done.exit_code == 0, (done.output, done.exception)
    return done.stdout


def _last_run() -> tuple[int, int]:
    """The id of the latest ingest run and how many rows it rejected."""
    with get_engine().connect() as conn:
        return conn.execute(
            select(IngestRun.id, IngestRun.rejected).order_by(IngestRun.id.desc()).limit(1)
        ).one()


def test_a_file_loaded_again_keeps_its_rejects_once_and_a_corrected_row_resolves_them(
    pg_url, tmp_path
):
    mapping = tmp_path / "bestellungen.yml"
    mapping.write_text(MAPPING, encoding="utf-8")
    rows = [*GOOD[:100], *(row for row, _ in BAD.values()), *GOOD[100:]]
    export = _write(tmp_path / "bestellungen.csv", rows)

    assert "read 205: 200 new, 0 updated, 0 unchanged, 5 rejected" in _ingest(str(mapping), export)
    first = {r.record_id: r for r in list_rejects()}
    assert "read 205: 0 new, 0 updated, 200 unchanged, 5 rejected" in _ingest(str(mapping), export)
    assert _last_run()[1] == 5  # counted as rejected in the run, kept once in the quarantine
    listed = list_rejects()
    again = {r.record_id: r for r in listed}
    assert len(listed) == 5 and set(again) == set(first)
    for line, (key, (_, says)) in enumerate(BAD.items(), start=102):
        kept = again[f"bestellungen.csv:{line}"]
        assert kept.id == first[kept.record_id].id and kept.record_key == key
        assert says in kept.error and kept.last_seen_at > first[kept.record_id].last_seen_at

    rows[rows.index(BAD["B1"][0])] = FIXED_B1  # corrected in the file, loaded again
    export = _write(tmp_path / "bestellungen.csv", rows)
    assert "read 205: 1 new, 0 updated, 200 unchanged, 4 rejected" in _ingest(str(mapping), export)
    run_id, rejected = _last_run()
    assert rejected == 4
    assert {r.record_key for r in list_rejects()} == set(BAD) - {"B1"}
    (resolved,) = list_rejects("resolved")
    assert (resolved.id, resolved.record_key) == (first["bestellungen.csv:102"].id, "B1")
    assert resolved.replay_run_id == run_id and resolved.replayed_at is not None
    with get_engine().connect() as conn:
        orders = conn.execute(select(func.count()).select_from(SalesOrder.__table__)).scalar()
    assert orders == 201


JPY = [
    "J1;2024-03-04;web;1500,00;JPY;bezahlt",  # no JPY rate loaded: refused at enrichment
    "J2;2024-03-04;web;12,00;USD;offen",  # a status the mapping does not map: wrong in itself
]


def test_the_dry_run_reports_the_rejects_the_load_gives(pg_url, tmp_path):
    mapping = tmp_path / "orders.yml"
    mapping.write_text(MAPPING, encoding="utf-8")
    export = _write(tmp_path / "jpy.csv", [*JPY, GOOD[0]])

    dry = runner.invoke(app, ["ingest", "file", "--dry-run", "--mapping", str(mapping), export])
    assert dry.exit_code == 0, dry.output
    assert "jpy.csv: 1 orders record(s) mapped, 2 row(s) rejected" in dry.stdout
    preview = preview_data((tmp_path / "jpy.csv").read_bytes(), FileMapping.from_text(MAPPING))
    assert [r.row for r in preview.rejects] == [2, 3]
    assert preview.rejects[0].reason.startswith("no exchange rate for JPY on or before 2024-03-04")
    assert [row["source_order_id"] for row in preview.rows] == ["G0"]

    assert "read 3: 1 new, 0 updated, 0 unchanged, 2 rejected" in _ingest(str(mapping), export)
    stored = sorted(list_rejects(), key=lambda r: r.record_id)
    assert [(r.record_id, r.error) for r in stored] == [
        (f"jpy.csv:{r.row}", f"line {r.row}: {r.reason}") for r in preview.rejects
    ]


def test_a_dry_run_of_traffic_reports_an_unknown_store(pg_url):
    data = b"Datum;Filiale;Eingang;Besucher\n03.06.2024;STORE-X;Haupteingang;40\n"
    preview = preview_data(data, FileMapping.from_yaml(MAPPINGS_DIR / "footfall_counter.yaml"))
    assert preview.mapped == 0 and preview.rows == []
    assert [(r.row, r.reason) for r in preview.rejects] == [(2, "unknown location 'STORE-X'")]


def test_an_order_without_its_exchange_rate_is_replayed_once_the_rate_is_loaded(pg_url):
    data = "\n".join([HEADER, *JPY]).encode()
    result = ingest_data(data, FileMapping.from_text(MAPPING), file_name="jpy.csv", instance="shop")
    assert (result.read, result.inserted, result.rejected) == (2, 0, 2)
    no_rate, wrong_row = sorted(list_rejects(), key=lambda r: r.record_id)
    assert (no_rate.replayable, wrong_row.replayable) == (True, False)

    with pytest.raises(CommandError) as refused:
        replay([wrong_row.id, no_rate.id], ADMIN)
    assert str(refused.value) == (
        f"rejects {wrong_row.id} cannot be replayed: the row itself is wrong in the file "
        f"({wrong_row.error}). Correct it in the file and upload the file again, which "
        "resolves them"
    )

    still = replay([no_rate.id], ADMIN)
    assert (still.read, still.inserted, still.rejected) == (1, 0, 1)
    (waiting,) = [r for r in list_rejects() if r.id == no_rate.id]
    assert waiting.status == "quarantined" and "no exchange rate for JPY" in waiting.error

    store_rates({("2024-03-01", "JPY"): "0.0067"})
    done = replay([no_rate.id], ADMIN)
    assert (done.read, done.inserted, done.rejected) == (1, 1, 0)
    (replayed,) = list_rejects("replayed")
    assert replayed.id == no_rate.id and replayed.replay_run_id is not None
    with get_engine().connect() as conn:
        order = conn.execute(
            select(SalesOrder.source_order_id, SalesOrder.currency, SalesOrder.total)
        ).one()
    assert tuple(order) == ("J1", "JPY", Decimal("1500.00"))
    assert [r.id for r in list_rejects()] == [wrong_row.id]

"""Mapping help from the shell: ``mapping suggest`` drafts a mapping that loads the file as
it is (comma or semicolon delimiters, decimal commas, several date formats), ``ingest file
--dry-run`` shows rows and rejects and writes nothing, saved mappings are audited."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from db.engine import get_engine
from db.schema import AuditLog
from db.settings import get_settings
from ingestion.connectors.files import FileMapping
from ingestion.connectors.files import read_file
from tests.command_world import changed_tables
from tests.command_world import database_state
from tests.files.rates import store_rates

runner = CliRunner()

SEMICOLON = (
    "Bestellung;Datum;Kanal;Betrag;Währung\n"
    "B-1;03.06.2024;Reisebüro;1.234,50;EUR\n"
    "B-2;04.06.2024;Direkt;99,90;EUR\n"
    "B-3;28.02.2025;Firmen;0,05;CHF\n"
)
COMMA = (
    "order_id,created,channel,sku,quantity,unit_price,shipping\n"
    "1001,06/03/2024 09:30,web,MUG,2,12.50,4.95\n"
    "1001,06/03/2024 09:30,web,CAP,1,19.99,4.95\n"
    "1002,12/31/2024 23:59,store,MUG,3,12.50,0\n"
)


def suggest(path, kind: str = "orders") -> str:
    result = runner.invoke(app, ["mapping", "suggest", str(path), "--kind", kind])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_semicolon_file_with_decimal_commas_and_day_first_dates(tmp_path):
    export = tmp_path / "buchungen.csv"
    export.write_text(SEMICOLON, encoding="utf-8")
    text = suggest(export)
    draft = yaml.safe_load(text)
    assert (draft["delimiter"], draft["decimal_separator"]) == (";", ",")
    assert draft["thousands_separator"] == "."
    assert draft["fields"]["ordered_at"]["format"] == "%d.%m.%Y"
    assert draft["fields"]["currency"] == "Währung"
    assert draft["fields"]["source_order_id"] == "Bestellung"
    assert draft["touchpoint_fields"] == {"channel": "Kanal"}

    result = read_file(export, FileMapping.from_text(text))
    assert result.errors == []
    raw = pd.read_csv(export, sep=";", dtype=str)
    want = {
        row.Bestellung: (
            Decimal(row.Betrag.replace(".", "").replace(",", ".")),
            row.Währung,
            pd.to_datetime(row.Datum, format="%d.%m.%Y").date(),
        )
        for row in raw.itertuples()
    }
    got = {o.source_order_id: (o.total, o.currency, o.ordered_at.date()) for o in result.records}
    assert got == want


def test_a_comma_file_of_lines_with_month_first_datetimes(tmp_path):
    export = tmp_path / "items.csv"
    export.write_text(COMMA)
    output = tmp_path / "items.yml"
    result = runner.invoke(
        app, ["mapping", "suggest", str(export), "--kind", "orders", "--output", str(output)]
    )
    assert result.exit_code == 0 and output.exists(), result.output
    draft = yaml.safe_load(output.read_text())
    assert draft["delimiter"] == "," and "decimal_separator" not in draft
    assert draft["fields"]["ordered_at"]["format"] == "%m/%d/%Y %H:%M"
    assert set(draft["line_fields"]) == {"sku", "qty", "unit_price"}
    assert "total" not in draft["fields"]  # a line-level file: totals come from the lines

    loaded = read_file(export, FileMapping.from_yaml(output))
    assert loaded.errors == []
    raw = pd.read_csv(export, dtype=str)
    raw["line"] = raw["quantity"].astype(int) * raw["unit_price"].map(Decimal)
    firsts = raw.groupby("order_id").first()
    totals = raw.groupby("order_id")["line"].sum() + firsts["shipping"].map(Decimal)
    assert {o.source_order_id: o.total for o in loaded.records} == totals.to_dict()
    assert loaded.records[1].ordered_at.isoformat() == "2024-12-31T23:59:00+00:00"


def test_a_traffic_file_and_a_refused_kind(tmp_path):
    export = tmp_path / "visits.csv"
    export.write_text("date;store;visitors\n2024-06-03;S1;120\n2024-06-04;S1;98\n")
    draft = yaml.safe_load(suggest(export, "traffic"))
    assert draft["fields"]["day"] == {"column": "date", "type": "date", "format": "%Y-%m-%d"}
    assert draft["fields"]["footfall"] == {"column": "visitors", "type": "int"}
    refused = runner.invoke(app, ["mapping", "suggest", str(export), "--kind", "sales"])
    assert refused.exit_code == 2 and "kind 'sales' is not one of" in refused.stderr


def _export_and_its_mapping(tmp_path):
    """The semicolon export and, beside it, the mapping suggested for it."""
    export = tmp_path / "buchungen.csv"
    export.write_text(SEMICOLON, encoding="utf-8")
    mapping = tmp_path / "buchungen.yml"
    mapping.write_text(suggest(export), encoding="utf-8")
    return export, mapping


@pytest.mark.postgres
def test_a_dry_run_shows_rows_and_rejects_and_writes_nothing(pg_url, tmp_path):
    export, mapping = _export_and_its_mapping(tmp_path)
    export.write_text(SEMICOLON + "B-4;31.02.2025;Direkt;10,00;EUR\n", encoding="utf-8")
    store_rates({("2024-06-01", "EUR"): "1.08", ("2025-02-27", "CHF"): "1.11"})
    before = database_state(pg_url)
    result = runner.invoke(
        app, ["ingest", "file", "--dry-run", "--mapping", str(mapping), str(export)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 orders record(s) mapped, 1 row(s) rejected; nothing was written" in result.stdout
    assert "B-1" in result.stdout and "1234.50" in result.stdout
    assert "'31.02.2025' is not a timestamp" in result.stdout
    assert changed_tables(before, database_state(pg_url)) == []


@pytest.mark.postgres
def test_saved_mappings_are_audited_and_bad_yaml_is_one_line(pg_url, tmp_path):
    export, mapping = _export_and_its_mapping(tmp_path)
    assert runner.invoke(app, ["mapping", "save", "Buchungen", str(mapping)]).exit_code == 0
    listed = runner.invoke(app, ["mapping", "list"])
    assert "buchungen" in listed.stdout and "orders" in listed.stdout
    broken = tmp_path / "broken.yml"
    broken.write_text("kind: orders\nfields: [unclosed\n")
    refused = runner.invoke(app, ["mapping", "save", "broken", str(broken)])
    assert refused.exit_code == 2 and "not valid YAML at line" in refused.stderr
    impossible = tmp_path / "impossible.yml"  # YAML reads 2026-02-30 as a date, and fails
    impossible.write_text("kind: orders\nfields:\n  source_order_id: {value: 2026-02-30}\n")
    refused = runner.invoke(app, ["mapping", "save", "impossible", str(impossible)])
    assert refused.exit_code == 2, refused.output
    assert "a value YAML cannot read: day is out of range for month" in refused.stderr
    assert runner.invoke(app, ["mapping", "delete", "buchungen"]).exit_code == 0
    gone = runner.invoke(app, ["mapping", "delete", "buchungen"])
    assert gone.exit_code == 2 and "no saved mapping named 'buchungen'" in gone.stderr
    with get_engine().connect() as conn:
        actions = conn.execute(
            select(AuditLog.action, AuditLog.entity_id, AuditLog.actor).order_by(AuditLog.id)
        ).all()
    assert [tuple(a) for a in actions][-2:] == [
        ("file_mapping.save", "buchungen", "cli"),
        ("file_mapping.delete", "buchungen", "cli"),
    ]


def test_rows_longer_than_the_header_still_get_a_draft(tmp_path):
    """Extra cells (a stray delimiter in a row) are left out, not read as a column's values:
    the draft once failed on them with an AttributeError."""
    export = tmp_path / "orders.csv"
    export.write_text(
        "order_id,ordered,total\nA-1,2026-11-30 10:15,12.50,stray\nA-2,2026-11-30 11:00,8.00\n",
        encoding="utf-8",
    )
    draft = yaml.safe_load(suggest(export))
    assert draft["fields"]["source_order_id"] == "order_id"
    assert draft["fields"]["total"]["column"] == "total"


@pytest.mark.parametrize(
    ("header", "cells"),
    [
        ("Waehrung", ("EUR", "EUR")),
        ("Währung", ("CHF", "EUR")),
        ("currency", ("eur", "usd")),
        ("curr", ("GBP", "GBP")),
        ("Devise", ("eur", "chf")),
        ("moneda", ("MXN", "mxn")),
    ],
)
def test_a_draft_reads_the_currency_from_the_file_s_currency_column(tmp_path, header, cells):
    export = tmp_path / "bestellungen.csv"
    export.write_text(
        f"Bestellnummer;Datum;Betrag;{header}\n"
        f"B-1;03.06.2024;12,50;{cells[0]}\nB-2;04.06.2024;7,00;{cells[1]}\n",
        encoding="utf-8",
    )
    text = suggest(export)
    assert yaml.safe_load(text)["fields"]["currency"] == header
    assert "No currency column" not in text
    loaded = read_file(export, FileMapping.from_text(text))
    assert [o.currency for o in loaded.records] == [cell.upper() for cell in cells]


def test_a_draft_without_a_currency_column_takes_the_base_currency_and_says_so(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CHANNELPERF_BASE_CURRENCY", "EUR")
    get_settings.cache_clear()
    try:
        export = tmp_path / "orders.csv"
        export.write_text("order_id,ordered,total\nA-1,2026-11-30,12.50\n", encoding="utf-8")
        text = suggest(export)
    finally:
        get_settings.cache_clear()
    assert yaml.safe_load(text)["fields"]["currency"] == {"value": "EUR"}
    assert "# No currency column found: every amount is taken to be in EUR" in text

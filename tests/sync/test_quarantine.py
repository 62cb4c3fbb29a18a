"""The quarantine: replay after a fix, discard with a reason, file rows, and the commands."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy import text
from typer.testing import CliRunner

import ingestion.sync
from cli.main import app
from db.engine import get_engine
from db.errors import CommandError
from db.roles import Actor
from db.roles import system
from db.schema import AuditLog
from ingestion.connectors.files import MAPPINGS_DIR
from ingestion.file_sync import ingest_file
from ingestion.quarantine import discard
from ingestion.quarantine import get_reject
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay
from ingestion.reference import upsert_reference
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres
ORIGIN = Origin("shopify", "main-store", "webhook", "shop")
runner = CliRunner()


def _audit(conn) -> list:
    return conn.execute(select(AuditLog.action, AuditLog.after).order_by(AuditLog.id)).all()


def test_replay_after_a_fix_loads_what_passes_and_keeps_the_rest(pg_url, monkeypatch):
    fixable = make_order(1)
    broken = json.dumps(make_order(2)).encode()[:-40]
    monkeypatch.setattr(ingestion.sync, "MAX_PAYLOAD_BYTES", 100)  # a too strict limit: a "bug"
    engine = get_engine()
    _, rejects = load_page(
        engine, ORIGIN, [Incoming(None, json.dumps(fixable).encode()), Incoming(None, broken)]
    )
    assert len(rejects) == 2
    monkeypatch.undo()  # the fix is deployed

    waiting = list_rejects()
    assert [r.record_id for r in waiting] == [None, None]
    ids = sorted(r.id for r in waiting)
    assert "larger than" in get_reject(ids[0]).info.error

    result = replay(ids, actor=Actor("bob", "admin"))
    assert (result.read, result.inserted, result.rejected) == (2, 1, 1)
    assert result.read == result.inserted + result.updated + result.unchanged + result.rejected
    replayed, still = get_reject(ids[0]).info, get_reject(ids[1]).info
    assert replayed.status == "replayed" and replayed.replay_run_id is not None
    assert still.status == "quarantined" and "not valid JSON" in still.error
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals([fixable])
        action, after = _audit(conn)[-1]
    assert action == "reject.replay"
    assert after["replayed"] == [ids[0]] and list(after["still_failing"]) == [str(ids[1])]

    with pytest.raises(CommandError, match="not quarantined any more"):
        replay([ids[0]], system())
    with pytest.raises(CommandError, match="say why"):
        discard([ids[1]], " ", system())
    assert (
        discard(
            [ids[1]], "the shop sent a truncated body; re-sent since", actor=Actor("bob", "admin")
        )
        == 1
    )
    assert get_reject(ids[1]).info.status == "discarded"
    with engine.connect() as conn:
        action, after = _audit(conn)[-1]
    assert action == "reject.discard" and after["reason"].startswith("the shop sent")
    assert list_rejects() == []


FOOTFALL = [
    ("03.06.2024", "STORE-A", "1.284"),
    ("03.06.2024", "STORE-B", "977"),
    ("04.06.2024", "STORE-A", "zwölf"),
    ("31.06.2024", "STORE-A", "15"),
    ("05.06.2024", "STORE-B", "12"),
    ("05.06.2024", "STORE-X", "40"),
]


def _stores(conn, codes: tuple[str, ...] = ("STORE-A", "STORE-B")) -> None:
    regions = pd.DataFrame([{"code": "DE-BE", "name": "Berlin", "currency": "EUR"}])
    locations = pd.DataFrame(
        [{"code": code, "name": code, "kind": "store", "region_code": "DE-BE"} for code in codes]
    )
    products = pd.DataFrame(
        columns=["sku", "name", "category", "list_price_minor", "unit_cost_minor"]
    )
    upsert_reference(conn, regions, locations, products)


def test_file_rows_that_fail_are_quarantined_with_their_line(pg_url, tmp_path):
    with get_engine().begin() as conn:
        _stores(conn)
    path = tmp_path / "counter.csv"
    lines = ["Datum;Filiale;Eingang;Besucher"] + [
        f"{d};{s};Haupteingang;{n}" for d, s, n in FOOTFALL
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(path, MAPPINGS_DIR / "footfall_counter.yaml")
    assert (result.read, result.rejected) == (6, 3)
    assert result.read == result.inserted + result.updated + result.unchanged + result.rejected
    with get_engine().connect() as conn:
        footfall = conn.execute(text("SELECT sum(footfall) FROM traffic")).scalar()
        rows = conn.execute(text("SELECT record_id, error, payload FROM reject ORDER BY id")).all()
    assert footfall == 1284 + 977 + 12
    assert [r.record_id for r in rows] == ["counter.csv:4", "counter.csv:5", "counter.csv:7"]
    assert "zwölf" in rows[0].error and "31.06.2024" in rows[1].error
    assert rows[2].error == "line 7: unknown location 'STORE-X'"
    assert json.loads(bytes(rows[2].payload))["footfall"] == 40
    assert bytes(rows[0].payload).decode() == f"{lines[0]}\n{lines[3]}"
    waiting = sorted(list_rejects(), key=lambda r: r.id)
    assert [r.replayable for r in waiting] == [False, False, True]
    with pytest.raises(CommandError) as refused:
        replay([r.id for r in waiting], system())
    assert str(refused.value).startswith(
        f"rejects {waiting[0].id}, {waiting[1].id} cannot be replayed: the row itself is wrong "
        f"in the file ({waiting[0].error}). Correct it in the file and upload the file again, "
        "then discard them"
    )

    # The store is added: the row refused for want of it loads as it was mapped.
    with get_engine().begin() as conn:
        _stores(conn, ("STORE-X",))
    assert replay([waiting[2].id], system()).read == 1
    assert [r.id for r in list_rejects("replayed")] == [waiting[2].id]
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT sum(footfall) FROM traffic")).scalar() == footfall + 40


def test_commands_print_rejects_and_refuse_bad_input(pg_url, tmp_path):
    load_page(get_engine(), ORIGIN, [Incoming("order-9", b"\xff\xfe not json")])
    listed = runner.invoke(app, ["rejects", "list"])
    assert listed.exit_code == 0 and "order-9" in listed.output
    load_page(get_engine(), ORIGIN, [Incoming("order-10", b"\xff not json either")])
    newest = runner.invoke(app, ["rejects", "list", "--limit", "1"])
    assert newest.exit_code == 0 and "order-10" in newest.output and "order-9" not in newest.output
    assert "Showing the newest 1 of 2 rejects." in newest.output
    reject_id = list_rejects()[-1].id
    shown = runner.invoke(app, ["rejects", "show", str(reject_id)])
    assert shown.exit_code == 0
    assert "not valid UTF-8" in shown.output and "\\xff\\xfe not json" in shown.output
    assert runner.invoke(app, ["rejects", "show", "999999"]).exit_code == 2
    assert runner.invoke(app, ["rejects", "list", "--status", "lost"]).exit_code == 2

    bad_mapping = tmp_path / "m.yml"
    bad_mapping.write_text("kind: nonsense\n")
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    failed = runner.invoke(app, ["ingest", "file", "--mapping", str(bad_mapping), str(data)])
    assert failed.exit_code == 2 and "nonsense" in failed.output

    refused = runner.invoke(
        app,
        [
            "sources",
            "add",
            "shop2",
            "--kind",
            "shopify",
            "--instance",
            "x",
            "--secret-env",
            "shpat_live_abc123",
        ],
    )
    assert refused.exit_code == 2 and "NAME of an environment variable" in refused.output

"""An API source's rejects: the same bad payload sent again is quarantined once (also by two
writers at once), the order loading later resolves it, and a replay resolves the record's
other rejects; the Quarantine page says how many it leaves out."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func
from sqlalchemy import select

import ingestion.sync
from dashapp.app import create_app
from db.engine import get_engine
from db.ingestion_tables import Reject
from db.roles import Actor
from db.schema import IngestRun
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import RejectedPayload
from ingestion.sync import load_page
from ingestion.sync import write_rejects
from tests.signin import post_callback
from tests.signin import sign_in_client
from tests.sync.pages_world import PASSWORD
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres
ORIGIN = Origin("shopify", "main-store", "orders", "shop")


def _broken(number: int) -> dict:
    order = make_order(number)
    order["currency"] = "ZZZ"
    return order


def _rejects() -> int:
    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(Reject.__table__)).scalar()


def test_a_bad_payload_sent_again_is_kept_once_and_its_order_loading_resolves_it(pg_url):
    engine = get_engine()
    for _ in range(2):
        result, rejects = load_page(engine, ORIGIN, [Incoming(None, _broken(1))])
        assert (result.read, len(rejects)) == (0, 1)
    (waiting,) = list_rejects()
    assert _rejects() == 1 and waiting.record_key == str(make_order(1)["id"])
    assert waiting.last_seen_at > waiting.received_at
    with engine.connect() as conn:
        assert conn.execute(select(IngestRun.rejected)).scalars().all() == [1, 1]

    result, rejects = load_page(engine, ORIGIN, [Incoming(None, make_order(1))])
    assert (result.inserted, rejects) == (1, [])
    assert list_rejects() == []
    (resolved,) = list_rejects("resolved")
    with engine.connect() as conn:
        last_run = conn.execute(select(func.max(IngestRun.id))).scalar()
    assert resolved.id == waiting.id and resolved.replay_run_id == last_run


def test_a_replay_resolves_the_record_s_other_rejects(pg_url, monkeypatch):
    engine = get_engine()
    order = make_order(2)
    monkeypatch.setattr(ingestion.sync, "MAX_PAYLOAD_BYTES", 100)  # a too strict limit: a "bug"
    record_id = str(order["id"])  # as a sync's connector names each record
    load_page(engine, ORIGIN, [Incoming(record_id, json.dumps(order).encode())])
    load_page(engine, ORIGIN, [Incoming(record_id, json.dumps(order).encode()[:-40])])
    monkeypatch.undo()  # the fix is deployed
    whole, cut = sorted(list_rejects(), key=lambda r: r.size, reverse=True)
    assert whole.record_key == cut.record_key == record_id

    result = replay([whole.id], Actor("ada", "admin"))
    assert (result.read, result.inserted) == (1, 1)
    assert [r.id for r in list_rejects("replayed")] == [whole.id]
    assert [r.id for r in list_rejects("resolved")] == [cut.id]
    assert list_rejects() == []


def test_two_writers_quarantining_the_same_reject_at_once_keep_one(pg_url):
    engine = get_engine()
    reject = RejectedPayload("7", "bad", b"{}", record_key="7")
    done = threading.Event()

    def second_writer() -> None:
        with engine.begin() as conn:
            write_rejects(conn, ORIGIN, [reject], None)
        done.set()

    with engine.begin() as conn:
        write_rejects(conn, ORIGIN, [reject], None)
        other = threading.Thread(target=second_writer)
        other.start()
        time.sleep(0.5)
        assert not done.is_set()  # waits on the first writer's row
    other.join(timeout=10)
    assert done.is_set() and _rejects() == 1


def test_the_quarantine_page_says_how_many_it_leaves_out(ingest_db):

    with get_engine().begin() as conn:
        write_rejects(
            conn,
            ORIGIN,
            [
                RejectedPayload(str(n), "bad", str(n).encode(), record_key=str(n))
                for n in range(200)
            ],
            None,
        )
    application = create_app()
    application.server.config["TESTING"] = True
    client = application.server.test_client()
    assert sign_in_client(client, "ada", PASSWORD).status_code == 302
    client.get("/")
    key = next(k for k in application.callback_map if "admin-rejects-shown.children" in k)
    answer = post_callback(
        client,
        {
            "output": key,
            "outputs": [
                {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
                for part in key.strip(".").split("...")
            ],
            "inputs": [
                {"id": "admin-rejects-status", "property": "value", "value": "quarantined"},
                {"id": "admin-rejects-replay", "property": "n_clicks", "value": None},
                {"id": "admin-rejects-discard-confirm", "property": "n_clicks", "value": None},
            ],
            "state": [
                {"id": "admin-rejects-grid", "property": "selectedRows", "value": None},
                {"id": "admin-rejects-reason", "property": "value", "value": None},
            ],
            "changedPropIds": ["admin-rejects-status.value"],
        },
    ).get_json()["response"]
    assert answer["admin-rejects-shown"]["children"] == "Showing the newest 200 of 202 rejects."
    listed = answer["admin-rejects-grid"]["rowData"]
    assert len(listed) == 200 and {row["replayable"] for row in listed} == {"yes"}

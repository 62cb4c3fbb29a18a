"""Signed webhook pushes: a valid signature is answered 202, queued on RQ and loaded when the job
runs; an invalid one is refused with 401 and nothing is queued. A burst of pushes loads as one
page with the first job, the others finding themselves loaded; one never marked loads itself."""

from __future__ import annotations

import json
import uuid

import pytest
from rq import get_current_job
from rq.job import Job
from sqlalchemy import text

from dashapp.app import create_app
from db.engine import get_engine
from db.jobs import get_queue
from db.roles import system
from ingestion.queues import source_queue
from ingestion.signatures import SHOPIFY_HEADER
from ingestion.signatures import SQUARE_HEADER
from ingestion.signatures import shopify_signature
from ingestion.signatures import square_signature
from ingestion.sources import add_source
from ingestion.sync import pushes
from ingestion.sync.pushes import PUSH_JOB
from ingestion.worker import drain_queue
from ingestion.worker import run_worker
from tests.sync.conftest import HOOK_SECRET
from tests.sync.conftest import SOURCE
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def ingest_base() -> str:
    """The ingest queues' base name, unique per test."""
    return f"cp-sync-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def hook_client(shop_source, pg_url, redis_url, use_database, ingest_base):
    """A client of the app and the shop's own queue, where its pushes wait."""
    use_database(pg_url, redis_url=redis_url)
    app = create_app()
    app.server.config["INGEST_QUEUE"] = ingest_base
    queue = get_queue(source_queue(SOURCE, ingest_base))
    yield app.server.test_client(), queue
    for used in (queue, get_queue(ingest_base)):
        used.empty()
        used.delete(delete_jobs=True)


def record_turn(key: str, label: str) -> None:
    """A job that notes its turn: the order a worker took the queues' jobs in."""
    get_current_job().connection.rpush(key, label)


def _signed_push(client, body: bytes):
    """POST a Shopify push signed with the source's secret."""
    return client.post(
        f"/hooks/{SOURCE}",
        data=body,
        headers={SHOPIFY_HEADER: shopify_signature(body, HOOK_SECRET)},
        content_type="application/json",
    )


def test_valid_shopify_push_is_accepted_queued_and_loaded(hook_client):
    client, queue = hook_client
    order = make_order(42)
    response = _signed_push(client, json.dumps(order).encode())
    assert response.status_code == 202
    assert response.get_json()["job"] in queue.job_ids
    engine = get_engine()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sales_order")).scalar() == 0

    assert drain_queue(queue.name)
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals([order])
        run = conn.execute(text("SELECT stream, read, inserted FROM ingest_run")).one()
    assert tuple(run) == ("webhook", 1, 1)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SHOPIFY_HEADER: "bm90IGEgc2lnbmF0dXJl"},
        {SHOPIFY_HEADER: shopify_signature(b"another body", HOOK_SECRET)},
        {SHOPIFY_HEADER: shopify_signature(json.dumps(make_order(42)).encode(), "wrong secret")},
    ],
    ids=["missing", "garbage", "other-body", "other-secret"],
)
def test_invalid_signature_is_refused_and_nothing_is_queued(hook_client, headers):
    client, queue = hook_client
    body = json.dumps(make_order(42)).encode()
    response = client.post(f"/hooks/{SOURCE}", data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert queue.count == 0
    assert not drain_queue(queue.name)
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sales_order")).scalar() == 0


def test_square_push_is_verified_over_url_and_body(hook_client, ingest_base, monkeypatch):
    client, _ = hook_client
    monkeypatch.setenv("CP_SYNC_TEST_SQUARE_KEY", "square-signature-key")
    add_source(
        "pos",
        "square",
        "retail",
        "http://127.0.0.1:9/",
        secret_env="CP_SYNC_TEST_SQUARE_KEY",
        webhook_secret_env="CP_SYNC_TEST_SQUARE_KEY",
        actor=system(),
    )
    body = json.dumps({"type": "order.updated", "data": {"id": "ORDER-1"}}).encode()
    url = "http://localhost/hooks/pos"
    good = square_signature(body, url, "square-signature-key")
    wrong_url = square_signature(body, "http://elsewhere/hooks/pos", "square-signature-key")
    assert (
        client.post("/hooks/pos", data=body, headers={SQUARE_HEADER: wrong_url}).status_code == 401
    )
    queue = get_queue(source_queue("pos", ingest_base))
    try:
        assert queue.count == 0
        answer = client.post("/hooks/pos", data=body, headers={SQUARE_HEADER: good})
        assert answer.status_code == 202 and queue.count == 1
    finally:
        queue.delete(delete_jobs=True)


def test_unknown_pull_only_and_push_sources_answer_an_unsigned_request_alike(hook_client):
    """An unsigned request cannot tell which sources exist or which take pushes."""
    client, queue = hook_client
    add_source(
        "erp",
        "sap",
        "S4H-100",
        "http://127.0.0.1:9/",
        webhook_secret_env="X_SECRET",
        actor=system(),
    )
    answers = {
        name: client.post(f"/hooks/{name}", data=b"{}")
        for name in ("nobody", "erp", SOURCE, "a%00b")
    }
    assert {r.status_code for r in answers.values()} == {401}
    assert len({r.get_data() for r in answers.values()}) == 1
    assert queue.count == 0


def test_a_push_waits_for_a_worker_of_its_own_source(hook_client, ingest_base, shop_source):
    client, queue = hook_client
    shop_source([])  # polling the shop finds nothing new
    one_tick = {"queue": ingest_base, "max_cycles": 1, "tick": 0, "sleep": lambda _s: None}
    orders = [make_order(7), make_order(8)]
    assert _signed_push(client, json.dumps(orders[0]).encode()).status_code == 202
    assert get_queue(ingest_base).count == 0 and queue.count == 1
    run_worker(sources=["erp"], **one_tick)  # another shard's worker leaves it
    assert queue.count == 1
    run_worker(sources=[SOURCE], **one_tick)
    assert queue.count == 0
    assert _signed_push(client, json.dumps(orders[1]).encode()).status_code == 202
    run_worker(**one_tick)  # a worker of every source takes it too
    assert queue.count == 0
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(orders)


def test_one_sources_burst_does_not_hold_up_anothers_push(hook_client, ingest_base):
    _, queue = hook_client
    other = get_queue(source_queue("erp", ingest_base))
    turns = f"{ingest_base}:turns"
    try:
        for n in range(3):
            queue.enqueue(record_turn, turns, f"shop-{n}")
        other.enqueue(record_turn, turns, "erp-0")
        assert drain_queue(ingest_base, also=(queue.name, other.name))
        taken = [t.decode() for t in queue.connection.lrange(turns, 0, -1)]
        assert taken == ["shop-0", "erp-0", "shop-1", "shop-2"]
    finally:
        other.delete(delete_jobs=True)
        queue.connection.delete(turns)


def test_a_burst_of_pushes_loads_in_few_transactions_and_every_job_finishes(hook_client):
    client, queue = hook_client
    originals = [make_order(n) for n in range(40)]
    edits = [make_order(n, version=1) for n in range(0, 40, 4)]
    # An edit pushed before the order it edits, and one push no mapping accepts.
    pushes = [edits[0], *originals, *edits[1:]]
    bodies = [json.dumps(p).encode() for p in pushes] + [b'{"id": 77, "line_items": "none"}']
    for body in bodies:
        assert _signed_push(client, body).status_code == 202
    job_ids = list(queue.job_ids)
    assert len(job_ids) == len(bodies)

    assert drain_queue(queue.name)
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(pushes)
        loads = conn.execute(text("SELECT read FROM ingest_run WHERE stream = 'webhook'"))
        reads = loads.scalars().all()
        rejects = conn.execute(text("SELECT record_id, error FROM reject")).all()
    # The first job found the others waiting and loaded every order with its own.
    assert reads == [len(bodies)]
    assert [r.record_id for r in rejects] == ["77"]
    results = [Job.fetch(job_id, connection=queue.connection) for job_id in job_ids]
    assert all(job.get_status() == "finished" for job in results)
    assert results[0].return_value()["joined"] == len(bodies) - 1
    assert all(job.return_value().get("loaded_earlier") for job in results[1:])


def test_a_push_its_joining_job_did_not_mark_loads_its_own_order(hook_client, monkeypatch):
    _, queue = hook_client
    order, edit = make_order(5), make_order(5, version=1)
    first = queue.enqueue(PUSH_JOB, SOURCE, json.dumps(order).encode())
    second = queue.enqueue(PUSH_JOB, SOURCE, json.dumps(edit).encode())

    def killed(*_args):
        raise RuntimeError("killed after its load committed, before marking")

    monkeypatch.setattr(pushes, "_mark_loaded", killed)
    assert drain_queue(queue.name)
    assert first.get_status() == "failed"
    # The second job, unmarked, loads its own order: found unchanged, nothing lost or doubled.
    assert second.get_status() == "finished" and second.return_value()["read"] == 1
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals([order, edit])
        counts = conn.execute(
            text("SELECT read, inserted, unchanged FROM ingest_run ORDER BY id")
        ).all()
    assert [tuple(c) for c in counts] == [(2, 1, 1), (1, 0, 1)]


def test_a_joined_page_that_fails_leaves_each_push_to_load_its_own_order(hook_client, monkeypatch):
    _, queue = hook_client
    orders = [make_order(n) for n in range(3)]
    jobs = [queue.enqueue(PUSH_JOB, SOURCE, json.dumps(o).encode()) for o in orders]
    loaded = pushes.load_page

    def fails_when_joined(engine, origin, items):
        if len(items) > 1:
            raise RuntimeError("a joined push the loader cannot take")
        return loaded(engine, origin, items)

    monkeypatch.setattr(pushes, "load_page", fails_when_joined)
    assert drain_queue(queue.name)
    assert all(job.get_status() == "finished" for job in jobs)
    assert [job.return_value()["read"] for job in jobs] == [1, 1, 1]
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
